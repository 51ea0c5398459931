import { AudiofsError } from '../base/errors.js';
import type { Bytes } from '../base/units.js';
import { discardHandle } from './snapshot-file.js';
import type { FileHandle, FileNode, OpenMode } from './vnode.js';

/** The most of /log kept for readers; older lines are still in the log file in the state directory. */
export const LOG_KEPT: Bytes = 1024 * 1024;

/**
 * /log: a file that only grows. Offsets count every byte logged since the mount, so `tail -f` (which polls
 * the size) follows it; the last LOG_KEPT bytes are kept, and a reader that starts before them gets the
 * oldest kept line first.
 */
export class LogFile implements FileNode {
  readonly kind = 'file';
  /** The log says what the owner did: other users may not read it unless the owner says so. */
  mode = 0o440;
  mtime = new Date();
  /** It grows by itself: the kernel keeps none of its attributes. */
  readonly live = true;
  readonly ctime = new Date();
  private chunks: Buffer[] = [];
  private kept: Bytes = 0;
  /** Offset of the first kept byte. */
  private start: Bytes = 0;

  constructor(private readonly limit: Bytes = LOG_KEPT) {}

  /** Adds text at the end. */
  append(text: string): void {
    const b = Buffer.from(text);
    if (b.length === 0) return;
    this.chunks.push(b);
    this.kept += b.length;
    while (this.kept > this.limit && this.chunks.length > 1) {
      const old = this.chunks.shift()!;
      this.kept -= old.length;
      this.start += old.length;
    }
    this.mtime = new Date();
  }

  size(): Bytes {
    return this.start + this.kept;
  }

  /** Up to `length` bytes at absolute `position` (which must not be before what is kept). */
  slice(position: Bytes, length: Bytes): Buffer {
    const parts: Buffer[] = [];
    let at = this.start;
    let want = length;
    for (const c of this.chunks) {
      if (want <= 0) break;
      const end = at + c.length;
      if (end > position) {
        const from = Math.max(0, position - at);
        const piece = c.subarray(from, Math.min(c.length, from + want));
        parts.push(piece);
        want -= piece.length;
      }
      at = end;
    }
    return Buffer.concat(parts);
  }

  /** Where the kept text starts. */
  get keptFrom(): Bytes {
    return this.start;
  }

  async open(mode: OpenMode): Promise<FileHandle> {
    // Written by cp -a, rsync or tar copying a project back in: taken and dropped.
    if (mode.write) return discardHandle();
    let skew = 0;
    // A copy (cp, tar, rsync open with O_NOFOLLOW) sees the log as it was when opened, so its size does not
    // change under it ("file changed as we read it"); a reader such as `tail -f` sees it grow.
    const end = mode.nofollow || mode.nonblocking ? this.size() : Infinity;
    return {
      read: async (position, length) => {
        let at = position + skew;
        if (at < this.start) {
          skew += this.start - at;
          at = this.start;
        }
        return this.slice(at, Math.max(0, Math.min(length, end - at)));
      },
      write: async () => { throw new AudiofsError('EBADF', 'write', '/log', 'the log is read-only'); },
      flush: async () => undefined,
      release: async () => undefined,
      size: () => Math.min(end, this.size()),
    };
  }

  async truncate(): Promise<void> {}

  async unlink(): Promise<void> {}

  async replace(): Promise<boolean> {
    return false;
  }
}
