import type { Waveform } from '../dsp/wavetable.js';
import type { AdsrShape } from './envelope.js';

/** How a melodic voice makes its sound. */
export type Timbre =
  | {
      kind: 'table';
      wave: Waveform;
      /** One-pole low-pass cutoff as a multiple of the note frequency (none when omitted). */
      brightness?: number;
      /** A second oscillator this many cents above the first (none when omitted). */
      detune?: number;
    }
  | {
      kind: 'fm';
      /** Modulator frequency over carrier frequency. */
      ratio: number;
      /** Modulation index at the note's start and what it settles to. */
      index: number;
      indexEnd: number;
      /** Seconds for the index to fall 60 dB of the way from `index` to `indexEnd`. */
      indexDecay: number;
    };

/** A melodic instrument: its timbre, envelope and level. */
export interface Patch {
  name: string;
  timbre: Timbre;
  envelope: AdsrShape;
  gain: number;
}

const env = (attack: number, decay: number, sustain: number, release: number): AdsrShape => ({ attack, decay, sustain, release });

/** One patch per General MIDI family (programs 0-7 pianos, 8-15 chromatic percussion, ...). */
export const GM_FAMILIES: readonly Patch[] = [
  { name: 'piano', timbre: { kind: 'fm', ratio: 1, index: 1.4, indexEnd: 0.25, indexDecay: 1.2 }, envelope: env(0.002, 3, 0, 0.25), gain: 1 },
  { name: 'chromatic percussion', timbre: { kind: 'fm', ratio: 3.5, index: 2.5, indexEnd: 0, indexDecay: 0.6 }, envelope: env(0.002, 2, 0, 0.4), gain: 0.9 },
  { name: 'organ', timbre: { kind: 'table', wave: 'square', brightness: 5 }, envelope: env(0.006, 0.1, 0.9, 0.08), gain: 0.6 },
  { name: 'guitar', timbre: { kind: 'table', wave: 'saw', brightness: 6 }, envelope: env(0.002, 2, 0, 0.2), gain: 0.8 },
  { name: 'bass', timbre: { kind: 'table', wave: 'saw', brightness: 3 }, envelope: env(0.003, 1.5, 0.3, 0.1), gain: 0.9 },
  { name: 'strings', timbre: { kind: 'table', wave: 'saw', brightness: 5, detune: 7 }, envelope: env(0.08, 0.4, 0.85, 0.3), gain: 0.55 },
  { name: 'ensemble', timbre: { kind: 'table', wave: 'saw', brightness: 4, detune: 10 }, envelope: env(0.1, 0.4, 0.85, 0.35), gain: 0.5 },
  { name: 'brass', timbre: { kind: 'table', wave: 'saw', brightness: 4 }, envelope: env(0.03, 0.3, 0.8, 0.15), gain: 0.6 },
  { name: 'reed', timbre: { kind: 'table', wave: 'square', brightness: 4 }, envelope: env(0.02, 0.2, 0.9, 0.1), gain: 0.55 },
  { name: 'pipe', timbre: { kind: 'table', wave: 'triangle' }, envelope: env(0.04, 0.2, 0.9, 0.12), gain: 0.8 },
  { name: 'synth lead', timbre: { kind: 'table', wave: 'saw', brightness: 12 }, envelope: env(0.004, 0.2, 0.9, 0.1), gain: 0.5 },
  { name: 'synth pad', timbre: { kind: 'table', wave: 'triangle', detune: 8 }, envelope: env(0.3, 0.8, 0.8, 0.6), gain: 0.6 },
  { name: 'synth effects', timbre: { kind: 'fm', ratio: 1.41, index: 3, indexEnd: 1, indexDecay: 2 }, envelope: env(0.1, 1.5, 0.6, 0.8), gain: 0.5 },
  { name: 'ethnic', timbre: { kind: 'fm', ratio: 2, index: 2, indexEnd: 0.3, indexDecay: 0.8 }, envelope: env(0.002, 1.5, 0, 0.3), gain: 0.8 },
  { name: 'percussive', timbre: { kind: 'fm', ratio: 1.5, index: 3, indexEnd: 0, indexDecay: 0.3 }, envelope: env(0.001, 0.8, 0, 0.2), gain: 0.8 },
  { name: 'sound effects', timbre: { kind: 'fm', ratio: 2.76, index: 4, indexEnd: 2, indexDecay: 1 }, envelope: env(0.05, 1, 0.5, 0.5), gain: 0.4 },
];

/** The patch of a General MIDI program number (0-127). */
export function patchForProgram(program: number): Patch {
  return GM_FAMILIES[Math.max(0, Math.min(127, program)) >> 3];
}
