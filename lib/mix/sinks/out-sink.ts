import { LiveStream, type LiveReader, type ReaderOptions } from '../../base/live-stream.js';
import type { Bytes } from '../../base/units.js';
import type { Sink } from '../sink.js';

/** The most `collect on` keeps: 256 MiB, about 25 minutes of 16-bit stereo at 44.1 kHz; older audio is dropped first. */
export const COLLECT_MAX: Bytes = 256 * 1024 * 1024;

/** /out as a sink: a LiveStream of the (traced) mix, lossless in export mode, and `collect on` keeping all since (at most `collectMax`). */
export class OutSink implements Sink {
  readonly name = '/out';
  readonly layout = 'trace' as const;
  readonly stream: LiveStream;
  private collected: Buffer[] | undefined;
  private collectedBytes: Bytes = 0;
  /** Bytes collect dropped (the oldest) to stay within its bound, since `collect on`. */
  collectDropped: Bytes = 0;
  private readonly collectMax: Bytes;
  private readonly onCollectDrop: ((message: string) => void) | undefined;

  constructor(options: { limit?: Bytes; stallMs?: number; onLoss?: (reason: string) => void; collectMax?: Bytes; onCollectDrop?: (message: string) => void } = {}) {
    this.stream = new LiveStream(options);
    this.stream.start();
    this.collectMax = options.collectMax ?? COLLECT_MAX;
    this.onCollectDrop = options.onCollectDrop;
  }

  setMode(mode: 'realtime' | 'export'): void {
    this.stream.setLossless(mode === 'export');
  }

  /** collect on|off: keep everything played from now on for new readers (off drops what was kept). */
  setCollect(options: { on: boolean }): void {
    this.collected = options.on ? (this.collected ?? []) : undefined;
    if (!options.on) this.collectedBytes = this.collectDropped = 0;
  }

  get collecting(): boolean {
    return this.collected !== undefined;
  }

  /** Bytes kept by collect. */
  get collectedSize(): Bytes {
    return this.collectedBytes;
  }

  /** Opens a reader of /out: with collect on it first gets everything since `collect on`, then the live mix. */
  openReader(options: ReaderOptions = {}): LiveReader {
    const initial = [...(this.collected ?? []), ...(options.initial ?? [])];
    return this.stream.openReader({ ...options, initial });
  }

  write(pcm: Buffer): void | Promise<void> {
    if (this.collected) {
      this.collected.push(Buffer.from(pcm));
      this.collectedBytes += pcm.length;
      // Whole periods go, oldest first: what is kept still starts on a frame.
      while (this.collectedBytes > this.collectMax && this.collected.length > 1) {
        const old = this.collected.shift()!;
        this.collectedBytes -= old.length;
        if (this.collectDropped === 0) this.onCollectDrop?.(`collect: keeping the last ${this.collectMax} bytes of /out; older audio is dropped from here on`);
        this.collectDropped += old.length;
      }
    }
    if (!this.stream.write(pcm)) return this.stream.whenWritable();
  }

  /** Ends every reader after its queued data (the transport stopped in export mode) and starts a new run. */
  async end(): Promise<void> {
    this.stream.end();
    this.stream.start();
  }
}
