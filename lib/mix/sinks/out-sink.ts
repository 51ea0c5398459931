import { LiveStream, type LiveReader, type ReaderOptions } from '../../base/live-stream.js';
import type { Bytes } from '../../base/units.js';
import type { Sink } from '../sink.js';

/** /out as a sink: a LiveStream of the (traced) mix, lossless in export mode, and `collect on` keeping all since. */
export class OutSink implements Sink {
  readonly name = '/out';
  readonly layout = 'trace' as const;
  readonly stream: LiveStream;
  private collected: Buffer[] | undefined;
  private collectedBytes: Bytes = 0;

  constructor(options: { limit?: Bytes; stallMs?: number; onLoss?: (reason: string) => void } = {}) {
    this.stream = new LiveStream(options);
    this.stream.start();
  }

  setMode(mode: 'realtime' | 'export'): void {
    this.stream.setLossless(mode === 'export');
  }

  /** collect on|off: keep everything played from now on for new readers (off drops what was kept). */
  setCollect(options: { on: boolean }): void {
    this.collected = options.on ? (this.collected ?? []) : undefined;
    if (!options.on) this.collectedBytes = 0;
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
    }
    if (!this.stream.write(pcm)) return this.stream.whenWritable();
  }

  /** Ends every reader after its queued data (the transport stopped in export mode) and starts a new run. */
  async end(): Promise<void> {
    this.stream.end();
    this.stream.start();
  }
}
