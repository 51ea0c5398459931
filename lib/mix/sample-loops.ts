// The loops over samples the mixer runs every period, written so that V8 compiles them to tight machine code.
import type { GainFactor } from '../base/units.js';
import type { Meter } from './meter.js';

/** The largest and smallest s16 sample. */
const S16_MAX = 32767;
const S16_MIN = -32768;

/** round(v), clipped to s16. */
export function clip16(v: number): number {
  const r = Math.round(v);
  return r > S16_MAX ? S16_MAX : r < S16_MIN ? S16_MIN : r;
}

/** The samples of s16le PCM as an Int16Array (a view when aligned, else a copy; little-endian hosts, as Node's are). */
export function int16View(b: Buffer): Int16Array {
  if (b.byteOffset % 2 === 0) return new Int16Array(b.buffer, b.byteOffset, b.length >> 1);
  const copy = new Int16Array(b.length >> 1);
  new Uint8Array(copy.buffer).set(b.subarray(0, copy.length * 2));
  return copy;
}

/** A zeroed s16 buffer of `samples` samples whose Int16Array view writes into it. */
export function allocSamples(samples: number): { buffer: Buffer; view: Int16Array } {
  const view = new Int16Array(samples);
  return { buffer: Buffer.from(view.buffer), view };
}

/** Adds the first `have` samples of `pcm`, scaled by each channel's gain, into `acc`; meters the scaled samples. */
export function accumulate(acc: Float64Array, pcm: Int16Array, have: number, gains: Float64Array, meter: Meter): void {
  const ch = gains.length;
  for (let c = 0; c < ch; c++) {
    const g = gains[c];
    let hi = 0;
    let lo = 0;
    let even = 0;
    let odd = 0;
    let count = 0;
    let i = c;
    // Two samples of the channel a step into two sums: the additions do not wait on one another.
    for (; i + ch < have; i += 2 * ch) {
      const a = pcm[i] * g;
      const b = pcm[i + ch] * g;
      acc[i] += a;
      acc[i + ch] += b;
      even += a * a;
      odd += b * b;
      hi = Math.max(hi, a, b);
      lo = Math.min(lo, a, b);
      count += 2;
    }
    for (; i < have; i += ch) {
      const a = pcm[i] * g;
      acc[i] += a;
      even += a * a;
      hi = Math.max(hi, a);
      lo = Math.min(lo, a);
      count++;
    }
    meter.addBlock(Math.max(hi, -lo), even + odd, count);
  }
}

/** Writes round(acc[i] * master) into `out`, clipped to s16; returns how many samples were clipped. */
export function clipInto(out: Int16Array, acc: Float64Array, master: GainFactor): number {
  let clipped = 0;
  for (let i = 0; i < out.length; i++) {
    const v = Math.round(acc[i] * master);
    if (v > S16_MAX) {
      out[i] = S16_MAX;
      clipped++;
    } else if (v < S16_MIN) {
      out[i] = S16_MIN;
      clipped++;
    } else {
      out[i] = v;
    }
  }
  return clipped;
}

/** The largest magnitude and the sum of squares of the first `have` samples of `pcm`. */
export function blockLevels(pcm: Int16Array, have: number): { peak: number; square: number } {
  // Four samples a step into two sums: the additions do not wait on one another.
  let hi = 0;
  let lo = 0;
  let even = 0;
  let odd = 0;
  let i = 0;
  for (; i + 4 <= have; i += 4) {
    const a = pcm[i];
    const b = pcm[i + 1];
    const c = pcm[i + 2];
    const d = pcm[i + 3];
    even += a * a + b * b;
    odd += c * c + d * d;
    hi = Math.max(hi, a, b, c, d);
    lo = Math.min(lo, a, b, c, d);
  }
  for (; i < have; i++) {
    const a = pcm[i];
    even += a * a;
    hi = Math.max(hi, a);
    lo = Math.min(lo, a);
  }
  return { peak: Math.max(hi, -lo), square: even + odd };
}
