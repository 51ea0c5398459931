import type { Frames, Hz } from '../base/units.js';
import type { PcmFormat } from '../base/pcm-format.js';
import type { BlockProcessor } from './block-processor.js';

/** The biquad shapes of the RBJ Audio EQ Cookbook that audiofs-filter offers. */
export type BiquadKind = 'lowpass' | 'highpass' | 'bandpass';

/** Normalised biquad coefficients (a0 = 1): y = b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2. */
export interface BiquadCoefficients {
  b0: number; b1: number; b2: number; a1: number; a2: number;
}

/** Options of a biquad design. */
export interface BiquadDesign {
  kind: BiquadKind;
  freq: Hz;
  /** Quality factor; 1/sqrt(2) (Butterworth) when omitted. */
  q?: number;
  rate: Hz;
}

/** The Butterworth Q, the default of every shape. */
export const BUTTERWORTH_Q = Math.SQRT1_2;

/** RBJ cookbook coefficients; throws when FREQ is not between 0 and Nyquist or Q is not positive. */
export function designBiquad(design: BiquadDesign): BiquadCoefficients {
  const { kind, freq, rate } = design;
  const q = design.q ?? BUTTERWORTH_Q;
  const nyquist = rate / 2;
  if (!(freq > 0 && freq < nyquist)) {
    throw new RangeError(`${kind} frequency: expected more than 0 and less than the Nyquist frequency ${nyquist} Hz, got ${freq}`);
  }
  if (!(q > 0 && Number.isFinite(q))) throw new RangeError(`${kind} Q: expected a positive number, got ${q}`);
  const w0 = (2 * Math.PI * freq) / rate;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / (2 * q);
  const a0 = 1 + alpha;
  let b0: number, b1: number, b2: number;
  if (kind === 'lowpass') {
    b0 = (1 - cos) / 2; b1 = 1 - cos; b2 = b0;
  } else if (kind === 'highpass') {
    b0 = (1 + cos) / 2; b1 = -(1 + cos); b2 = b0;
  } else {
    b0 = alpha; b1 = 0; b2 = -alpha;
  }
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: (-2 * cos) / a0, a2: (1 - alpha) / a0 };
}

/** A biquad over every channel of an interleaved stream, state kept per channel across blocks (transposed direct form II, float64). */
export class BiquadFilter implements BlockProcessor {
  readonly tail: Frames = 0;
  private readonly c: BiquadCoefficients;
  private readonly channels: number;
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;

  constructor(design: Omit<BiquadDesign, 'rate'>, format: PcmFormat) {
    this.c = designBiquad({ ...design, rate: format.rate });
    this.channels = format.channels;
    this.s1 = new Float64Array(format.channels);
    this.s2 = new Float64Array(format.channels);
  }

  process(samples: Float32Array, frames: Frames): void {
    const { b0, b1, b2, a1, a2 } = this.c;
    const n = this.channels;
    const end = frames * n;
    for (let ch = 0; ch < n; ch++) {
      let s1 = this.s1[ch];
      let s2 = this.s2[ch];
      for (let i = ch; i < end; i += n) {
        const x = samples[i];
        const y = b0 * x + s1;
        s1 = b1 * x - a1 * y + s2;
        s2 = b2 * x - a2 * y;
        samples[i] = y;
      }
      // Flush denormals so silence after a loud passage stays cheap.
      this.s1[ch] = Math.abs(s1) < 1e-30 ? 0 : s1;
      this.s2[ch] = Math.abs(s2) < 1e-30 ? 0 : s2;
    }
  }
}
