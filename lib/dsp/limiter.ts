import type { Frames, GainFactor, Hz, Seconds } from '../base/units.js';

/** Options of a Limiter. */
export interface LimiterOptions {
  rate: Hz;
  /** Level above which the gain comes down (0.8 when omitted, about -2 dBFS). */
  threshold?: GainFactor;
  /** Time for the gain to fall (0.5 ms when omitted). */
  attack?: Seconds;
  /** Time for the gain to recover (150 ms when omitted). */
  release?: Seconds;
}

/** Where the soft clipper begins; above it peaks are bent smoothly towards 1 instead of cut. */
const KNEE = 0.9;

/** A gentle stereo-linked master limiter: fast attack, slow release, then a soft clip of what still overshoots. */
export class Limiter {
  private gain: GainFactor = 1;
  private readonly threshold: GainFactor;
  private readonly attackCoef: number;
  private readonly releaseCoef: number;

  constructor(options: LimiterOptions) {
    this.threshold = options.threshold ?? 0.8;
    this.attackCoef = 1 - Math.exp(-1 / ((options.attack ?? 0.0005) * options.rate));
    this.releaseCoef = 1 - Math.exp(-1 / ((options.release ?? 0.15) * options.rate));
  }

  /** Limits the two channels in place. */
  process(left: Float32Array, right: Float32Array, frames: Frames): void {
    const thr = this.threshold;
    let g = this.gain;
    for (let i = 0; i < frames; i++) {
      const l = left[i];
      const r = right[i];
      const peak = Math.max(l < 0 ? -l : l, r < 0 ? -r : r);
      const target = peak > thr ? thr / peak : 1;
      g += (target - g) * (target < g ? this.attackCoef : this.releaseCoef);
      left[i] = softClip(l * g);
      right[i] = softClip(r * g);
    }
    this.gain = g;
  }
}

function softClip(x: number): number {
  const a = x < 0 ? -x : x;
  if (a <= KNEE) return x;
  const bent = KNEE + (1 - KNEE) * Math.tanh((a - KNEE) / (1 - KNEE));
  return x < 0 ? -bent : bent;
}
