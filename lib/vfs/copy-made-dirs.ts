/**
 * How long a directory `cp` made may look empty to it (ms): a copy of one chain's files (4 GiB at most an `in`)
 * ends long before.
 */
export const COPY_VIEW_MS = 10 * 60 * 1000;

/** A directory `cp` made, and the names of audiofs's files in it that it has not created yet. */
interface Made {
  pid: number;
  names: Set<string>;
  until: number;
}

/**
 * GNU `cp` (cp -a, cp -r) creates every file in a directory it has just made with O_EXCL: a new directory is
 * empty on any other file system. A chain or stage made by mkdir already holds audiofs's files (`in`, `ctl`,
 * `mixer`, `out`; a stage's `cmd`, `sched`, ...), so cp got EEXIST for each and the copy failed. Such a
 * directory looks empty to the cp that made it: a lookup of one of those files by that process finds
 * nothing (the kernel then sends a create, which writes the file as a rewrite would), until it creates the
 * file, another process looks the name up (from then on the kernel may hold it), or COPY_VIEW_MS passed.
 * Nothing changes for any other process, nor for cp in a directory it did not make.
 */
export class CopyMadeDirs {
  private readonly made = new Map<string, Made>();

  constructor(private readonly now: () => number = Date.now) {}

  /** `pid` (a cp) made the directory at `path`, which holds `names` of audiofs's. */
  add(path: string, pid: number, names: readonly string[]): void {
    this.made.set(path, { pid, names: new Set(names), until: this.now() + COPY_VIEW_MS });
  }

  /** Whether the file at `dir`/`name` is not there for `pid`; a lookup by another process ends that for the name. */
  hides(dir: string, name: string, pid: number): boolean {
    const m = this.made.get(dir);
    if (!m || !m.names.has(name)) return false;
    if (this.now() > m.until) {
      this.made.delete(dir);
      return false;
    }
    if (pid === m.pid) return true;
    this.forget(dir, name, m);
    return false;
  }

  /** The file was created (by cp or anyone): it is there for everyone. */
  created(dir: string, name: string): void {
    const m = this.made.get(dir);
    if (m) this.forget(dir, name, m);
  }

  /** The directory went (rmdir): nothing of it is remembered, nor of what was below it. */
  removed(dir: string): void {
    for (const path of this.made.keys()) if (path === dir || path.startsWith(`${dir}/`)) this.made.delete(path);
  }

  private forget(dir: string, name: string, m: Made): void {
    m.names.delete(name);
    if (m.names.size === 0) this.made.delete(dir);
  }
}
