// Loudness by ITU-R BS.1770-4 / EBU R128: K-weighting, 400 ms blocks every 100 ms, gated at -70 LUFS and 10 LU under.
import type { Decibels, GainFactor, Hz, Seconds } from '../base/units.js';
import type { PcmBuffer } from './pcm-buffer.js';

/** Loudness units relative to full scale (a 997 Hz full-scale sine in one channel is -3.01 LUFS). */
export type Lufs = Decibels;

/** The loudness of a silent track (under the absolute gate). */
export const SILENT: Lufs = -70;

/** What the meter reads from a whole track. */
export interface LoudnessReading {
  /** Integrated (gated) loudness. */
  integrated: Lufs;
  /** Sample peak. */
  peak: GainFactor;
  /** Short-term (3 s) loudness every `step` seconds: window i covers i x step .. i x step + 3 s. */
  shortTerm: Lufs[];
  /** Seconds between short-term readings. */
  step: Seconds;
  /** The power of the 400 ms gating block that starts at each 100 ms step. */
  blocks: number[];
}

type Biquad = [number, number, number, number, number];

/** The two K-weighting stages (high shelf, then high pass) for a sample rate, as [b0, b1, b2, a1, a2]. */
export function kWeighting(rate: Hz): [Biquad, Biquad] {
  let K = Math.tan((Math.PI * 1681.974450955533) / rate);
  let Q = 0.7071752369554196;
  const Vh = Math.pow(10, 3.999843853973347 / 20);
  const Vb = Math.pow(Vh, 0.4996667741545416);
  let a0 = 1 + K / Q + K * K;
  const shelf: Biquad = [(Vh + (Vb * K) / Q + K * K) / a0, (2 * (K * K - Vh)) / a0, (Vh - (Vb * K) / Q + K * K) / a0, (2 * (K * K - 1)) / a0, (1 - K / Q + K * K) / a0];
  K = Math.tan((Math.PI * 38.13547087602444) / rate);
  Q = 0.5003270373238773;
  a0 = 1 + K / Q + K * K;
  const highPass: Biquad = [1, -2, 1, (2 * (K * K - 1)) / a0, (1 - K / Q + K * K) / a0];
  return [shelf, highPass];
}

/** The K-weighted power (sum over channels of the mean square) of each 100 ms step of a buffer. */
function stepPowers(pcm: PcmBuffer, step: number): Float64Array {
  const count = Math.ceil(pcm.frames / step);
  const power = new Float64Array(count);
  for (const ch of pcm.channels) {
    let x1 = 0, x2 = 0, y1 = 0, y2 = 0, z1 = 0, z2 = 0;
    const [[b0, b1, b2, a1, a2], [c0, c1, c2, d1, d2]] = kWeighting(pcm.format.rate);
    for (let i = 0; i < pcm.frames; i++) {
      const x = ch[i];
      const y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1; x1 = x;
      const z = c0 * y + c1 * y1 + c2 * y2 - d1 * z1 - d2 * z2;
      y2 = y1; y1 = y;
      z2 = z1; z1 = z;
      power[(i / step) | 0] += z * z;
    }
  }
  for (let k = 0; k < count; k++) power[k] /= step;
  return power;
}

const toLufs = (power: number): Lufs => -0.691 + 10 * Math.log10(Math.max(power, 1e-20));

/** The mean power of windows of `steps` consecutive steps, one window per step (windows that run past the end are left out). */
function windows(powers: Float64Array, steps: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let k = 0; k < powers.length; k++) {
    sum += powers[k];
    if (k >= steps) sum -= powers[k - steps];
    if (k >= steps - 1) out.push(sum / steps);
  }
  return out;
}

/** Integrated loudness of block powers: the absolute gate at -70 LUFS, then the relative gate 10 LU under their mean. */
export function gatedLoudness(blocks: number[]): Lufs {
  const loud = blocks.filter((p) => toLufs(p) > SILENT);
  if (loud.length === 0) return SILENT;
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const relative = toLufs(mean(loud)) - 10;
  const gated = loud.filter((p) => toLufs(p) > relative);
  return toLufs(mean(gated));
}

/** The BS.1770 / R128 reading of a buffer: integrated loudness, sample peak, and short-term loudness every 0.5 s. */
export function measureLoudness(pcm: PcmBuffer): LoudnessReading {
  const step = Math.round(pcm.format.rate / 10);
  const powers = stepPowers(pcm, step);
  const blocks = windows(powers, 4);
  const integrated = gatedLoudness(blocks.length ? blocks : [powers.reduce((a, b) => a + b, 0) / (powers.length || 1)]);
  let peak = 0;
  for (const ch of pcm.channels) for (let i = 0; i < pcm.frames; i++) { const a = Math.abs(ch[i]); if (a > peak) peak = a; }
  const shortTerm = windows(powers, 30).filter((_, i) => i % 5 === 0).map(toLufs);
  return { integrated, peak, shortTerm, step: 0.5, blocks };
}

/**
 * Where the music ends: the end of the last 3 s window within `drop` LU of the track's body (the upper quartile of its
 * short-term loudness, so a long fade does not lower the reference); a fade-out, a tail or silence come after it.
 */
export function musicEnd(reading: LoudnessReading, duration: Seconds, drop: Decibels = 2.5): Seconds {
  const audible = reading.shortTerm.filter((l) => l > SILENT).sort((a, b) => a - b);
  if (audible.length === 0) return duration;
  const body = audible[Math.floor(0.75 * (audible.length - 1))];
  for (let i = reading.shortTerm.length - 1; i >= 0; i--) {
    if (reading.shortTerm[i] >= body - drop) return Math.min(duration, i * reading.step + 3);
  }
  return duration;
}

/** The integrated loudness of the first `seconds` of a reading (the blocks that end by then). */
export function loudnessUntil(reading: LoudnessReading, seconds: Seconds): Lufs {
  const blocks = reading.blocks.slice(0, Math.max(1, Math.floor(seconds * 10) - 3));
  return blocks.length ? gatedLoudness(blocks) : reading.integrated;
}
