import type { Hz, Seconds } from '../base/units.js';

/** A synthesized drum: a swept sine and a burst of (optionally bright) noise, each with its own decay. */
export interface DrumSound {
  name: string;
  /** Sine start and end frequency, and the time of the sweep between them. */
  toneFrom: Hz;
  toneTo: Hz;
  sweep: Seconds;
  /** Times to fall 60 dB. */
  toneDecay: Seconds;
  noiseDecay: Seconds;
  toneLevel: number;
  noiseLevel: number;
  /** 0 = white noise, 1 = only its top (first difference): hats and cymbals. */
  noiseBright: number;
}

const drum = (name: string, toneFrom: Hz, toneTo: Hz, sweep: Seconds, toneDecay: Seconds, noiseDecay: Seconds, toneLevel: number, noiseLevel: number, noiseBright: number): DrumSound =>
  ({ name, toneFrom, toneTo, sweep, toneDecay, noiseDecay, toneLevel, noiseLevel, noiseBright });

const KICK = drum('kick', 160, 48, 0.06, 0.45, 0.02, 1, 0.15, 0);
const SNARE = drum('snare', 220, 180, 0.02, 0.12, 0.25, 0.5, 0.7, 0.4);
const CLAP = drum('clap', 1000, 1000, 0, 0.001, 0.2, 0, 0.8, 0.5);
const STICK = drum('side stick', 800, 600, 0.01, 0.05, 0.04, 0.5, 0.5, 0.6);
const CLOSED_HAT = drum('closed hi-hat', 1, 1, 0, 0.001, 0.08, 0, 0.5, 1);
const OPEN_HAT = drum('open hi-hat', 1, 1, 0, 0.001, 0.5, 0, 0.45, 1);
const CRASH = drum('crash', 1, 1, 0, 0.001, 1.6, 0, 0.45, 0.9);
const RIDE = drum('ride', 3000, 3000, 0, 0.6, 1.0, 0.08, 0.3, 0.95);
const COWBELL = drum('cowbell', 800, 800, 0, 0.3, 0.02, 0.6, 0.1, 0.5);
const BLIP = drum('percussion', 600, 400, 0.03, 0.15, 0.05, 0.6, 0.3, 0.5);
const tom = (freq: Hz): DrumSound => drum('tom', freq * 1.6, freq, 0.08, 0.5, 0.05, 0.9, 0.15, 0.2);

const KIT: Record<number, DrumSound> = {
  35: KICK, 36: KICK, 37: STICK, 38: SNARE, 39: CLAP, 40: SNARE,
  41: tom(70), 43: tom(90), 45: tom(110), 47: tom(135), 48: tom(160), 50: tom(190),
  42: CLOSED_HAT, 44: CLOSED_HAT, 46: OPEN_HAT,
  49: CRASH, 52: CRASH, 55: CRASH, 57: CRASH, 51: RIDE, 53: RIDE, 59: RIDE, 56: COWBELL,
};

/** The GM percussion map (channel 10): the drum sound of a key. */
export function drumForNote(note: number): DrumSound {
  return KIT[note] ?? BLIP;
}
