// Tempo from the onset envelope: its autocorrelation weighted by a log-Gaussian prior around 120 BPM.
import type { Hz } from '../base/units.js';

/** Beats per minute. */
export type Bpm = number;

/** Settings of the tempo estimate. */
export interface TempoOptions {
  /** Centre of the prior. */
  preferredBpm: Bpm;
  /** Width of the prior in octaves. */
  priorOctaves: number;
  minBpm: Bpm;
  maxBpm: Bpm;
}

const DEFAULTS: TempoOptions = { preferredBpm: 120, priorOctaves: 0.9, minBpm: 30, maxBpm: 300 };

/** The autocorrelation of an envelope (mean removed) for lags 0..maxLag, normalised by lag 0. */
export function autocorrelation(env: Float64Array, maxLag: number): Float64Array {
  let mean = 0;
  for (const v of env) mean += v;
  mean /= env.length || 1;
  const x = env.map((v) => v - mean);
  const ac = new Float64Array(maxLag + 1);
  for (let lag = 0; lag <= maxLag; lag++) {
    let s = 0;
    for (let i = lag; i < x.length; i++) s += x[i] * x[i - lag];
    ac[lag] = s / (x.length - lag || 1);
  }
  const zero = ac[0] || 1;
  return ac.map((v) => v / zero);
}

/** The most likely tempo of an onset envelope sampled at frameRate; undefined when it has no periodicity at all (silence). */
export function estimateTempo(onset: Float64Array, frameRate: Hz, options: Partial<TempoOptions> = {}): Bpm | undefined {
  const o = { ...DEFAULTS, ...options };
  const minLag = Math.max(1, Math.ceil((60 * frameRate) / o.maxBpm));
  const maxLag = Math.min(onset.length - 2, Math.ceil((60 * frameRate) / o.minBpm));
  if (maxLag <= minLag + 2) return undefined;
  const ac = autocorrelation(onset, maxLag);
  let best = -1;
  let bestScore = 0;
  const score = (lag: number): number => {
    const bpm = (60 * frameRate) / lag;
    const prior = Math.exp(-0.5 * Math.pow(Math.log2(bpm / o.preferredBpm) / o.priorOctaves, 2));
    return Math.max(0, ac[lag]) * prior;
  };
  for (let lag = minLag; lag <= maxLag; lag++) {
    const s = score(lag);
    if (s > bestScore) { bestScore = s; best = lag; }
  }
  if (best < 0) return undefined;
  if (best <= minLag || best >= maxLag) return (60 * frameRate) / best;
  const a = score(best - 1);
  const b = score(best);
  const c = score(best + 1);
  const denom = a - 2 * b + c;
  const shift = denom < 0 ? (0.5 * (a - c)) / denom : 0;
  return (60 * frameRate) / (best + Math.max(-0.5, Math.min(0.5, shift)));
}
