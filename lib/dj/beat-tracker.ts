// Beat positions by dynamic programming over the onset envelope (Ellis 2007, "Beat tracking by dynamic programming").
import type { Hz } from '../base/units.js';
import type { Bpm } from './tempo.js';

/** Settings of the beat tracker. */
export interface BeatTrackOptions {
  /** How strongly beat intervals are held to the tempo (Ellis's alpha). */
  tightness: number;
}

const DEFAULTS: BeatTrackOptions = { tightness: 100 };

/** The standard deviation of a signal (1 for a flat or empty one, so it can divide). */
export function std(x: Float64Array): number {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length || 1;
  let s = 0;
  for (const v of x) s += (v - m) * (v - m);
  return Math.sqrt(s / (x.length || 1)) || 1;
}

/** The frame indices of the beats in an onset envelope, given its tempo, or its beat period at every frame (a tempo curve). */
export function trackBeats(onset: Float64Array, frameRate: Hz, tempo: Bpm, options: Partial<BeatTrackOptions> & { periods?: Float64Array } = {}): number[] {
  const { tightness } = { ...DEFAULTS, ...options };
  const n = onset.length;
  const period = (60 * frameRate) / tempo;
  const periods = options.periods ?? new Float64Array(n).fill(period);
  const sd = std(onset);
  const half = Math.round(period);
  const kernel = Array.from({ length: 2 * half + 1 }, (_, i) => Math.exp(-0.5 * Math.pow(((i - half) * 32) / period, 2)));
  const local = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = -half; k <= half; k++) {
      const j = i + k;
      if (j >= 0 && j < n) s += (onset[j] / sd) * kernel[k + half];
    }
    local[i] = s;
  }
  const cum = new Float64Array(n);
  const back = new Int32Array(n).fill(-1);
  const threshold = 0.01 * Math.max(...local);
  let started = false;
  for (let i = 0; i < n; i++) {
    const p = periods[i];
    const lo = Math.max(1, Math.round(p / 2));
    const hi = Math.round(2 * p);
    let best = -Infinity;
    let arg = -1;
    for (let d = lo; d <= hi && i - d >= 0; d++) {
      const l = Math.log(d / p);
      const v = cum[i - d] - tightness * l * l;
      if (v > best) { best = v; arg = i - d; }
    }
    if (!started || arg < 0) {
      cum[i] = local[i];
      if (local[i] > threshold) started = true;
    } else {
      cum[i] = local[i] + best;
      back[i] = arg;
    }
  }
  const peaks: number[] = [];
  for (let i = 1; i < n - 1; i++) if (cum[i] >= cum[i - 1] && cum[i] > cum[i + 1]) peaks.push(i);
  if (peaks.length === 0) return [];
  const sorted = peaks.map((i) => cum[i]).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  let last = peaks[peaks.length - 1];
  for (let p = peaks.length - 1; p >= 0; p--) if (cum[peaks[p]] >= 0.5 * median) { last = peaks[p]; break; }
  const beats: number[] = [];
  for (let i = last; i >= 0; i = back[i]) beats.unshift(i);
  return trimWeakEnds(beats, local);
}

function trimWeakEnds(beats: number[], local: Float64Array): number[] {
  if (beats.length < 3) return beats;
  const rms = Math.sqrt(beats.reduce((s, b) => s + local[b] * local[b], 0) / beats.length);
  const floor = 0.5 * rms;
  let a = 0;
  let b = beats.length;
  while (a < b && local[beats[a]] < floor) a++;
  while (b > a && local[beats[b - 1]] < floor) b--;
  return beats.slice(a, b);
}
