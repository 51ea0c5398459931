import type { Bytes } from '../base/units.js';

/** What an `in` file stores: bytes written at offsets, read back, fed to a process on play. */
export interface InputStore {
  readonly size: Bytes;
  /** Stores `data` at `offset`; a store that may wait (a live input) gives up with EINTR when `signal` fires, storing nothing. */
  write(offset: Bytes, data: Buffer, signal?: AbortSignal): Promise<unknown> | void;
  read(offset: Bytes, length: Bytes): Promise<Buffer> | Buffer;
  truncate(size: Bytes): Promise<void> | void;
  /**
   * Whether more may still come: a writer holds the file open, a conversion is running, a device listens.
   * The one place this is known: a feeder at the end of what is there waits for more while it is true.
   */
  readonly growing?: boolean;
  /** A writer opened (+1) or closed (-1) the file this store is behind. */
  countWriter?(delta: 1 | -1): void;
  /** The file that holds the bytes at their offsets while one does (a spilled store): the kernel may feed from it. */
  spillFile?(): string | undefined;
  /** What it takes where it is kept, when that is less than its size (a sparse spill file): what `du` counts. */
  storedBytes?(): Bytes;
}

/** A store kept in memory (the sequencer's StoredInput spills to disk; this one is for small inputs and tests). */
export class MemoryInputStore implements InputStore {
  private data = Buffer.alloc(0);
  private length: Bytes = 0;
  private writers = 0;

  get size(): Bytes {
    return this.length;
  }

  get growing(): boolean {
    return this.writers > 0;
  }

  countWriter(delta: 1 | -1): void {
    this.writers = Math.max(0, this.writers + delta);
  }

  write(offset: Bytes, chunk: Buffer): void {
    const end = offset + chunk.length;
    if (end > this.data.length) {
      const grown = Buffer.alloc(Math.max(end, this.data.length * 2, 4096));
      this.data.copy(grown, 0, 0, this.length);
      this.data = grown;
    }
    chunk.copy(this.data, offset);
    this.length = Math.max(this.length, end);
  }

  read(offset: Bytes, length: Bytes): Buffer {
    return Buffer.from(this.data.subarray(Math.min(offset, this.length), Math.min(offset + length, this.length)));
  }

  truncate(size: Bytes): void {
    if (size < this.length) this.data.fill(0, size, this.length);
    else if (size > this.length) this.write(size, Buffer.alloc(0));
    this.length = size;
  }
}
