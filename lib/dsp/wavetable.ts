import type { Hz } from '../base/units.js';

/** The waveforms audiofs draws from band-limited tables. */
export type Waveform = 'sine' | 'square' | 'saw' | 'triangle';

/** Samples in one cycle of a table (plus one guard sample for interpolation). */
export const TABLE_SIZE = 2048;
/** Most harmonics a table can hold (below its own Nyquist). */
const MAX_HARMONICS = TABLE_SIZE / 2 - 1;

/** One cycle of a waveform with at most `harmonics` partials, peak-normalised, TABLE_SIZE + 1 samples. */
export type Wavetable = Float32Array;

const cache = new Map<string, Wavetable>();

function amplitudeOf(wave: Waveform, h: number): number {
  switch (wave) {
    case 'sine': return h === 1 ? 1 : 0;
    case 'saw': return 1 / h;
    case 'square': return h % 2 === 1 ? 1 / h : 0;
    case 'triangle': return h % 2 === 1 ? ((h - 1) / 2 % 2 === 0 ? 1 : -1) / (h * h) : 0;
  }
}

function buildTable(wave: Waveform, harmonics: number): Wavetable {
  const table = new Float32Array(TABLE_SIZE + 1);
  const acc = new Float64Array(TABLE_SIZE);
  for (let h = 1; h <= harmonics; h++) {
    const a = amplitudeOf(wave, h);
    if (a === 0) continue;
    // Lanczos sigma softens the Gibbs overshoot of a truncated series.
    const sigma = h === 1 ? 1 : Math.sin((Math.PI * h) / (harmonics + 1)) / ((Math.PI * h) / (harmonics + 1));
    const step = (2 * Math.PI * h) / TABLE_SIZE;
    for (let i = 0; i < TABLE_SIZE; i++) acc[i] += a * sigma * Math.sin(step * i);
  }
  let peak = 0;
  for (let i = 0; i < TABLE_SIZE; i++) peak = Math.max(peak, Math.abs(acc[i]));
  for (let i = 0; i < TABLE_SIZE; i++) table[i] = acc[i] / peak;
  table[TABLE_SIZE] = table[0];
  return table;
}

/** The table of a waveform whose partials all stay below Nyquist at `freq` (cached; octave-spaced harmonic counts). */
export function wavetableFor(wave: Waveform, freq: Hz, rate: Hz): Wavetable {
  const allowed = Math.max(1, Math.min(MAX_HARMONICS, Math.floor(rate / 2 / Math.max(freq, 1e-3))));
  const harmonics = wave === 'sine' ? 1 : 2 ** Math.floor(Math.log2(allowed));
  const key = `${wave}:${harmonics}`;
  let table = cache.get(key);
  if (!table) {
    table = buildTable(wave, harmonics);
    cache.set(key, table);
  }
  return table;
}

/** The sine table (one partial), used by FM operators and sine voices. */
export function sineTable(): Wavetable {
  return wavetableFor('sine', 1, 44100);
}
