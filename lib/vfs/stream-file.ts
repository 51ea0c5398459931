import type { LiveReader } from '../base/live-stream.js';
import { AudiofsError } from '../base/errors.js';
import type { Bytes } from '../base/units.js';
import { discardHandle } from './snapshot-file.js';
import type { FileHandle, FileNode, OpenMode } from './vnode.js';

/** A live stream as a file (`out`, `stream.mp3`): size 0, each reader from the moment it opens; writes are dropped. */
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
    // Written by cp -a, rsync or tar copying a project back in: taken and dropped.
    if (mode.write) return discardHandle();
    // A copy (cp -a, tar, rsync: they open with O_NOFOLLOW) or a non-blocking reader gets what is there now, then
    // end of file, so copying a mount never waits on a stream; a listener (cat, a player) waits for data.
    const reader = this.openReader({ nonblocking: mode.nonblocking || mode.nofollow });
    return {
      read: async (_position, length, signal) => (await reader.read(length, signal)) ?? Buffer.alloc(0),
      readInto: (_position, target, signal) => reader.readInto(target, signal),
      write: async () => { throw new AudiofsError('EBADF', 'write', '', 'a live stream is read-only'); },
      flush: async () => undefined,
      release: async () => reader.close(),
    };
  }

  async truncate(): Promise<void> {}

  async unlink(): Promise<void> {}

  async replace(): Promise<boolean> {
    return false;
  }
}
