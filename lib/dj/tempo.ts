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

/** Settings of the tempo curve. */
export interface TempoCurveOptions {
  /** Length of each analysis window. */
  window: number;
  /** Seconds between window centres. */
  hop: number;
  /** How far from the track's tempo a window's tempo may be (ratio). */
  range: number;
}

/**
 * The beat period (in envelope frames) at every frame: the autocorrelation peak of ~8 s windows near the track's
 * tempo (within `range`, so a window does not jump an octave), median-smoothed and interpolated between windows.
 * A track that changes tempo (104 -> 128 BPM) gets a period that follows it.
 */
export function periodCurve(onset: Float64Array, frameRate: Hz, tempo: Bpm, options: Partial<TempoCurveOptions> = {}): Float64Array {
  const o = { window: 8, hop: 1, range: 1.45, ...options };
  const n = onset.length;
  const base = (60 * frameRate) / tempo;
  const curve = new Float64Array(n).fill(base);
  const W = Math.round(o.window * frameRate);
  if (n < 2 * W) return curve;
  const H = Math.max(1, Math.round(o.hop * frameRate));
  const minLag = Math.max(2, Math.floor(base / o.range));
  const maxLag = Math.ceil(base * o.range);
  const centres: number[] = [];
  const periods: number[] = [];
  for (let start = 0; start + W <= n; start += H) {
    const ac = autocorrelation(onset.subarray(start, start + W), maxLag + 1);
    let best = -1;
    let bestScore = 0;
    const score = (lag: number): number => Math.max(0, ac[lag]) * Math.exp(-0.5 * Math.pow(Math.log2(lag / base) / 0.4, 2));
    for (let lag = minLag; lag <= maxLag; lag++) {
      const s = score(lag);
      if (s > bestScore) { bestScore = s; best = lag; }
    }
    let p = best < 0 ? base : best;
    if (best > minLag && best < maxLag) {
      const a = score(best - 1);
      const b = score(best);
      const c = score(best + 1);
      const d = a - 2 * b + c;
      if (d < 0) p = best + Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / d));
    }
    centres.push(start + W / 2);
    periods.push(p);
  }
  const smooth = periods.map((_, i) => [...periods.slice(Math.max(0, i - 2), i + 3)].sort((a, b) => a - b)[Math.min(2, Math.floor(periods.slice(Math.max(0, i - 2), i + 3).length / 2))]);
  let k = 0;
  for (let i = 0; i < n; i++) {
    while (k + 1 < centres.length && centres[k + 1] <= i) k++;
    if (i <= centres[0]) curve[i] = smooth[0];
    else if (k + 1 >= centres.length) curve[i] = smooth[smooth.length - 1];
    else {
      const x = (i - centres[k]) / (centres[k + 1] - centres[k]);
      curve[i] = smooth[k] + (smooth[k + 1] - smooth[k]) * x;
    }
  }
  return curve;
}
