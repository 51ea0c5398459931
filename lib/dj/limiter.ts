// A look-ahead peak limiter for the radio's output: tracks are brought to one loudness, and peaks that this pushes over the ceiling are turned down smoothly.
import type { Frames, GainFactor } from '../base/units.js';

/** Settings of the limiter. */
export interface LimiterOptions {
  /** The highest sample value let through. */
  ceiling: GainFactor;
  /** How far ahead it looks: the gain ramps down over this many frames before a peak (and the output is that late). */
  lookahead: Frames;
  /** Frames the gain takes to come back from 0 to 1 (linearly). */
  release: Frames;
}

/**
 * Limits float channels in chunks. push() takes the mix of frames [t, t + n) and gives back the limited frames
 * [t - lookahead, t + n - lookahead) (fewer the first time); flush() gives the last `lookahead` frames. Sample i of
 * the output is sample i of the input: only the chunking moves.
 */
export class Limiter {
  private readonly delay: Float32Array[];
  private readonly need: Float32Array;
  private held = 0;
  private gain: GainFactor = 1;

  constructor(channels: number, readonly options: LimiterOptions) {
    this.delay = Array.from({ length: channels }, () => new Float32Array(options.lookahead));
    this.need = new Float32Array(options.lookahead);
  }

  /** Adds `frames` frames of `input` and returns the limited frames that are now certain. */
  push(input: Float32Array[], frames: Frames): Float32Array[] {
    const L = this.options.lookahead;
    const all = this.delay.map((d, c) => { const a = new Float32Array(this.held + frames); a.set(d.subarray(0, this.held)); a.set(input[c].subarray(0, frames), this.held); return a; });
    const total = this.held + frames;
    const need = new Float32Array(total);
    need.set(this.need.subarray(0, this.held));
    for (let i = this.held; i < total; i++) {
      let p = 0;
      for (const ch of all) { const a = Math.abs(ch[i]); if (a > p) p = a; }
      need[i] = p > this.options.ceiling ? this.options.ceiling / p : 1;
    }
    const ready = Math.max(0, total - L);
    const out = this.apply(all, need, ready, total);
    for (let c = 0; c < all.length; c++) this.delay[c].set(all[c].subarray(ready, total));
    this.need.set(need.subarray(ready, total));
    this.held = total - ready;
    return out;
  }

  /** The frames still held back, limited. */
  flush(): Float32Array[] {
    const all = this.delay.map((d) => d.slice(0, this.held));
    const out = this.apply(all, this.need.slice(0, this.held), this.held, this.held);
    this.held = 0;
    return out;
  }

  private apply(all: Float32Array[], need: Float32Array, ready: number, known: number): Float32Array[] {
    const L = this.options.lookahead;
    const rise = 1 / this.options.release;
    const out = all.map(() => new Float32Array(ready));
    let nextPeak = -1;
    for (let i = 0; i < ready; i++) {
      if (nextPeak < i) {
        nextPeak = i;
        while (nextPeak < known && need[nextPeak] >= 1) nextPeak++;
      }
      let allowed = 1;
      for (let k = nextPeak - i; k <= L && i + k < known; k++) {
        const r = need[i + k];
        if (r < 1) { const g = r + ((1 - r) * k) / (L + 1); if (g < allowed) allowed = g; }
      }
      this.gain = Math.min(allowed, this.gain + rise);
      for (let c = 0; c < all.length; c++) out[c][i] = all[c][i] * this.gain;
    }
    return out;
  }
}
