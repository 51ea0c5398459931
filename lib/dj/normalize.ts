// The gain that brings a track to a target loudness as it will be heard: after the output limiter has taken its peaks.
import type { Decibels } from '../base/units.js';
import { dbToGain } from '../base/units.js';
import { Limiter, type LimiterOptions } from './limiter.js';
import { measureLoudness, SILENT, type Lufs } from './loudness.js';
import type { PcmBuffer } from './pcm-buffer.js';

/** The most a track is turned up. */
export const MAX_BOOST: Decibels = 24;

/** The limiter of the radio's output, in seconds; the radio and the gain rule use the same one. */
export const OUTPUT_LIMITER = { ceilingDb: -1, lookahead: 0.002, release: 0.2 };

/** The limiter settings of OUTPUT_LIMITER at a rate. */
export function outputLimiter(rate: number): LimiterOptions {
  return { ceiling: dbToGain(OUTPUT_LIMITER.ceilingDb), lookahead: Math.round(OUTPUT_LIMITER.lookahead * rate), release: Math.round(OUTPUT_LIMITER.release * rate) };
}

function limited(pcm: PcmBuffer, gain: number, options: LimiterOptions): PcmBuffer {
  const limiter = new Limiter(pcm.channels.length, options);
  const parts: Float32Array[][] = [];
  const chunk = 65536;
  for (let start = 0; start < pcm.frames; start += chunk) {
    const n = Math.min(chunk, pcm.frames - start);
    parts.push(limiter.push(pcm.channels.map((ch) => ch.subarray(start, start + n).map((v) => v * gain)), n));
  }
  parts.push(limiter.flush());
  const channels = pcm.channels.map((_, c) => {
    const out = new Float32Array(pcm.frames);
    let o = 0;
    for (const p of parts) { out.set(p[c], o); o += p[c].length; }
    return out;
  });
  return { format: pcm.format, channels, frames: pcm.frames };
}

/**
 * The gain (dB) that makes a track of integrated loudness `loudness` and sample peak `peak` come out of the limiter at
 * `target`: target - loudness when the peaks stay under the ceiling, else corrected for what the limiter takes
 * (measured on the limited track, up to three rounds).
 */
export function normalizationGain(pcm: PcmBuffer, measured: { loudness: Lufs; peak: number }, target: Lufs, options: LimiterOptions): Decibels {
  if (measured.loudness <= SILENT) return 0;
  let gain = Math.min(target - measured.loudness, MAX_BOOST);
  for (let round = 0; round < 3; round++) {
    if (measured.peak * dbToGain(gain) <= options.ceiling) break;
    const miss = target - measureLoudness(limited(pcm, dbToGain(gain), options)).integrated;
    if (Math.abs(miss) < 0.1) break;
    gain = Math.min(gain + miss, MAX_BOOST);
  }
  return gain;
}
