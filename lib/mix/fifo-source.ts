import type { Bytes } from '../base/units.js';
import type { MixSource } from './source.js';
import { bytesPerFrame, type PcmFormat } from '../base/pcm-format.js';

const EMPTY = Buffer.alloc(0);

/** A MixSource fed by hand: push() PCM as it arrives, end() when the producer is done. */
export class FifoSource implements MixSource {
  private chunks: Buffer[] = [];
  private queued: Bytes = 0;
  private finished = false;
  private readonly listeners = new Set<() => void>();
  private readonly frameBytes: Bytes;

  constructor(readonly name: string, format: PcmFormat) {
    this.frameBytes = bytesPerFrame(format);
  }

  /** Appends PCM (any length; partial frames wait for the rest). */
  push(pcm: Buffer): void {
    if (this.finished) throw new Error(`${this.name}: push after end (expected no more data once end() was called)`);
    if (pcm.length === 0) return;
    this.chunks.push(pcm);
    this.queued += pcm.length;
    this.notify();
  }

  /** Marks the end of the data. */
  end(): void {
    this.finished = true;
    this.notify();
  }

  available(): Bytes {
    return this.queued - (this.queued % this.frameBytes);
  }

  get complete(): boolean {
    return this.finished;
  }

  get ended(): boolean {
    return this.finished && this.available() === 0;
  }

  take(bytes: Bytes): Buffer {
    let n = Math.min(bytes, this.available());
    n -= n % this.frameBytes;
    if (n === 0) return EMPTY;
    const first = this.chunks[0];
    if (first.length >= n) {
      // The common case (a period out of a larger chunk): a view, no list of parts.
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.queued -= n;
      const out = first.length === n ? first : first.subarray(0, n);
      if (this.ended) this.notify();
      return out;
    }
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const c = this.chunks[0];
      const want = n - got;
      if (c.length <= want) {
        parts.push(c);
        got += c.length;
        this.chunks.shift();
      } else {
        parts.push(c.subarray(0, want));
        this.chunks[0] = c.subarray(want);
        got += want;
      }
    }
    this.queued -= n;
    const out = parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
    if (this.ended) this.notify();
    return out;
  }

  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private notify(): void {
    for (const cb of [...this.listeners]) cb();
  }
}
