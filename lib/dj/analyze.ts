// The analysis of one track: tempo, beats, loudness and per-beat features, from its decoded audio.
import type { GainFactor, Seconds } from '../base/units.js';
import { framesToSeconds } from '../base/pcm-format.js';
import { monoMix, type PcmBuffer } from './pcm-buffer.js';
import { spectralFrames } from './spectral-frames.js';
import { estimateTempo, periodCurve, type Bpm } from './tempo.js';
import { std, trackBeats } from './beat-tracker.js';
import { continuousPhase, onTheBeat } from './beat-phase.js';
import { loudnessUntil, measureLoudness, musicEnd, type Lufs } from './loudness.js';
import { beatFeatures } from './beat-features.js';

/** Bumped whenever the analysis changes, so old cache entries are not trusted. */
export const ANALYSIS_VERSION = 5;

/** What `audiofs-dj --analyze` prints and the cache stores. */
export interface TrackAnalysis {
  version: number;
  duration: Seconds;
  /** null when the track has no beat at all (silence). */
  tempo: Bpm | null;
  beats: Seconds[];
  /** Integrated loudness (ITU-R BS.1770-4, EBU R128) of the music, up to musicEnd: the part that is played. */
  loudness: Lufs;
  /** Where the music ends: after it come only a fade-out, a tail or silence. */
  musicEnd: Seconds;
  peak: GainFactor;
  chroma: number[][];
  timbre: number[][];
}

/** Options of the analysis. */
export interface AnalyzeOptions {
  /** Called between chunks of work, so a streaming caller can keep writing output. */
  onProgress?: () => Promise<void>;
}

function decimate(signal: Float32Array, factor: number): Float32Array {
  if (factor <= 1) return signal;
  const out = new Float32Array(Math.floor(signal.length / factor));
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < factor; k++) s += signal[i * factor + k];
    out[i] = s / factor;
  }
  return out;
}

/** Whether a period curve stays within 5% of its median (the outer 5% at each end left out). */
function isSteady(curve: Float64Array): boolean {
  const inner = Array.from(curve.subarray(Math.floor(curve.length * 0.05), Math.ceil(curve.length * 0.95))).sort((a, b) => a - b);
  if (inner.length === 0) return true;
  const mid = inner[Math.floor(inner.length / 2)];
  return inner[0] > mid / 1.05 && inner[inner.length - 1] < mid * 1.05;
}

/** Broadband and low-band onsets, each in units of its own standard deviation, added. */
function combined(broad: Float64Array, low: Float64Array): Float64Array {
  const sd = std;
  const sb = sd(broad);
  const sl = sd(low);
  return broad.map((v, i) => v / sb + low[i] / sl);
}

/** The tempo that the beats keep: the mean of the intervals within 10% of the median interval. */
export function tempoOfBeats(beats: Seconds[], fallback: Bpm): Bpm {
  const gaps = beats.slice(1).map((b, i) => b - beats[i]);
  if (gaps.length < 2) return fallback;
  const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
  const steady = gaps.filter((g) => Math.abs(g - median) < 0.1 * median);
  return 60 / (steady.reduce((a, b) => a + b, 0) / steady.length);
}

/** Analyses decoded audio (project format) into tempo, beats, loudness and per-beat chroma and timbre. */
export async function analyzePcm(pcm: PcmBuffer, options: AnalyzeOptions = {}): Promise<TrackAnalysis> {
  const factor = Math.max(1, Math.round(pcm.format.rate / 22050));
  const mono = decimate(monoMix(pcm), factor);
  const frames = await spectralFrames(mono, pcm.format.rate / factor, { onProgress: options.onProgress });
  const rough = estimateTempo(frames.onset, frames.frameRate);
  const curve = rough === undefined ? undefined : periodCurve(frames.onset, frames.frameRate, rough);
  const tracked = rough === undefined ? [] : trackBeats(frames.onset, frames.frameRate, rough, { periods: curve });
  // One phase through the track when its tempo is steady; a track that changes tempo keeps the tracker's beats.
  const phased = curve && isSteady(curve) ? continuousPhase(tracked, combined(frames.onset, frames.lowOnset)) : tracked;
  const beatFrames = onTheBeat(phased, frames.onset, frames.lowOnset).map(Math.round);
  const beats = beatFrames.map((f) => Math.round((f / frames.frameRate) * 1000) / 1000);
  const reading = measureLoudness(pcm);
  const duration = framesToSeconds(pcm.frames, pcm.format);
  const end = musicEnd(reading, duration);
  const features = beatFeatures(beatFrames, frames);
  return {
    version: ANALYSIS_VERSION,
    duration,
    tempo: rough === undefined ? null : Math.round(tempoOfBeats(beats, rough) * 100) / 100,
    beats,
    loudness: Math.round(loudnessUntil(reading, end) * 100) / 100,
    musicEnd: Math.round(end * 1000) / 1000,
    peak: Math.round(reading.peak * 10000) / 10000,
    ...features,
  };
}
