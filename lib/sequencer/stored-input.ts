import { fstatSync } from 'node:fs';
import { copyFile, open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Bytes } from '../base/units.js';
import { SerialQueue } from './serial-queue.js';

/** Options of a StoredInput. */
export interface StoredInputOptions {
  /** Directory for the spill file (the project's state directory). */
  spillDir: string;
  /** Bytes kept in memory before everything moves to the spill file (default 16 MiB). */
  memoryLimit?: Bytes;
  /** A name for the spill file, to tell them apart (default 'input'). */
  name?: string;
}

/** Options of a stream over a StoredInput. */
export interface StreamOptions {
  /** Keep waiting for data appended later while a writer holds the input open, until dispose() or the signal (default false). */
  follow?: boolean;
  signal?: AbortSignal;
  /** Largest chunk handed out (default 64 KiB). */
  chunkSize?: Bytes;
}

const DEFAULT_MEMORY_LIMIT: Bytes = 16 * 1024 * 1024;
const DEFAULT_CHUNK: Bytes = 64 * 1024;

/** The stored inputs of this process that were not disposed: what they hold, counted when asked. */
export interface InputCensus {
  inputs: number;
  /** Bytes of memory their contents take (what is spilled is on disk instead). */
  memoryBytes: Bytes;
  /** How many of them are in a spill file. */
  spilled: number;
}

const live = new Set<StoredInput>();

/** What was written to an `in` file: in memory up to a limit, then in a spill file; async I/O only. */
export class StoredInput {
  private readonly options: Required<StoredInputOptions>;
  private readonly queue = new SerialQueue();
  private memory: Buffer | null = Buffer.alloc(0);
  private file: FileHandle | null = null;
  private filePath: string | null = null;
  private length: Bytes = 0;
  private writers = 0;
  private disposed = false;
  private waiters: (() => void)[] = [];

  constructor(options: StoredInputOptions) {
    this.options = { memoryLimit: DEFAULT_MEMORY_LIMIT, name: 'input', ...options };
    live.add(this);
  }

  /** Every input of this process not disposed yet (one that is dropped and never disposed stays counted). */
  static census(): InputCensus {
    const census: InputCensus = { inputs: live.size, memoryBytes: 0, spilled: 0 };
    for (const input of live) {
      census.memoryBytes += input.memory?.length ?? 0;
      if (input.file) census.spilled++;
    }
    return census;
  }

  /** Bytes stored. */
  get size(): Bytes {
    return this.length;
  }

  /** The spill file, once the contents live there (they do not come back to memory). */
  spillFile(): string | undefined {
    return this.filePath ?? undefined;
  }

  /** What the contents take: their size in memory, the spill file's allocated blocks once spilled (holes are free). */
  storedBytes(): Bytes {
    if (!this.file) return this.length;
    try {
      return Math.min(this.length, fstatSync(this.file.fd).blocks * 512);
    } catch {
      return this.length;
    }
  }

  /** True once the contents live in the spill file. */
  get spilled(): boolean {
    return this.file !== null;
  }

  /** Stores `buf` at `offset` (a gap reads as zeros); resolves to the bytes written. */
  write(offset: Bytes, buf: Uint8Array): Promise<Bytes> {
    return this.queue.run(async () => {
      this.assertLive('write');
      const end = offset + buf.length;
      if (this.memory && end > this.options.memoryLimit) await this.spill();
      if (this.memory) {
        this.reserve(end);
        this.memory.set(buf, offset);
      } else {
        await this.file!.write(buf, 0, buf.length, offset);
      }
      this.length = Math.max(this.length, end);
      this.wake();
      return buf.length;
    });
  }

  /** Up to `length` bytes from `offset` (fewer at the end, none past it). */
  read(offset: Bytes, length: Bytes): Promise<Buffer> {
    return this.queue.run(async () => {
      this.assertLive('read');
      const count = Math.max(0, Math.min(length, this.length - offset));
      if (count === 0) return Buffer.alloc(0);
      if (this.memory) return Buffer.from(this.memory.subarray(offset, offset + count));
      const out = Buffer.allocUnsafe(count);
      const { bytesRead } = await this.file!.read(out, 0, count, offset);
      return out.subarray(0, bytesRead);
    });
  }

  /**
   * Copies the contents to a new file at `path` (mode 0600); once spilled, the kernel copies it
   * (copy_file_range) and no data passes through JavaScript. A write meanwhile may or may not be in the
   * copy: a caller that needs it exact compares a version before and after.
   */
  async copyTo(path: string, options: { copyFile?: (from: string, to: string) => Promise<void> } = {}): Promise<void> {
    const source = await this.queue.run(async () => {
      this.assertLive('copy');
      return this.memory ? Buffer.from(this.memory.subarray(0, this.length)) : this.filePath!;
    });
    if (typeof source === 'string') await (options.copyFile ?? copyFile)(source, path);
    else await writeFile(path, source, { mode: 0o600 });
  }

  /** Cuts or extends (with zeros) the contents to `size` bytes. */
  truncate(size: Bytes): Promise<void> {
    return this.queue.run(async () => {
      this.assertLive('truncate');
      if (this.memory && size > this.options.memoryLimit) await this.spill();
      if (this.memory) {
        if (size < this.length) this.memory.fill(0, size, this.length);
        else this.reserve(size);
      } else {
        await this.file!.truncate(size);
      }
      this.length = size;
      this.wake();
    });
  }

  /** Empties the input and removes its spill file. */
  clear(): Promise<void> {
    return this.queue.run(async () => {
      this.assertLive('clear');
      await this.dropFile();
      this.memory = Buffer.alloc(0);
      this.length = 0;
      this.wake();
    });
  }

  /** Whether more may still come: a writer holds the input open (a follower at the end waits while it does). */
  get growing(): boolean {
    return this.writers > 0;
  }

  /** A writer opened (+1) or closed (-1) the file this input is behind; the last close ends followers at the end. */
  countWriter(delta: 1 | -1): void {
    this.writers = Math.max(0, this.writers + delta);
    this.wake();
  }

  /** Ends every stream and removes the spill file. */
  dispose(): Promise<void> {
    return this.queue.run(async () => {
      if (this.disposed) return;
      this.disposed = true;
      live.delete(this);
      this.memory = null;
      await this.dropFile();
      this.wake();
    });
  }

  /** The contents from `from` as chunks; with `follow`, also what is appended later. */
  async *chunks(from: Bytes = 0, options: StreamOptions = {}): AsyncGenerator<Buffer> {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
    let position = from;
    while (!this.disposed && !options.signal?.aborted) {
      if (position < this.length) {
        const chunk = await this.read(position, chunkSize);
        if (chunk.length === 0) continue;
        position += chunk.length;
        yield chunk;
      } else if (!options.follow || !this.growing) {
        return;
      } else {
        await this.changed(options.signal);
      }
    }
  }

  /** A Readable of the contents from `from` (see chunks); it pulls, so a slow consumer holds nothing in memory. */
  createReadStream(from: Bytes = 0, options: StreamOptions = {}): Readable {
    return Readable.from(this.chunks(from, options), { objectMode: false });
  }

  private changed(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private reserve(size: Bytes): void {
    const memory = this.memory!;
    if (size <= memory.length) return;
    const grown = Buffer.alloc(Math.min(Math.max(size, memory.length * 2, 4096), Math.max(size, this.options.memoryLimit)));
    grown.set(memory.subarray(0, this.length));
    this.memory = grown;
  }

  private async spill(): Promise<void> {
    const path = join(this.options.spillDir, `${this.options.name}.${randomBytes(6).toString('hex')}.spill`);
    const file = await open(path, 'w+', 0o600);
    await file.write(this.memory!, 0, this.length, 0);
    this.file = file;
    this.filePath = path;
    this.memory = null;
  }

  private async dropFile(): Promise<void> {
    const file = this.file;
    const path = this.filePath;
    this.file = null;
    this.filePath = null;
    if (file) await file.close();
    if (path) await rm(path, { force: true });
  }

  private assertLive(op: string): void {
    if (this.disposed) throw new Error(`stored input ${op}: expected a live input, got one already disposed`);
  }
}
