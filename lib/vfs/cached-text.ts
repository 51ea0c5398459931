import type { Bytes } from '../base/units.js';

/** When a cached text is made again. */
export interface CachedTextOptions {
  /** A number that moves when the text may have changed (the project's version). */
  version: () => number;
  /** Made again after this long even when the version has not moved (text with live values); default never. */
  maxAgeMs?: number;
  /**
   * With maxAgeMs: kept at least this many times as long as it took to make, so that a reader polling without
   * pause takes at most 1/(1 + costFactor) of the thread (a large project's /status). Default 0.
   */
  costFactor?: number;
  /** The clock (ms), for tests. */
  now?: () => number;
}

/**
 * A text made from the state once per change, not once per call: getattr, open and read of the same file
 * (and of the next reader) share it, so stat and open never scan the project again, and the size stat gives
 * is the size of what the next open reads.
 */
export class CachedText {
  private text: Buffer | undefined;
  private madeAt = 0;
  private madeFor = -1;
  private cost = 0;

  constructor(private readonly make: () => string | Buffer, private readonly options: CachedTextOptions) {}

  /** The text now (made again if the version moved or it is too old). */
  get(): Buffer {
    const now = this.options.now ?? (() => performance.now());
    const version = this.options.version();
    const maxAge = this.options.maxAgeMs;
    const keep = maxAge === undefined ? Infinity : Math.max(maxAge, this.cost * (this.options.costFactor ?? 0));
    if (this.text === undefined || version !== this.madeFor || now() - this.madeAt >= keep) {
      // The version is read before the text is made: a change made while making it is caught next time.
      const start = now();
      const t = this.make();
      this.text = typeof t === 'string' ? Buffer.from(t) : t;
      this.madeFor = version;
      this.madeAt = now();
      this.cost = this.madeAt - start;
    }
    return this.text;
  }

  /** Its size in bytes. */
  size(): Bytes {
    return this.get().length;
  }

  /** Forgets the text: the next get() makes it again. */
  invalidate(): void {
    this.text = undefined;
  }
}
