import type { LiveReader } from '../base/live-stream.js';
import { AudiofsError } from '../base/errors.js';
import type { Bytes } from '../base/units.js';
import type { FileHandle, FileNode, OpenMode } from './vnode.js';

/** A live stream as a file (`out`, `stream.mp3`, `log`): size 0, each reader from the moment it opens. */
export class StreamFile implements FileNode {
  readonly kind = 'file';
  mode = 0o444;
  mtime = new Date();

  /** `openReader` makes this open's reader (with O_NONBLOCK: what is buffered, then end of file). */
  constructor(private readonly openReader: (options: { nonblocking: boolean }) => LiveReader) {}

  size(): Bytes {
    return 0;
  }

  async open(mode: OpenMode): Promise<FileHandle> {
    if (mode.write) throw new AudiofsError('EACCES', 'open', '', 'a live stream is read-only');
    const reader = this.openReader({ nonblocking: mode.nonblocking });
    return {
      read: async (_position, length, signal) => (await reader.read(length, signal)) ?? Buffer.alloc(0),
      write: async () => { throw new AudiofsError('EBADF', 'write', '', 'a live stream is read-only'); },
      flush: async () => undefined,
      release: async () => reader.close(),
    };
  }

  async truncate(): Promise<void> {
    throw new AudiofsError('EACCES', 'truncate', '', 'a live stream is read-only');
  }

  async unlink(): Promise<void> {}
}

/** Text made at open from the current state (`status`, `err`, `channels`): size 0 since it changes by itself. */
export class SnapshotFile implements FileNode {
  readonly kind = 'file';
  mode = 0o444;
  mtime = new Date();

  constructor(private readonly content: () => Buffer | string) {}

  size(): Bytes {
    return 0;
  }

  async open(mode: OpenMode): Promise<FileHandle> {
    if (mode.write) throw new AudiofsError('EACCES', 'open', '', 'this file is read-only');
    const c = this.content();
    const snapshot = typeof c === 'string' ? Buffer.from(c) : c;
    return {
      read: async (position, length) => snapshot.subarray(position, position + length),
      write: async () => { throw new AudiofsError('EBADF', 'write', '', 'this file is read-only'); },
      flush: async () => undefined,
      release: async () => undefined,
    };
  }

  async truncate(): Promise<void> {
    throw new AudiofsError('EACCES', 'truncate', '', 'this file is read-only');
  }

  async unlink(): Promise<void> {}
}
