// One 12-dimensional chroma vector and one 12-dimensional timbre vector per beat, and the distance between windows of them.
import type { Hz } from '../base/units.js';

/** Per-beat feature vectors, one row per beat. */
export interface BeatFeatures {
  chroma: number[][];
  timbre: number[][];
}

function meanRows(rows: Float64Array[], from: number, to: number): number[] {
  const out = new Array<number>(12).fill(0);
  const a = Math.max(0, Math.min(from, rows.length - 1));
  const b = Math.max(a + 1, Math.min(to, rows.length));
  for (let t = a; t < b; t++) for (let k = 0; k < 12; k++) out[k] += rows[t][k];
  return out.map((v) => v / (b - a));
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/** Averages frame features over each beat (to the next beat; the last beat lasts one median interval). */
export function beatFeatures(beatFrames: number[], frames: { chroma: Float64Array[]; timbre: Float64Array[] }): BeatFeatures {
  const gaps = beatFrames.slice(1).map((b, i) => b - beatFrames[i]).sort((a, b) => a - b);
  const typical = gaps.length ? gaps[Math.floor(gaps.length / 2)] : 20;
  const chroma: number[][] = [];
  const timbre: number[][] = [];
  beatFrames.forEach((start, i) => {
    const end = i + 1 < beatFrames.length ? beatFrames[i + 1] : start + typical;
    const c = meanRows(frames.chroma, start, end);
    const top = Math.max(...c) || 1;
    chroma.push(c.map((v) => round3(v / top)));
    timbre.push(meanRows(frames.timbre, start, end).map(round3));
  });
  return { chroma, timbre };
}

function cosineDistance(a: number[], b: number[]): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let k = 0; k < a.length; k++) { ab += a[k] * b[k]; aa += a[k] * a[k]; bb += b[k] * b[k]; }
  return 1 - ab / (Math.sqrt(aa * bb) || 1);
}

/** The mean feature distance between `length` beats of two tracks starting at beats `a` and `b` (0 = identical). */
export function windowDistance(x: BeatFeatures, a: number, y: BeatFeatures, b: number, length: number): number {
  let d = 0;
  for (let j = 0; j < length; j++) {
    d += cosineDistance(x.chroma[a + j], y.chroma[b + j]);
    d += 0.5 * cosineDistance(x.timbre[a + j], y.timbre[b + j]);
  }
  return d / length;
}

/** Frame index to seconds for an envelope at frameRate. */
export function frameToSeconds(frame: number, frameRate: Hz): number {
  return frame / frameRate;
}
