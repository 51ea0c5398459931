import { mkdir, open, readdir, readFile, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AudiofsError } from '../../base/errors.js';
import { bytesPerSecond, type PcmFormat } from '../../base/pcm-format.js';
import type { Bytes } from '../../base/units.js';
import type { Sink, SinkLayout } from '../sink.js';
import { FILE_BLOCK_FRAMES, lameEncoderFactory, type Mp3Encoder, type Mp3EncoderFactory } from './mp3-encoder.js';
import { WAV_HEADER_BYTES, wavHeader } from './wav-header.js';

/** What an export file holds, from its extension. */
export type ExportKind = 'wav' | 'mp3' | 'raw';

const KINDS: Record<string, ExportKind> = { '.wav': 'wav', '.mp3': 'mp3', '.raw': 'raw', '.pcm': 'raw' };

/** The kind of an export file by its extension; EINVAL saying what was expected otherwise. */
export function exportKindOf(file: string): ExportKind {
  const ext = extname(file).toLowerCase();
  const kind = KINDS[ext];
  if (!kind) throw new AudiofsError('EINVAL', 'export', file, `unknown extension '${ext || '(none)'}' (expected .wav, .mp3, .raw or .pcm)`);
  return kind;
}

/** Options of a FileExportSink. */
export interface FileExportOptions {
  file: string;
  /** The format of what the sink gets: with trace on, channels = sources x project channels (WAV and raw only). */
  format: PcmFormat;
  /** MP3 bitrate, kbit/s (default 192). */
  bitrate?: number;
  encoderFactory?: Mp3EncoderFactory;
  /**
   * A directory where the export notes its temporary file while it is written, so that the temporary of an
   * export killed with its mount is found and removed at the next start (removeStaleExports).
   */
  pendingDir?: string;
}

/** The subdirectory of a mount's spill directory where exports being written are noted. */
export const EXPORTS_DIR = 'exports';

/** How an export ended: complete (renamed to its name), stopped, or failed; neither of the last two leaves a file. */
export type ExportOutcome = { state: 'done' } | { state: 'stopped' } | { state: 'failed'; error: Error };

/** PCM gathered before each write: one system call (and one wake of a pool thread) a MiB, not one per mix step. */
const WRITE_BATCH: Bytes = 1024 * 1024;

/** Renders the mix to a WAV, MP3 or raw file, written under a temporary name and renamed when complete. */
export class FileExportSink implements Sink {
  readonly name: string;
  readonly layout: SinkLayout;
  /** PCM bytes received. */
  received: Bytes = 0;
  private offset: Bytes = 0;
  /** Data not yet handed to the file, in order: everything that came while the last write ran. */
  private queue: Buffer[] = [];
  private queuedBytes: Bytes = 0;
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;
  private readonly maxBacklog: Bytes;
  private settle!: (outcome: ExportOutcome) => void;
  private settledAs: ExportOutcome | undefined;
  /** Resolves once the export has ended one way or the other, its temporary file gone. */
  readonly settled: Promise<ExportOutcome> = new Promise((resolve) => (this.settle = resolve));

  private constructor(
    private readonly file: string,
    private readonly temp: string,
    private readonly kind: ExportKind,
    private readonly handle: FileHandle,
    private readonly format: PcmFormat,
    private readonly encoder: Mp3Encoder | undefined,
    private readonly note: string | undefined,
  ) {
    this.name = `export ${basename(file)}`;
    this.layout = kind === 'mp3' ? 'mix' : 'trace';
    this.maxBacklog = bytesPerSecond(format);
    if (kind === 'wav') this.offset = WAV_HEADER_BYTES;
    encoder?.onData((mp3) => this.append(mp3));
  }

  /** Opens the temporary file; throws EINVAL for an unknown extension. */
  static async open(options: FileExportOptions): Promise<FileExportSink> {
    const kind = exportKindOf(options.file);
    const id = randomBytes(4).toString('hex');
    const temp = join(dirname(options.file), `.${basename(options.file)}.${id}.tmp`);
    let note: string | undefined;
    if (options.pendingDir) {
      await mkdir(options.pendingDir, { recursive: true, mode: 0o700 });
      note = join(options.pendingDir, `${id}.export`);
      await writeFile(note, temp);
    }
    const handle = await open(temp, 'wx').catch(async (err) => {
      if (note) await unlink(note).catch(() => undefined);
      throw err;
    });
    const encoder = kind === 'mp3'
      ? (options.encoderFactory ?? lameEncoderFactory)({ format: options.format, bitrate: options.bitrate ?? 192, blockFrames: FILE_BLOCK_FRAMES })
      : undefined;
    if (kind === 'wav') await handle.write(wavHeader(options.format, 0), 0, WAV_HEADER_BYTES, 0);
    return new FileExportSink(options.file, temp, kind, handle, options.format, encoder, note);
  }

  /** Queues the period for the file; waits only while a batch is being written and another is full. */
  async write(pcm: Buffer): Promise<void> {
    if (this.failure) return this.fail(this.failure);
    this.received += pcm.length;
    if (this.encoder) {
      void this.encoder.encode(Buffer.from(pcm));
      // The blocks sent, not this PCM: it may wait in a block that only the next writes fill.
      if (this.encoder.backlog > this.maxBacklog) await this.encoder.settled();
      return;
    }
    this.append(pcm);
    if (this.queuedBytes > WRITE_BATCH) await this.flushing;
    if (this.failure) return this.fail(this.failure);
  }

  /** Completes the file (WAV sizes, last MP3 frames) and renames it to its name. */
  async end(): Promise<void> {
    try {
      if (this.encoder) await this.encoder.finish();
      this.flushing ??= this.flush();
      await this.flushing;
      if (this.failure) throw this.failure;
      if (this.kind === 'wav') await this.handle.write(wavHeader(this.format, this.received), 0, WAV_HEADER_BYTES, 0);
      await this.handle.close();
      await rename(this.temp, this.file);
      await this.forget({ state: 'done' });
    } catch (err) {
      await this.fail(err as Error);
    }
  }

  /** Stops it (the run was stopped): the temporary file is removed and nothing appears under the name. */
  async abort(): Promise<void> {
    await this.discard({ state: 'stopped' });
  }

  /** Fails it: the temporary file goes, and the error is thrown (the engine takes the sink out). */
  private async fail(err: Error): Promise<never> {
    await this.discard({ state: 'failed', error: err });
    throw err;
  }

  private async discard(outcome: ExportOutcome): Promise<void> {
    if (this.settledAs) return;
    await this.handle.close().catch(() => undefined);
    await unlink(this.temp).catch(() => undefined);
    await this.forget(outcome);
  }

  private async forget(outcome: ExportOutcome): Promise<void> {
    if (this.settledAs) return;
    this.settledAs = outcome;
    if (this.note) await unlink(this.note).catch(() => undefined);
    this.settle(outcome);
  }

  /** Queues data for the file as it is: the engine and the encoder never change a buffer once handed on. */
  private append(data: Buffer): void {
    this.queue.push(data);
    this.queuedBytes += data.length;
    if (this.queuedBytes >= WRITE_BATCH) this.flushing ??= this.flush();
  }

  /** Writes the queue in as few system calls as it allows: one writev for all that came during the last write. */
  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.failure) {
        const buffers = this.queue;
        const bytes = this.queuedBytes;
        this.queue = [];
        this.queuedBytes = 0;
        await this.handle.writev(buffers, this.offset);
        this.offset += bytes;
      }
    } catch (err) {
      this.failure = err as Error;
    } finally {
      this.flushing = undefined;
    }
  }
}

/** Removes the temporary files of exports a killed mount left (noted in `pendingDir`); returns their paths. */
export async function removeStaleExports(pendingDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(pendingDir).catch(() => [] as string[])) {
    if (!name.endsWith('.export')) continue;
    const note = join(pendingDir, name);
    const temp = await readFile(note, 'utf8').catch(() => '');
    // Only what an export names as its temporary: a dot file ending in .tmp.
    if (/^\/.*\/\.[^/]+\.[0-9a-f]{8}\.tmp$/.test(temp)) {
      await unlink(temp).then(() => removed.push(temp), () => undefined);
    }
    await unlink(note).catch(() => undefined);
  }
  return removed;
}
