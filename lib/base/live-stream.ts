import { interruptedError } from './errors.js';
import type { Bytes } from './units.js';

/** Options of a LiveStream. */
export interface LiveStreamOptions {
  /** Bytes a reader may have queued; past it a lossy reader loses the oldest data. */
  limit?: Bytes;
  /** Lossless mode (export): writers are held back while a reader is full, instead of it losing data. */
  lossless?: boolean;
  /** In lossless mode, a full reader that has not read for this long becomes lossy (so it cannot stall the producer). */
  stallMs?: number;
  /** Called when a reader starts to lose data (once per reader). */
  onLoss?: (reason: string) => void;
}

/** Options of one reader. */
export interface ReaderOptions {
  /** O_NONBLOCK: gets what `initial` holds and then end of file; never waits. */
  nonblocking?: boolean;
  /** Data this reader gets first (the recent lines of /log, say). */
  initial?: Buffer[];
  /** Start only at a chunk written with `sync: true` (an MP3 frame boundary). */
  atSync?: boolean;
  /** Called when this reader fell behind and lost data (an HTTP listener is dropped then). */
  onOverflow?: () => void;
}

/** A live byte stream with many readers: each gets the data written from the moment it opened. */
export class LiveStream {
  private readonly limit: Bytes;
  private readonly stallMs: number;
  private readonly onLoss: ((reason: string) => void) | undefined;
  private lossless: boolean;
  private readonly readers = new Set<LiveReader>();
  private writableWaiters: Array<() => void> = [];
  private readonly readerWatchers = new Set<() => void>();
  private running = false;
  /** Bytes written since the stream was created (for status and tests). */
  written: Bytes = 0;

  constructor(options: LiveStreamOptions = {}) {
    this.limit = options.limit ?? 4 * 1024 * 1024;
    this.stallMs = options.stallMs ?? 5000;
    this.lossless = options.lossless ?? false;
    this.onLoss = options.onLoss;
  }

  /** Switches between lossless (export) and lossy (realtime) delivery. */
  setLossless(lossless: boolean): void {
    this.lossless = lossless;
    if (!lossless) this.wakeWriters();
  }

  /** Marks the stream as running: readers opened from now on take part in this run. */
  start(): void {
    this.running = true;
  }

  /** Whether the stream is between start() and end(). */
  get isRunning(): boolean {
    return this.running;
  }

  /** Hands a chunk to every reader; false when a lossless reader is full and the writer should wait (whenWritable). */
  write(chunk: Buffer, options: { sync?: boolean } = {}): boolean {
    if (chunk.length === 0) return true;
    this.written += chunk.length;
    let writable = true;
    for (const r of this.readers) {
      if (!r.offer(chunk, options.sync ?? false)) writable = false;
    }
    return writable;
  }

  /** Resolves when no lossless reader is full (at once if none is). */
  whenWritable(): Promise<void> {
    if (this.isWritable()) return Promise.resolve();
    return new Promise((resolve) => {
      this.writableWaiters.push(resolve);
      this.armStallTimer();
    });
  }

  /** Ends the current run: every reader gets what it has queued, then end of file. */
  end(): void {
    this.running = false;
    for (const r of [...this.readers]) r.finish();
    this.wakeWriters();
  }

  /** Ends every reader at once, queued data dropped (unmount, removal). */
  abort(): void {
    this.running = false;
    for (const r of [...this.readers]) r.cancel();
    this.wakeWriters();
  }

  /** Opens a reader; see ReaderOptions. */
  openReader(options: ReaderOptions = {}): LiveReader {
    const reader = new LiveReader(this, options);
    if (!options.nonblocking) {
      this.readers.add(reader);
      for (const w of this.readerWatchers) w();
    }
    return reader;
  }

  /** Calls `watcher` whenever a reader attaches (before it can be given data) or detaches; returns the unwatch. */
  watchReaders(watcher: () => void): () => void {
    this.readerWatchers.add(watcher);
    return () => this.readerWatchers.delete(watcher);
  }

  /** How many readers are attached. */
  get readerCount(): number {
    return this.readers.size;
  }

  /** @internal */
  detach(reader: LiveReader): void {
    if (this.readers.delete(reader)) for (const w of this.readerWatchers) w();
    this.wakeWriters();
  }

  /** @internal */
  get queueLimit(): Bytes { return this.limit; }
  /** @internal */
  get isLossless(): boolean { return this.lossless; }
  /** @internal */
  reportLoss(reason: string): void { this.onLoss?.(reason); }

  /** @internal called when a reader took data */
  wakeWriters(): void {
    if (this.writableWaiters.length === 0 || !this.isWritable()) return;
    const waiters = this.writableWaiters;
    this.writableWaiters = [];
    for (const w of waiters) w();
  }

  private isWritable(): boolean {
    if (!this.lossless) return true;
    for (const r of this.readers) if (r.isFull) return false;
    return true;
  }

  private stallTimer: NodeJS.Timeout | undefined;
  private armStallTimer(): void {
    if (this.stallTimer) return;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      const now = Date.now();
      for (const r of this.readers) {
        if (r.isFull && now - r.lastReadAt >= this.stallMs) r.demote();
      }
      this.wakeWriters();
      if (this.writableWaiters.length > 0) this.armStallTimer();
    }, this.stallMs);
    this.stallTimer.unref();
  }
}

/** Resolves when `p` does; rejects with EINTR at once if the signal fires first. */
function untilOrAborted(p: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(interruptedError(signal, 'read'));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(interruptedError(signal, 'read'));
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/** How long a read in export mode waits for more to fill its buffer (readInto). */
const GATHER_MS = 2;

/** One reader of a LiveStream: read() resolves with the next data, or null at end of file. */
export class LiveReader {
  private queue: Buffer[] = [];
  /** The readInto before this one: the next waits for it. */
  private readTurn: Promise<void> = Promise.resolve();
  /** Called as data is queued or the reader ends, while a read gathers (readInto). */
  private arrived: (() => void) | undefined;
  private queued: Bytes = 0;
  private waiting: Array<{ max: number; resolve: (b: Buffer | null) => void }> = [];
  private done = false;
  private lossy = false;
  private synced: boolean;
  private readonly nonblocking: boolean;
  private readonly onOverflow: (() => void) | undefined;
  /** When this reader last took data (ms since the epoch). */
  lastReadAt = Date.now();
  /** Bytes this reader lost because it fell behind. */
  lost: Bytes = 0;

  constructor(private readonly stream: LiveStream, options: ReaderOptions) {
    this.nonblocking = options.nonblocking ?? false;
    this.synced = !(options.atSync ?? false);
    this.onOverflow = options.onOverflow;
    for (const b of options.initial ?? []) this.push(b);
    if (this.nonblocking) this.done = true;
  }

  /** Whether this reader holds back a lossless writer. */
  get isFull(): boolean {
    return !this.lossy && !this.done && this.queued >= this.stream.queueLimit;
  }

  /** @internal takes a chunk from the stream; false when full in lossless mode */
  offer(chunk: Buffer, sync: boolean): boolean {
    if (this.done) return true;
    if (!this.synced) {
      if (!sync) return true;
      this.synced = true;
    }
    if (this.waiting.length > 0 && this.queued === 0) {
      const w = this.waiting.shift()!;
      this.lastReadAt = Date.now();
      if (chunk.length <= w.max) {
        w.resolve(chunk);
        return true;
      }
      w.resolve(chunk.subarray(0, w.max));
      chunk = chunk.subarray(w.max);
    }
    this.push(chunk);
    if (this.queued <= this.stream.queueLimit) return true;
    if (this.stream.isLossless && !this.lossy) return false;
    this.overflow();
    return true;
  }

  /**
   * The next data, at most `max` bytes; waits for it unless nonblocking; null is end of file.
   * When `signal` fires first, the read rejects with EINTR and takes nothing: what arrives stays
   * queued for this reader's next read, and the other readers see no difference.
   */
  read(max: number, signal?: AbortSignal): Promise<Buffer | null> {
    if (signal?.aborted) return Promise.reject(interruptedError(signal, 'read'));
    this.lastReadAt = Date.now();
    if (this.queued > 0) {
      const out = this.take(max);
      this.stream.wakeWriters();
      return Promise.resolve(out);
    }
    if (this.done) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const waiter = {
        max,
        resolve: (b: Buffer | null) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(b);
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i < 0) return;
        this.waiting.splice(i, 1);
        reject(interruptedError(signal!, 'read'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /**
   * read(), copied straight into `target` (a FUSE reply's buffer) instead of a buffer of its own: the bytes
   * given, 0 at end of file.
   */
  readInto(target: Buffer, signal?: AbortSignal): Promise<number> {
    // Two reads in flight on one open (threads sharing it) take turns: each gathers whole, in order.
    const turn = this.readTurn;
    const mine = (async () => {
      await untilOrAborted(turn, signal);
      return this.readIntoNow(target, signal);
    })();
    this.readTurn = mine.then(() => undefined, () => undefined);
    return mine;
  }

  private async readIntoNow(target: Buffer, signal?: AbortSignal): Promise<number> {
    if (this.queued === 0 || signal?.aborted) {
      const first = await this.read(target.length, signal);
      if (first === null) return 0;
      // Export mode: a chain writes a few KiB at a time; the read is filled with what comes within GATHER_MS
      // (a reader of `out` then makes one request where it made dozens). Realtime answers at once.
      if (!this.stream.isLossless || first.length === target.length) return first.copy(target);
      this.push(first, true);
    }
    if (this.stream.isLossless && this.queued < target.length && !this.done) {
      await this.gather(target.length, signal);
      if (signal?.aborted) throw interruptedError(signal, 'read');
    }
    this.lastReadAt = Date.now();
    let n = 0;
    for (const part of this.takeParts(target.length)) n += part.copy(target, n);
    this.stream.wakeWriters();
    return n;
  }

  /** Ends this reader after its queued data (the run ended). */
  finish(): void {
    this.done = true;
    this.arrived?.();
    this.stream.detach(this);
    for (const w of this.waiting.splice(0)) w.resolve(this.queued > 0 ? this.take(w.max) : null);
  }

  /** Ends this reader now: pending reads get end of file, queued data is dropped. */
  cancel(): void {
    this.queue = [];
    this.queued = 0;
    this.finish();
  }

  /** Closes the reader (release of the file handle). */
  close(): void {
    this.cancel();
  }

  /** @internal a stalled reader stops holding back the writer */
  demote(): void {
    if (this.lossy) return;
    this.lossy = true;
    this.stream.reportLoss('a reader stopped reading; it now loses data instead of holding the stream back');
    this.trim();
  }

  private overflow(): void {
    if (!this.lossy) {
      this.lossy = true;
      this.stream.reportLoss('a reader fell behind and lost data');
    }
    this.onOverflow?.();
    this.trim();
  }

  private trim(): void {
    while (this.queued > this.stream.queueLimit && this.queue.length > 0) {
      const b = this.queue.shift()!;
      this.queued -= b.length;
      this.lost += b.length;
    }
  }

  private push(b: Buffer, front = false): void {
    if (b.length === 0) return;
    if (front) this.queue.unshift(b);
    else this.queue.push(b);
    this.queued += b.length;
    this.arrived?.();
  }

  /** Waits until `bytes` are queued, the stream ended, the signal fired or GATHER_MS passed. */
  private gather(bytes: Bytes, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.arrived = undefined;
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, GATHER_MS);
      signal?.addEventListener('abort', done, { once: true });
      this.arrived = () => { if (this.queued >= bytes || this.done) done(); };
      this.arrived();
    });
  }

  private take(max: number): Buffer {
    const parts = this.takeParts(max);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** The queued chunks (the last one cut) that make up the next `max` bytes at most, taken off the queue. */
  private takeParts(max: number): Buffer[] {
    const parts: Buffer[] = [];
    let n = 0;
    while (this.queue.length > 0 && n < max) {
      const b = this.queue[0];
      const want = max - n;
      if (b.length <= want) {
        parts.push(b);
        n += b.length;
        this.queue.shift();
      } else {
        parts.push(b.subarray(0, want));
        this.queue[0] = b.subarray(want);
        n += want;
      }
    }
    this.queued -= n;
    return parts;
  }
}
