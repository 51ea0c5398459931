import type { Bytes } from '../base/units.js';
import type { InputStore } from '../procchain/input-store.js';

/**
 * A chain's `in` in `realtime on` mode: data written is forwarded as it arrives, through a bounded
 * buffer (a writer waits while it is full), and forgotten once fed: memory stays flat however long it runs.
 */
export class LiveInput implements InputStore {
  private chunks: Buffer[] = [];
  private base: Bytes = 0;
  private total: Bytes = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly limit: Bytes = 256 * 1024) {}

  get size(): Bytes {
    return this.total;
  }

  /** Bytes written but not fed yet. */
  get buffered(): Bytes {
    return this.total - this.base;
  }

  async write(_offset: Bytes, data: Buffer): Promise<void> {
    while (this.buffered >= this.limit) await new Promise<void>((r) => this.waiters.push(r));
    this.chunks.push(Buffer.from(data));
    this.total += data.length;
  }

  read(offset: Bytes, length: Bytes): Buffer {
    this.forget(offset);
    const parts: Buffer[] = [];
    let at = this.base;
    let n = 0;
    for (const c of this.chunks) {
      if (n >= length) break;
      const start = Math.max(0, offset - at);
      if (start < c.length) {
        const piece = c.subarray(start, start + (length - n));
        parts.push(piece);
        n += piece.length;
      }
      at += c.length;
    }
    return Buffer.concat(parts, n);
  }

  truncate(): void {
    this.forget(this.total);
  }

  /** Drops what waits to be fed (the chain stopped): a writer held back by a full buffer goes on. */
  discard(): void {
    this.forget(this.total);
  }

  /** Drops what lies before `offset` (it has been fed) and wakes waiting writers. */
  private forget(offset: Bytes): void {
    while (this.chunks.length > 0 && this.base + this.chunks[0].length <= offset) {
      this.base += this.chunks.shift()!.length;
    }
    if (this.buffered < this.limit) for (const w of this.waiters.splice(0)) w();
  }
}
