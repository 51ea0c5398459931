import { chmod, mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AudiofsError } from '../base/errors.js';
import { lockStateDir, type StateLock } from './state-lock.js';
import { isAtomicTemp, writeFileAtomic } from './write-file-atomic.js';

/** A mount's state directory: where the daemon's pid and log live and the project is saved between runs. */
export class StateDir {
  readonly root: string;
  /** The daemon's pid, one line. */
  readonly pidFile: string;
  /** The daemon's stdout, stderr and log lines. */
  readonly logFile: string;
  /** Where stored inputs spill past their memory limit. */
  readonly spillDir: string;
  /** The project snapshot (ctl lines, mixer, modes, comments) saved as it changes. */
  readonly projectFile: string;
  private readonly saving = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.root = resolve(root);
    this.pidFile = join(this.root, 'audiofs.pid');
    this.logFile = join(this.root, 'audiofs.log');
    this.spillDir = join(this.root, 'spill');
    this.projectFile = join(this.root, 'project.json');
  }

  /** Takes the directory for this mount (EBUSY while another live mount has it); before ensure(), which cleans it. */
  async lock(): Promise<StateLock> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    return lockStateDir(this.root);
  }

  /** Creates the directory and the spill directory (mode 0700) and removes temporaries a crash left behind. */
  async ensure(): Promise<this> {
    await mkdir(this.spillDir, { recursive: true, mode: 0o700 });
    // The project and the log are the owner's alone.
    await chmod(this.root, 0o700);
    for (const name of await readdir(this.root)) {
      if (isAtomicTemp(name)) await unlink(join(this.root, name)).catch(() => undefined);
    }
    return this;
  }

  /** A path inside the state directory. */
  path(name: string): string {
    const p = resolve(this.root, name);
    if (p !== this.root && !p.startsWith(`${this.root}/`)) {
      throw new AudiofsError('EINVAL', 'state', name, `expected a path inside ${this.root}, got '${name}'`);
    }
    return p;
  }

  /** Saves a value as JSON, atomically (a crash leaves the old or the new file); saves of one file land in call order. */
  async saveJson(name: string, value: unknown): Promise<void> {
    await this.saveText(name, `${JSON.stringify(value, null, 2)}\n`);
  }

  /** saveJson() of a JSON text made by the caller, whole or in pieces (written a batch at a time: writeFileAtomic). */
  async saveText(name: string, text: string | readonly string[]): Promise<void> {
    const p = this.path(name);
    const previous = this.saving.get(p) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => writeFileAtomic(p, text));
    this.saving.set(p, next);
    try {
      await next;
    } finally {
      if (this.saving.get(p) === next) this.saving.delete(p);
    }
  }

  /** Reads a JSON file saved by saveJson; undefined when there is none, an EIO AudiofsError when it does not parse. */
  async loadJson<T = unknown>(name: string): Promise<T | undefined> {
    const p = this.path(name);
    let text: string;
    try {
      text = await readFile(p, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new AudiofsError('EIO', 'load', p, `expected JSON, got ${(err as Error).message}`, { cause: err });
    }
  }
}
