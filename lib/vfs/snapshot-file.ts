import { AudiofsError } from '../base/errors.js';
import type { Bytes } from '../base/units.js';
import type { FileHandle, FileNode, OpenMode } from './vnode.js';

/**
 * Text made from the current state (`status`, `err`, `channels`): a file with a size and an end, so `cat`,
 * `grep`, `less` and `tail -n` print and exit. Each open reads the text as it was when opened; its size is
 * the text's size now. Writes are taken and dropped (a copy of a mount copied back in must not fail on them).
 */
export class SnapshotFile implements FileNode {
  readonly kind = 'file';
  mtime = new Date();

  constructor(private readonly content: () => Buffer | string, public mode = 0o444) {}

  size(): Bytes {
    const c = this.content();
    return typeof c === 'string' ? Buffer.byteLength(c) : c.length;
  }

  async open(mode: OpenMode): Promise<FileHandle> {
    if (mode.write) return discardHandle();
    const c = this.content();
    const snapshot = typeof c === 'string' ? Buffer.from(c) : c;
    return {
      read: async (position, length) => snapshot.subarray(position, position + length),
      write: async () => { throw new AudiofsError('EBADF', 'write', '', 'this file is read-only'); },
      flush: async () => undefined,
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
