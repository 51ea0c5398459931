// Sample-rate and channel-count conversion into the project format (windowed-sinc interpolation).
import type { Hz } from '../base/units.js';

const HALF_TAPS = 16;
const TABLE_STEPS = 512;

function kernelTable(cutoff: number, halfWidth: number): Float64Array {
  const size = Math.ceil(halfWidth) * TABLE_STEPS + 2;
  const table = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const x = i / TABLE_STEPS;
    if (x >= halfWidth) break;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * cutoff * x) / (Math.PI * cutoff * x);
    const w = 0.42 + 0.5 * Math.cos((Math.PI * x) / halfWidth) + 0.08 * Math.cos((2 * Math.PI * x) / halfWidth);
    table[i] = cutoff * sinc * w;
  }
  return table;
}

function kernel(x: number, cutoff: number, halfWidth: number): number {
  const a = Math.abs(x);
  if (a >= halfWidth) return 0;
  const sinc = a === 0 ? 1 : Math.sin(Math.PI * cutoff * a) / (Math.PI * cutoff * a);
  const w = 0.42 + 0.5 * Math.cos((Math.PI * a) / halfWidth) + 0.08 * Math.cos((2 * Math.PI * a) / halfWidth);
  return cutoff * sinc * w;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The polyphase form for rates in a small ratio (48000 -> 44100 is 160 -> 147): one row of taps per output phase. */
function resamplePolyphase(input: Float32Array, from: Hz, to: Hz, phases: number, step: number): Float32Array {
  const ratio = to / from;
  const cutoff = Math.min(1, ratio) * 0.95;
  const halfWidth = HALF_TAPS / Math.min(1, ratio);
  const reach = Math.ceil(halfWidth);
  const taps = 2 * reach;
  const table = new Float64Array(phases * taps);
  for (let p = 0; p < phases; p++) {
    const frac = p / phases;
    for (let j = 0; j < taps; j++) table[p * taps + j] = kernel(frac - (j - reach + 1), cutoff, halfWidth);
  }
  const outLength = Math.floor(input.length * ratio);
  const out = new Float32Array(outLength);
  const last = input.length - 1;
  let centre = 0;
  let phase = 0;
  for (let i = 0; i < outLength; i++) {
    const first = centre - reach + 1;
    const row = phase * taps;
    let acc = 0;
    if (first >= 0 && first + taps - 1 <= last) {
      // Four products per step: the loop is the whole cost of a 48 kHz track.
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      let j = 0;
      for (; j + 3 < taps; j += 4) {
        a0 += input[first + j] * table[row + j];
        a1 += input[first + j + 1] * table[row + j + 1];
        a2 += input[first + j + 2] * table[row + j + 2];
        a3 += input[first + j + 3] * table[row + j + 3];
      }
      for (; j < taps; j++) a0 += input[first + j] * table[row + j];
      acc = a0 + a1 + a2 + a3;
    } else {
      for (let j = 0; j < taps; j++) { const k = first + j; if (k >= 0 && k <= last) acc += input[k] * table[row + j]; }
    }
    out[i] = acc;
    phase += step;
    while (phase >= phases) { phase -= phases; centre++; }
  }
  return out;
}

/** One channel converted from one rate to another, band-limited to the lower Nyquist frequency. */
export function resampleChannel(input: Float32Array, from: Hz, to: Hz): Float32Array {
  if (from === to) return input;
  const g = gcd(from, to);
  if (to / g <= 4096) return resamplePolyphase(input, from, to, to / g, from / g);
  const ratio = to / from;
  const cutoff = Math.min(1, ratio) * 0.95;
  const halfWidth = HALF_TAPS / Math.min(1, ratio);
  const table = kernelTable(cutoff, halfWidth);
  const outLength = Math.floor(input.length * ratio);
  const out = new Float32Array(outLength);
  const reach = Math.ceil(halfWidth);
  for (let i = 0; i < outLength; i++) {
    const t = i / ratio;
    const centre = Math.floor(t);
    let acc = 0;
    for (let k = centre - reach + 1; k <= centre + reach; k++) {
      if (k < 0 || k >= input.length) continue;
      const pos = Math.abs(t - k) * TABLE_STEPS;
      const j = Math.floor(pos);
      if (j + 1 >= table.length) continue;
      const h = table[j] + (table[j + 1] - table[j]) * (pos - j);
      acc += input[k] * h;
    }
    out[i] = acc;
  }
  return out;
}

/** Channels mapped to a new count: mono is copied to every channel, many to one is their mean, else by index. */
export function remixChannels(input: Float32Array[], channels: number): Float32Array[] {
  if (input.length === channels) return input;
  if (channels === 1) {
    const out = new Float32Array(input[0].length);
    for (const ch of input) for (let i = 0; i < out.length; i++) out[i] += ch[i] / input.length;
    return [out];
  }
  return Array.from({ length: channels }, (_, c) => input[c % input.length]);
}
