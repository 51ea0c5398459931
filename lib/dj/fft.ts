// A radix-2 FFT for real frames: the one spectral primitive the analysis is built on.

/** A reusable FFT of one power-of-two size, with its twiddles, window and scratch buffers. */
export class RealFft {
  readonly size: number;
  readonly window: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly rev: Uint32Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(Math.log2(size)) || size < 4) {
      throw new Error(`RealFft: expected a power of two of at least 4, got ${size}`);
    }
    this.size = size;
    this.cos = new Float64Array(size / 2);
    this.sin = new Float64Array(size / 2);
    for (let i = 0; i < size / 2; i++) {
      this.cos[i] = Math.cos((2 * Math.PI * i) / size);
      this.sin[i] = -Math.sin((2 * Math.PI * i) / size);
    }
    this.rev = new Uint32Array(size);
    const bits = Math.log2(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    this.window = new Float64Array(size);
    for (let i = 0; i < size; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size);
    this.re = new Float64Array(size);
    this.im = new Float64Array(size);
  }

  /** The magnitudes of bins 0..size/2 of a Hann-windowed frame that starts at `start` (zero outside the signal). */
  magnitudes(signal: Float32Array, start: number, out: Float64Array): Float64Array {
    const n = this.size;
    const { re, im, rev, window } = this;
    for (let i = 0; i < n; i++) {
      const j = start + i;
      const v = j >= 0 && j < signal.length ? signal[j] : 0;
      re[rev[i]] = v * window[i];
      im[rev[i]] = 0;
    }
    this.transform();
    for (let k = 0; k <= n / 2; k++) out[k] = Math.hypot(re[k], im[k]);
    return out;
  }

  private transform(): void {
    const n = this.size;
    const { re, im, cos, sin } = this;
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      const step = n / len;
      for (let i = 0; i < n; i += len) {
        for (let k = 0; k < half; k++) {
          const wr = cos[k * step];
          const wi = sin[k * step];
          const a = i + k;
          const b = a + half;
          const tr = re[b] * wr - im[b] * wi;
          const ti = re[b] * wi + im[b] * wr;
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
  }
}
