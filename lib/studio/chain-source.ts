import { bytesPerFrame, type PcmFormat } from '../base/pcm-format.js';
import type { Bytes } from '../base/units.js';
import { FifoSource } from '../mix/fifo-source.js';
import type { Target } from '../procchain/target.js';

/** A chain's output as the mixer sees it: a FIFO the chain writes into, holding the chain back when full. */
export class ChainSource extends FifoSource implements Target {
  private readonly highWater: Bytes;
  private waiters: Array<() => void> = [];

  /**
   * `buffer`: how much may wait for the mixer before the chain is held back (small in realtime: latency).
   * `quiet`: whether the chain has nothing to say now (its live input is idle).
   */
  constructor(name: string, format: PcmFormat, private readonly options: { buffer: Bytes; quiet?: () => boolean }) {
    super(name, format);
    this.highWater = Math.max(options.buffer, bytesPerFrame(format));
  }

  quiet(): boolean {
    return this.options.quiet?.() ?? false;
  }

  write(chunk: Buffer): boolean {
    if (this.complete) return true;
    this.push(chunk);
    return this.available() < this.highWater;
  }

  whenWritable(): Promise<void> {
    if (this.complete || this.available() < this.highWater) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  override take(bytes: Bytes): Buffer {
    const out = super.take(bytes);
    if (this.available() < this.highWater && this.waiters.length > 0) {
      for (const w of this.waiters.splice(0)) w();
    }
    return out;
  }

  override end(): void {
    if (this.complete) return;
    super.end();
    for (const w of this.waiters.splice(0)) w();
  }
}
