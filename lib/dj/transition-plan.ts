// Where a track leaves and how the next one comes in: the outro beat, the matching offset, and the beat-by-beat time maps.
import type { Seconds } from '../base/units.js';
import { windowDistance, type BeatFeatures } from './beat-features.js';
import type { TrackAnalysis } from './analyze.js';

/** A point of a transition's time map: `at` seconds after the transition starts plays input second `in`. */
export interface TimePoint {
  at: Seconds;
  in: Seconds;
}

/** How the outgoing track leaves: from beat `beat` (input second `startIn`) over `beats` beats. */
export interface Outro {
  beat: number;
  beats: number;
  startIn: Seconds;
}

/** A planned transition between two tracks (or a track and itself). */
export interface TransitionPlan {
  kind: 'crossmatch' | 'crossfade';
  duration: Seconds;
  /** The outgoing track's time map (empty: it keeps playing at its own speed). */
  fromMap: TimePoint[];
  /** The incoming track's time map (one point: its own speed from there). */
  toMap: TimePoint[];
  /** Where in the incoming track natural playback continues after the transition. */
  toEntryIn: Seconds;
  /** The beat of the incoming track the transition starts on. */
  toBeat: number;
  /** Mean feature distance of the matched windows (0 = identical). */
  distance: number;
  tempoFrom: number | null;
  tempoTo: number | null;
}

/** Settings of transitions. */
export interface TransitionOptions {
  /** Beats of a crossmatch. */
  beats: number;
  /** Length of a plain crossfade. */
  crossfade: Seconds;
  /** Tempo ratio still crossmatched (1.25 = within 25%, also at double or half tempo). */
  maxRatio: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0.5;
const gapsOf = (beats: Seconds[], from: number, to: number): number[] => beats.slice(from + 1, to + 1).map((b, i) => b - beats[from + i]);

/** Beats to plan with: the analysis's, or a 120 BPM grid when it found too few. */
export function usableBeats(a: TrackAnalysis): { beats: Seconds[]; real: boolean } {
  if (a.beats.length >= 8) return { beats: a.beats, real: true };
  return { beats: Array.from({ length: Math.floor(a.duration / 0.5) }, (_, i) => i * 0.5), real: false };
}

/** The outro of a track whose natural playback started at input second `entryIn`: its last `beats` beats, fewer when short. */
export function chooseOutro(a: TrackAnalysis, options: { entryIn: Seconds; beats: number; tail: Seconds }): Outro {
  const { beats } = usableBeats(a);
  // Out before the music ends: a fade-out or a long tail is no place for a transition.
  const limit = Math.min(a.duration - options.tail, a.musicEnd);
  for (let n = options.beats; n >= 2; n = n > 4 ? Math.max(4, Math.floor(n / 2)) : n - 1) {
    let k = beats.length - 1 - n;
    while (k >= 0 && beats[k + n] > limit) k--;
    if (k >= 0 && beats[k] > options.entryIn + 1) return { beat: k, beats: n, startIn: beats[k] };
  }
  const startIn = Math.max(options.entryIn + 0.5, Math.min(limit - 2, a.duration * 0.9));
  return { beat: -1, beats: 0, startIn: Math.min(startIn, Math.max(options.entryIn, limit - 0.5)) };
}

function gridFor(b: TrackAnalysis, factor: number): { beats: Seconds[]; features: BeatFeatures } {
  const beats = b.beats;
  if (factor === 1) return { beats, features: b };
  if (factor === 2) {
    const idx = beats.map((_, i) => i).filter((i) => i % 2 === 0);
    return { beats: idx.map((i) => beats[i]), features: { chroma: idx.map((i) => b.chroma[i]), timbre: idx.map((i) => b.timbre[i]) } };
  }
  const out: Seconds[] = [];
  const chroma: number[][] = [];
  const timbre: number[][] = [];
  beats.forEach((t, i) => {
    out.push(t);
    chroma.push(b.chroma[i]);
    timbre.push(b.timbre[i]);
    if (i + 1 < beats.length) { out.push((t + beats[i + 1]) / 2); chroma.push(b.chroma[i]); timbre.push(b.timbre[i]); }
  });
  return { beats: out, features: { chroma, timbre } };
}

/** The incoming beat whose following window of features is nearest the outgoing window. */
function bestOffset(a: BeatFeatures, ka: number, b: BeatFeatures, n: number, maxKb: number): { kb: number; distance: number } {
  let best = { kb: 0, distance: Infinity };
  for (let kb = 0; kb <= maxKb; kb++) {
    const d = windowDistance(a, ka, b, kb, n);
    if (d < best.distance) best = { kb, distance: d };
  }
  return best;
}

/** Plans the transition from track `a` (leaving by `outro`) to track `b`; `self` when b is a replay of a. */
export function planTransition(a: TrackAnalysis, outro: Outro, b: TrackAnalysis, options: TransitionOptions & { self?: boolean }): TransitionPlan {
  const n = outro.beats;
  const aReal = usableBeats(a).real && n >= 2;
  const factors = [1, 2, 0.5];
  const dA = aReal ? median(gapsOf(a.beats, outro.beat, outro.beat + n)) : 0.5;
  const factor = usableBeats(b).real && aReal
    ? factors.find((f) => { const r = dA / (f * (60 / (b.tempo ?? 120))); return r <= options.maxRatio && r >= 1 / options.maxRatio; })
    : undefined;
  const grid = gridFor(b, factor ?? 1);
  const window = Math.max(1, Math.min(n || 4, grid.beats.length - 2));
  const thirdOfB = Math.floor(grid.beats.length / 3);
  const selfLimit = options.self ? Math.floor((outro.beat - window) / (factor ?? 1)) : Infinity;
  const maxKb = Math.max(0, Math.min(thirdOfB, grid.beats.length - window - 2, selfLimit));
  const match = aReal && usableBeats(b).real
    ? bestOffset(a, outro.beat, grid.features, window, maxKb)
    : { kb: 0, distance: 1 };
  const base = { toBeat: match.kb, distance: Math.round(match.distance * 1000) / 1000, tempoFrom: a.tempo, tempoTo: b.tempo };
  if (factor !== undefined && match.kb + n < grid.beats.length) {
    const dB = median(gapsOf(grid.beats, match.kb, match.kb + n));
    const fromMap: TimePoint[] = [];
    const toMap: TimePoint[] = [];
    let at = 0;
    for (let j = 0; j <= n; j++) {
      fromMap.push({ at, in: a.beats[outro.beat + j] });
      toMap.push({ at, in: grid.beats[match.kb + j] });
      at += dA + ((dB - dA) * (j + 0.5)) / n;
    }
    const duration = fromMap[n].at;
    // The tempos where the tracks meet (a track may change tempo along the way).
    const bpm = (gap: Seconds): number => Math.round((60 / gap) * 100) / 100;
    return { kind: 'crossmatch', duration, fromMap, toMap, toEntryIn: grid.beats[match.kb + n], ...base, tempoFrom: bpm(dA), tempoTo: bpm(dB * (factor === 0.5 ? 2 : factor === 2 ? 0.5 : 1)) };
  }
  const startIn = usableBeats(b).real ? b.beats[match.kb] : 0;
  const duration = Math.max(0.05, Math.min(options.crossfade, a.duration - outro.startIn - 0.05, b.duration - startIn - 0.05));
  return { kind: 'crossfade', duration, fromMap: [], toMap: [{ at: 0, in: startIn }], toEntryIn: startIn + duration, ...base };
}
