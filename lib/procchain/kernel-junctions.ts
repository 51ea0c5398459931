import type { Readable, Writable } from 'node:stream';
import type { LiveStream } from '../base/live-stream.js';
import type { Bytes } from '../base/units.js';
import { SpliceJunction } from './splice-junction.js';

/** A junction the run could hand to the kernel now: a process's stdout feeding the next one's stdin, and nothing else. */
export interface JunctionCandidate<K> {
  /** The upstream stage (one junction per upstream stage). */
  key: K;
  src: Readable;
  dst: Writable;
  /** The upstream stage's `out`: while someone reads it, JavaScript relays (the tap gets every byte). */
  tap: LiveStream;
}

/** What the owner of the junctions provides. */
export interface KernelJunctionsOptions<K> {
  /** Every junction that may go to the kernel as the run stands now (none while a splice or injection is under way). */
  candidates(): Array<JunctionCandidate<K>>;
  /**
   * A junction came back to JavaScript (its upstream's pump is live again); `moved`: the bytes the kernel
   * took from `src` and delivered to `dst` during that engagement (what JavaScript's counters did not see).
   */
  onRelease?: (candidate: JunctionCandidate<K>, moved: Bytes) => void;
  log?: (message: string) => void;
}

/** A junction that could not be engaged (JavaScript held some of its bytes) is tried again after 10 ms, then less often. */
const RETRY_MS = 10;
const RETRY_MAX_MS = 500;

interface Engaged<K> {
  candidate: JunctionCandidate<K>;
  junction: SpliceJunction;
}

/**
 * The kernel's share of a run's junctions: engages every candidate junction that nobody taps, releases them
 * all while the data path changes (freeze/thaw), and each one at once when a reader opens its upstream's
 * `out`. A junction whose pump finished on its own (end of file, the next process gone) stays with JavaScript.
 */
export class KernelJunctions<K> {
  private readonly engaged = new Map<K, Engaged<K>>();
  /** Sources whose pump met their end of file, and pairs whose pump failed (the next process gone): JavaScript's now. */
  private readonly ended = new WeakSet<Readable>();
  private readonly failed = new WeakMap<Readable, Set<Writable>>();
  private readonly watched = new Map<LiveStream, () => void>();
  private frozen = 0;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MS;
  private movedBefore: Bytes = 0;

  constructor(private readonly options: KernelJunctionsOptions<K>) {}

  /** Bytes the kernel has moved through this run's junctions. */
  get moved(): Bytes {
    let n = this.movedBefore;
    for (const e of this.engaged.values()) n += e.junction.moved;
    return n;
  }

  /** How many junctions the kernel carries now. */
  get count(): number {
    return this.engaged.size;
  }

  /** Whether the data path is changing (between freeze() and thaw()). */
  get changing(): boolean {
    return this.frozen > 0;
  }

  /** Every junction back to JavaScript until thaw(): the data path is about to change. */
  freeze(): void {
    this.frozen++;
    this.releaseAll();
  }

  /** The data path changed: engage what can be. */
  thaw(): void {
    this.frozen = Math.max(0, this.frozen - 1);
    this.refresh();
  }

  /** Releases everything and engages nothing again (the run ends). */
  close(): void {
    this.closed = true;
    this.releaseAll();
    clearTimeout(this.retry);
    for (const unwatch of this.watched.values()) unwatch();
    this.watched.clear();
  }

  /** Every junction back to JavaScript now. */
  releaseAll(): void {
    for (const key of [...this.engaged.keys()]) this.release(key);
  }

  /** Engages every candidate nobody taps, and releases every engaged junction that is no longer one. */
  refresh(): void {
    if (this.closed) return;
    const candidates = this.frozen > 0 ? [] : this.options.candidates();
    const wanted = new Map<K, JunctionCandidate<K>>();
    for (const c of candidates) {
      this.watch(c.tap);
      if (c.tap.readerCount === 0 && !this.ended.has(c.src) && !this.failed.get(c.src)?.has(c.dst)) wanted.set(c.key, c);
    }
    for (const [key, e] of [...this.engaged]) {
      const w = wanted.get(key);
      if (!w || w.src !== e.candidate.src || w.dst !== e.candidate.dst) this.release(key);
    }
    let refused = false;
    for (const [key, c] of wanted) {
      if (this.engaged.has(key)) continue;
      const junction = new SpliceJunction(c.src, c.dst, {
        onRelease: (why, f) => {
          if (this.engaged.get(key)?.junction !== junction) return;
          this.engaged.delete(key);
          this.movedBefore += junction.moved;
          this.options.onRelease?.(c, junction.moved);
          if (why === 'end') this.ended.add(c.src);
          else {
            const failed = this.failed.get(c.src) ?? new Set<Writable>();
            this.failed.set(c.src, failed.add(c.dst));
            this.options.log?.(`kernel junction: ${f.code} in ${f.op} after ${f.moved} bytes; JavaScript relays`);
          }
        },
      });
      if (junction.engage()) this.engaged.set(key, { candidate: c, junction });
      else refused = true;
    }
    if (!refused) this.retryMs = RETRY_MS;
    else if (!this.retry) {
      // A next stage that does not read keeps its junction refused: back off so that many such chains cost nothing.
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.refresh();
      }, this.retryMs);
      this.retry.unref();
      this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    }
  }

  private release(key: K): void {
    const e = this.engaged.get(key);
    if (!e) return;
    this.engaged.delete(key);
    e.junction.release();
    this.movedBefore += e.junction.moved;
    this.options.onRelease?.(e.candidate, e.junction.moved);
  }

  /** A reader opening a tap releases its junction before it can be given data; one closing may let it go back. */
  private watch(tap: LiveStream): void {
    if (this.watched.has(tap)) return;
    this.watched.set(tap, tap.watchReaders(() => this.refresh()));
  }
}
