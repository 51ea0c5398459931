// Programme loudness, LUFS-like: mean square over 400 ms blocks, gated at -70 dB and 10 dB under the mean.
import type { Decibels, GainFactor } from '../base/units.js';
import { secondsToFrames } from '../base/pcm-format.js';
import type { PcmBuffer } from './pcm-buffer.js';

/** The gated loudness (dB relative to a full-scale square wave) and the sample peak of a buffer. */
export function measureLoudness(pcm: PcmBuffer): { loudness: Decibels; peak: GainFactor } {
  const block = secondsToFrames(0.4, pcm.format);
  const step = secondsToFrames(0.1, pcm.format);
  const energies: number[] = [];
  let peak = 0;
  for (const ch of pcm.channels) for (let i = 0; i < pcm.frames; i++) { const a = Math.abs(ch[i]); if (a > peak) peak = a; }
  for (let start = 0; start + block <= Math.max(pcm.frames, block); start += step) {
    let s = 0;
    for (const ch of pcm.channels) for (let i = start; i < Math.min(start + block, pcm.frames); i++) s += ch[i] * ch[i];
    energies.push(s / (block * pcm.channels.length));
  }
  const toDb = (e: number): Decibels => 10 * Math.log10(Math.max(e, 1e-12));
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
  const loud = energies.filter((e) => toDb(e) > -70);
  if (loud.length === 0) return { loudness: -70, peak };
  const relative = toDb(mean(loud)) - 10;
  const gated = loud.filter((e) => toDb(e) > relative);
  return { loudness: toDb(mean(gated)), peak };
}
