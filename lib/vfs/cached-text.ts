import type { Bytes } from '../base/units.js';

/** When a cached text is made again. */
export interface CachedTextOptions {
  /** A number that moves when the text may have changed (the project's version). */
  version: () => number;
  /** Made again after this long even when the version has not moved (text with live values); default never. */
  maxAgeMs?: number;
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

  constructor(private readonly make: () => string | Buffer, private readonly options: CachedTextOptions) {}

  /** The text now (made again if the version moved or it is too old). */
  get(): Buffer {
    const now = this.options.now ?? Date.now;
    const version = this.options.version();
    const maxAge = this.options.maxAgeMs;
    if (this.text === undefined || version !== this.madeFor || (maxAge !== undefined && now() - this.madeAt >= maxAge)) {
      // The version is read before the text is made: a change made while making it is caught next time.
      const t = this.make();
      this.text = typeof t === 'string' ? Buffer.from(t) : t;
      this.madeFor = version;
      this.madeAt = now();
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
