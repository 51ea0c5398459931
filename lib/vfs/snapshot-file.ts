import { AudiofsError } from '../base/errors.js';
import type { Bytes } from '../base/units.js';
import type { Caller, FileHandle, FileNode, OpenMode } from './vnode.js';

/**
 * Text made from the current state (`status`, `err`, `channels`): a file with a size and an end, so `cat`,
 * `grep`, `less` and `tail -n` print and exit. Each open reads the text as it was when opened; its size is
 * the text's size now. Writes are taken and dropped (a copy of a mount copied back in must not fail on them).
 */
export class SnapshotFile implements FileNode {
  readonly kind = 'file';
  mtime = new Date();
  /**
   * The text each process last saw, kept while it has the file open or for SAME_TEXT_MS after a stat: a stat,
   * the open after it, the reads and an fstat then agree (tar compares them), and after its close it sees news.
   */
  private readonly seen = new Map<number, { text: Buffer; at: number; opens: number; version: number }>();

  /** `version` counts the project's changes: a text made before a change is not shown after it. */
  constructor(private readonly content: () => Buffer | string, public mode = 0o444, private readonly version: () => number = () => 0) {}

  size(caller?: Caller): Bytes {
    return this.textFor(caller?.tgid ?? caller?.pid ?? 0).length;
  }

  /** The text a process sees now: the one it is reading or just stat'ed, else a new one. */
  private textFor(pid: number): Buffer {
    const now = Date.now();
    const version = this.version();
    const kept = this.seen.get(pid);
    if (kept && (kept.opens > 0 || (now - kept.at < SAME_TEXT_MS && kept.version === version))) return kept.text;
    const c = this.content();
    const text = typeof c === 'string' ? Buffer.from(c) : c;
    if (pid > 0) {
      for (const [p, s] of this.seen) if (s.opens === 0 && now - s.at >= SAME_TEXT_MS) this.seen.delete(p);
      this.seen.set(pid, { text, at: now, opens: 0, version });
    }
    return text;
  }

  async open(mode: OpenMode): Promise<FileHandle> {
    if (mode.write) return discardHandle();
    const pid = mode.caller?.tgid ?? mode.caller?.pid ?? 0;
    const snapshot = this.textFor(pid);
    const kept = this.seen.get(pid);
    if (kept) kept.opens++;
    return {
      read: async (position, length) => snapshot.subarray(position, position + length),
      write: async () => { throw new AudiofsError('EBADF', 'write', '', 'this file is read-only'); },
      // close(2) waits for flush (release comes later, on its own): from then on the process sees news.
      flush: async () => {
        if (kept && kept.opens > 0 && --kept.opens === 0) kept.at = 0;
      },
      release: async () => undefined,
      size: () => snapshot.length,
    };
  }

  async truncate(): Promise<void> {}

  async unlink(): Promise<void> {}

  async replace(): Promise<boolean> {
    return false;
  }
}

/** How long the text a process's stat saw is what its open reads. */
const SAME_TEXT_MS = 1000;

/** A handle that takes every write and keeps nothing (a generated file written by cp, rsync or tar). */
export function discardHandle(): FileHandle {
  return {
    read: async () => Buffer.alloc(0),
    write: async (_p, data) => data.length,
    flush: async () => undefined,
    release: async () => undefined,
    size: () => 0,
  };
}
