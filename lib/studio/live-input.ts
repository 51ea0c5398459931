import { AudiofsError, interruptedError } from '../base/errors.js';
import type { Bytes } from '../base/units.js';
import type { InputStore } from '../procchain/input-store.js';

/** What a live input is told when it is made. */
export interface LiveInputOptions {
  /** Bytes held for the chain; a writer waits while they are all taken. Default 256 KiB. */
  limit?: Bytes;
  /** How long a writer waits on a full buffer that nothing takes from before its write fails. Default 5 s. */
  stallMs?: number;
  /** How long after the last write, with everything fed, the input counts as idle. Default 100 ms. */
  idleMs?: number;
  /** The file's path, for the error. */
  where?: string;
  /** Told why a write failed (for /log). */
  onRefused?: (detail: string) => void;
}

/**
 * A chain's `in` in `realtime on` mode: data written is forwarded as it arrives, through a bounded
 * buffer (a writer waits while it is full), and forgotten once fed: memory stays flat however long it runs.
 * A waiting writer that gets a signal (Ctrl-C, kill) ends at once with EINTR and nothing of that write
 * is stored. One that waits longer than `stallMs` without the chain taking anything (it is not playing)
 * gets EPIPE, as a pipe's writer does when nobody reads: a write in flight holds the kernel's lock on the
 * file, so that `rm` of the chain would otherwise wait for it.
 */
export class LiveInput implements InputStore {
  private chunks: Buffer[] = [];
  private base: Bytes = 0;
  private total: Bytes = 0;
  private waiters: Array<() => void> = [];
  private readonly limit: Bytes;
  private readonly stallMs: number;
  private lastWrite = -Infinity;

  constructor(private readonly options: LiveInputOptions = {}) {
    this.limit = options.limit ?? 256 * 1024;
    this.stallMs = options.stallMs ?? 5000;
  }

  get size(): Bytes {
    return this.total;
  }

  /** A device: its chain listens until stopped, whether a writer is open or not. */
  get growing(): boolean {
    return true;
  }

  /** Bytes written but not fed yet. */
  get buffered(): Bytes {
    return this.total - this.base;
  }

  async write(_offset: Bytes, data: Buffer, signal?: AbortSignal): Promise<void> {
    while (this.buffered >= this.limit) {
      if (!(await this.room(signal))) {
        const detail = `nothing took from this live input for ${this.stallMs / 1000} s (the chain is not playing): write refused (expected play first, or 'realtime off' in its ctl to store what is written)`;
        this.options.onRefused?.(detail);
        throw new AudiofsError('EPIPE', 'write', this.options.where ?? 'in', detail);
      }
    }
    this.chunks.push(Buffer.from(data));
    this.total += data.length;
    this.lastWrite = performance.now();
  }

  /** Nothing waits to be fed and nothing was written lately: the chain has nothing to say (no xrun when it is silent). */
  idle(): boolean {
    return this.buffered === 0 && performance.now() - this.lastWrite >= (this.options.idleMs ?? 100);
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

  /** Resolves true when a writer may try again, false when nothing was taken for `stallMs`; rejects with EINTR when `signal` fires. */
  private room(signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const where = this.options.where ?? 'in';
      if (signal?.aborted) return reject(interruptedError(signal, 'write', where));
      const settle = (how: () => void) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters = this.waiters.filter((w) => w !== wake);
        how();
      };
      const timer = setTimeout(() => settle(() => resolve(false)), this.stallMs);
      const wake = () => settle(() => resolve(true));
      const onAbort = () => settle(() => reject(interruptedError(signal!, 'write', where)));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(wake);
    });
  }

  /** Drops what lies before `offset` (it has been fed) and wakes waiting writers. */
  private forget(offset: Bytes): void {
    while (this.chunks.length > 0 && this.base + this.chunks[0].length <= offset) {
      this.base += this.chunks.shift()!.length;
    }
    if (this.buffered < this.limit) for (const w of this.waiters.splice(0)) w();
  }
}
