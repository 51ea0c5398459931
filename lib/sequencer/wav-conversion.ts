import { open, rm, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PcmFormat } from '../base/pcm-format.js';
import type { Bytes, Seconds } from '../base/units.js';
import type { InputStore } from '../procchain/input-store.js';
import type { ConvertReply, ConvertRequest } from './wav-convert-worker.js';
import { incompleteHeaderError, parseWavHeader, WavFormatError } from './wav-header.js';
import { planWavRegion } from './wav-region.js';

/** Options of a WAV conversion. */
export interface WavConversionOptions {
  format: PcmFormat;
  region: { from: Seconds; to?: Seconds };
  /** Where the converted PCM is written (a `.spill` file, removed on dispose). */
  dir: string;
  /** Called as converted data arrives and once at the end (a feeder waiting on it looks again). */
  onProgress?: () => void;
  /** Largest header (all chunks before 'data') accepted (default 1 MiB). */
  maxHeaderBytes?: Bytes;
}

/** Bytes of the WAV file handed to the worker at a time. */
const CHUNK: Bytes = 64 * 1024;
/** Chunks handed over and not yet converted: enough to keep the worker busy, never the whole file. */
const IN_FLIGHT = 4;

/**
 * A region of a stored WAV input converted to the project format by a worker thread into a spill file,
 * readable (as an InputStore) while it grows: the thread that serves FUSE only moves bytes.
 * The header is checked against the data actually there before the worker starts.
 */
export class WavConversion implements InputStore {
  private written: Bytes = 0;
  private finished = false;
  private failure: Error | undefined;
  private disposed = false;
  private worker: Worker | undefined;
  private readonly ended: Promise<void>;
  private resolveEnded!: () => void;

  private constructor(private readonly file: FileHandle, private readonly path: string, private readonly onProgress: () => void) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /** Checks the header and starts converting; a malformed header or a size that does not match the data throws WavFormatError. */
  static async start(source: InputStore, options: WavConversionOptions): Promise<WavConversion> {
    const maxHeader = options.maxHeaderBytes ?? 1024 * 1024;
    const head = await source.read(0, Math.min(source.size, maxHeader + 8));
    const header = parseWavHeader(head);
    if (!header) {
      if (head.length > maxHeader) throw new WavFormatError(`expected a 'data' chunk within ${maxHeader} bytes, found none`, head.length);
      throw incompleteHeaderError(head);
    }
    const plan = planWavRegion(header, source.size, options.region, options.format);
    const path = join(options.dir, `wav-${randomBytes(6).toString('hex')}.spill`);
    const file = await open(path, 'w+', 0o600);
    const conversion = new WavConversion(file, path, options.onProgress ?? (() => undefined));
    const worker = new Worker(new URL('./wav-convert-worker.js', import.meta.url));
    conversion.worker = worker;
    const send = (message: ConvertRequest) => worker.postMessage(message);
    send({ kind: 'start', layout: header, format: options.format, plan, path });
    void conversion.pump(source, plan.inputFrom, plan.inputTo, send);
    return conversion;
  }

  /** Converted bytes so far. */
  get size(): Bytes {
    return this.written;
  }

  /** True while the worker is still converting (a reader at the end waits for more). */
  get converting(): boolean {
    return !this.finished;
  }

  /** More may still come while it converts (a feeder at the end waits for it). */
  get growing(): boolean {
    return !this.finished;
  }

  /** Why the conversion stopped early, if it did. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Resolves when the conversion has ended (done, failed or disposed). */
  whenEnded(): Promise<void> {
    return this.ended;
  }

  async read(offset: Bytes, length: Bytes): Promise<Buffer> {
    const count = Math.max(0, Math.min(length, this.written - offset));
    if (count === 0 || this.disposed) return Buffer.alloc(0);
    const out = Buffer.allocUnsafe(count);
    const { bytesRead } = await this.file.read(out, 0, count, offset);
    return out.subarray(0, bytesRead);
  }

  write(): never {
    throw new Error('a converted WAV input is read-only');
  }

  truncate(): never {
    throw new Error('a converted WAV input is read-only');
  }

  /** Stops the worker (if still converting), closes and removes the spill file. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.finish();
    await this.worker?.terminate();
    await this.file.close().catch(() => undefined);
    await rm(this.path, { force: true });
  }

  private async pump(source: InputStore, from: Bytes, to: Bytes, send: (m: ConvertRequest) => void): Promise<void> {
    const worker = this.worker!;
    let inFlight = 0;
    let wake: (() => void) | undefined;
    worker.on('message', (reply: ConvertReply) => {
      if (reply.kind === 'error') return this.fail(new Error(`WAV conversion: ${reply.message}`));
      this.written = reply.written;
      if (reply.kind === 'done') this.finish();
      else inFlight--;
      wake?.();
      this.onProgress();
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', () => this.fail(new Error('WAV conversion: the worker ended before the end of the input')));
    try {
      for (let at = from; at < to && !this.finished; at += CHUNK) {
        while (inFlight >= IN_FLIGHT && !this.finished) await new Promise<void>((resolve) => (wake = resolve));
        const bytes = await source.read(at, Math.min(CHUNK, to - at));
        if (this.finished) return;
        inFlight++;
        send({ kind: 'chunk', bytes });
        if (bytes.length === 0) break;
      }
      if (!this.finished) send({ kind: 'end' });
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private fail(err: Error): void {
    if (this.finished) return;
    this.failure = err;
    this.finish();
    this.onProgress();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.resolveEnded();
    if (!this.disposed) void this.worker?.terminate();
  }
}
