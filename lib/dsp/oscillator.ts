import type { Frames, GainFactor, Hz } from '../base/units.js';
import { TABLE_SIZE, wavetableFor, type Waveform, type Wavetable } from './wavetable.js';

/** A band-limited wavetable oscillator with a continuous phase across blocks and frequency changes. */
export class Oscillator {
  private phase = 0;
  private table: Wavetable;
  private freq: Hz;

  constructor(private readonly wave: Waveform, freq: Hz, private readonly rate: Hz) {
    this.freq = freq;
    this.table = wavetableFor(wave, freq, rate);
  }

  /** Changes the frequency from the next sample on (the table follows so no partial aliases). */
  setFrequency(freq: Hz): void {
    if (freq === this.freq) return;
    this.freq = freq;
    this.table = wavetableFor(this.wave, freq, this.rate);
  }

  /** Writes `frames` samples times `gain` into out[offset + i * stride]. */
  render(out: Float32Array, frames: Frames, options: { gain: GainFactor; stride?: number; offset?: number }): void {
    const table = this.table;
    const stride = options.stride ?? 1;
    const gain = options.gain;
    const inc = (this.freq / this.rate) * TABLE_SIZE;
    let phase = this.phase;
    let j = options.offset ?? 0;
    for (let i = 0; i < frames; i++, j += stride) {
      const k = phase | 0;
      const a = table[k];
      out[j] = (a + (phase - k) * (table[k + 1] - a)) * gain;
      phase += inc;
      if (phase >= TABLE_SIZE) phase -= TABLE_SIZE;
    }
    this.phase = phase;
  }
}
