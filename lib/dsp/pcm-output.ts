import type { Writable } from 'node:stream';

/** Where a program's PCM goes: writes respect backpressure, and a closed reader (EPIPE) ends output quietly. */
export class PcmOutput {
  private closedByReader = false;
  private waiters: Array<() => void> = [];

  constructor(private readonly stream: Writable) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
      this.closedByReader = true;
      this.wake();
    });
    stream.on('drain', () => this.wake());
  }

  /** True once the reader went away: the program should stop and exit 0. */
  get closed(): boolean {
    return this.closedByReader;
  }

  /** Writes one block; resolves when the stream can take more. False when the reader has gone. */
  async write(chunk: Uint8Array): Promise<boolean> {
    if (this.closedByReader) return false;
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return !this.closedByReader;
  }

  /** Lets pending error events arrive (an endless writer calls this between blocks). */
  async yieldToEvents(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Flushes and ends the stream. */
  async end(): Promise<void> {
    if (this.closedByReader) return;
    await new Promise<void>((resolve) => {
      this.stream.once('error', () => resolve());
      this.stream.end(() => resolve());
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
