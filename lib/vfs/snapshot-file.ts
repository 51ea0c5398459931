import { AudiofsError } from '../base/errors.js';
import type { Bytes } from '../base/units.js';
import type { FileHandle, FileNode, OpenMode } from './vnode.js';

/**
 * Text made from the current state (`status`, `err`, `channels`): a file with a size and an end, so `cat`,
 * `grep`, `less` and `tail -n` print and exit. Each open reads the text as it was when opened. Its size is
 * the size of the text the last open took, while that is open and for at most SNAPSHOT_PIN_MS (fstat reaches
 * audiofs by path, not by handle, and `readFile` and `tar` read as many bytes as fstat says), else of the text
 * now. Writes are taken and dropped (a copy of a mount copied back in must not fail on them).
 */
/** How long after a stat an open reads the text that stat saw (at most this stale). */
const STAT_TO_OPEN_MS = 250;

/** How long the last open's text sets the size others see (a reader that keeps the file open does not freeze it). */
export const SNAPSHOT_PIN_MS = 2000;

/**
 * The texts readers of a generated file opened: while one is open (and for at most SNAPSHOT_PIN_MS), the size
 * stat gives by path is the size of the last one, so that fstat after open agrees with what the reads give.
 */
export class OpenSnapshots {
  private readers = 0;
  private latest: Buffer | undefined;
  private latestAt = 0;

  /** The size of the last opened text, if it still stands for the file. */
  size(): Bytes | undefined {
    return this.readers > 0 && this.latest && performance.now() - this.latestAt < SNAPSHOT_PIN_MS ? this.latest.length : undefined;
  }

  /** A reader opened `text`; returns what its release calls (once, however often it is called). */
  opened(text: Buffer): () => void {
    this.readers++;
    this.latest = text;
    this.latestAt = performance.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.readers === 0) this.latest = undefined;
    };
  }
}

/** What a generated file is made of besides its text. */
export interface SnapshotOptions {
  mode?: number;
  /** Counts the project's changes: a text a stat saw before a change is not read after it. */
  version?: () => number;
  /**
   * Calls its argument whenever the text changes, until the returned function is called (a stage's stderr).
   * Without it the text follows the state with no notice, and the kernel keeps none of its attributes.
   */
  changes?: (onChange: () => void) => () => void;
}

export class SnapshotFile implements FileNode {
  readonly kind = 'file';
  mtime = new Date();
  mode: number;
  private readonly readers = new OpenSnapshots();
  /** The text the last stat saw: an open right after it reads that text (tar stats, opens, reads that size). */
  private stated: { text: Buffer; at: number; version: number } | undefined;
  private readonly watchers = new Set<() => void>();
  private unwatch: (() => void) | undefined;

  constructor(private readonly content: () => Buffer | string, private readonly options: SnapshotOptions = {}) {
    this.mode = options.mode ?? 0o444;
  }

  /** Its text follows the state with no notice: the kernel keeps none of its attributes. */
  get live(): boolean {
    return this.options.changes === undefined;
  }

  /**
   * Calls `onChange` whenever its size may have moved by itself (its text changed, or an open reader's text
   * stopped standing for the file), until the returned function is called. Only without `live`.
   */
  watch(onChange: () => void): () => void {
    if (this.watchers.size === 0) this.unwatch = this.options.changes?.(() => this.changed());
    this.watchers.add(onChange);
    return () => {
      this.watchers.delete(onChange);
      if (this.watchers.size === 0) {
        this.unwatch?.();
        this.unwatch = undefined;
      }
    };
  }

  private changed(): void {
    for (const w of this.watchers) w();
  }

  private version(): number {
    return this.options.version?.() ?? 0;
  }

  size(): Bytes {
    const opened = this.readers.size();
    if (opened !== undefined) return opened;
    const text = this.now();
    this.stated = { text, at: performance.now(), version: this.version() };
    return text.length;
  }

  private now(): Buffer {
    const c = this.content();
    return typeof c === 'string' ? Buffer.from(c) : c;
  }

  async open(mode: OpenMode): Promise<FileHandle> {
    if (mode.write) return discardHandle();
    const stated = this.stated;
    const fresh = stated && performance.now() - stated.at < STAT_TO_OPEN_MS && stated.version === this.version();
    const snapshot = fresh ? stated.text : this.now();
    const release = this.readers.opened(snapshot);
    // The size stat gives is this text's for at most SNAPSHOT_PIN_MS; then it is the text's now again.
    if (this.watchers.size > 0) setTimeout(() => this.changed(), SNAPSHOT_PIN_MS + 1).unref();
    return {
      read: async (position, length) => snapshot.subarray(position, position + length),
      write: async () => { throw new AudiofsError('EBADF', 'write', '', 'this file is read-only'); },
      flush: async () => undefined,
      release: async () => release(),
      size: () => snapshot.length,
    };
  }

  async truncate(): Promise<void> {}

  async unlink(): Promise<void> {}

  async replace(): Promise<boolean> {
    return false;
  }
}

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
