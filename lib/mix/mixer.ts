import type { GainFactor, Frames } from '../base/units.js';
import { framesToBytes, type PcmFormat } from '../base/pcm-format.js';
import { Meter } from './meter.js';
import { defaultStrip, type StripSettings } from './strip.js';

/** One source's period for the mixer: its PCM (shorter than the period means silence after it), strip and meter. */
export interface MixInput {
  readonly pcm: Buffer;
  readonly strip: StripSettings;
  readonly meter: Meter;
}

/** What one period of mixing gives: the mix, and with trace on every source on its own channels. */
export interface MixResult {
  readonly mix: Buffer;
  readonly trace?: Buffer;
}

const S16_MAX = 32767;
const S16_MIN = -32768;

function clip16(v: number): number {
  const r = Math.round(v);
  return r > S16_MAX ? S16_MAX : r < S16_MIN ? S16_MIN : r;
}

/** The samples of s16le PCM as an Int16Array (a view when aligned; little-endian hosts, as Node's are). */
function int16View(b: Buffer): Int16Array {
  if (b.byteOffset % 2 === 0) return new Int16Array(b.buffer, b.byteOffset, b.length >> 1);
  return new Int16Array(Uint8Array.from(b).buffer, 0, b.length >> 1);
}

/** The gain of each channel of a strip: volume, balance on stereo pairs, mute and solo. */
export function channelGains(strip: StripSettings, channels: number, options: { anySolo: boolean }): Float64Array {
  const gains = new Float64Array(channels);
  const audible = !strip.mute && (!options.anySolo || strip.solo);
  if (!audible) return gains;
  gains.fill(strip.volume.gain);
  const pairs = Math.floor(channels / 2);
  for (let p = 0; p < pairs; p++) {
    if (strip.pan > 0) gains[2 * p] *= 1 - strip.pan;
    if (strip.pan < 0) gains[2 * p + 1] *= 1 + strip.pan;
  }
  return gains;
}

/** Sums sources with their strips in a Float64 buffer and clips once, at the output, to s16. */
export class Mixer {
  /** The master strip (/mixer): volume and mute. */
  master: StripSettings = defaultStrip();
  /** Meter of the master output. */
  readonly meter = new Meter();
  /** Output samples that were clipped since the mixer was made. */
  clipped = 0;
  private acc = new Float64Array(0);

  constructor(private readonly format: PcmFormat) {}

  /** Mixes one period of `frames` frames. */
  mix(inputs: readonly MixInput[], frames: Frames, options: { trace?: boolean } = {}): MixResult {
    const ch = this.format.channels;
    const samples = frames * ch;
    if (this.acc.length < samples) this.acc = new Float64Array(samples);
    const acc = this.acc;
    acc.fill(0, 0, samples);
    const anySolo = inputs.some((i) => i.strip.solo);
    const traceWidth = inputs.length * ch;
    const trace = options.trace ? Buffer.alloc(framesToBytes(frames, { rate: this.format.rate, channels: Math.max(1, traceWidth) })) : undefined;
    inputs.forEach((input, n) => {
      const gains = channelGains(input.strip, ch, { anySolo });
      const pcm = int16View(input.pcm);
      const have = Math.min(samples, pcm.length);
      for (let i = 0; i < have; i++) {
        const v = pcm[i] * gains[i % ch];
        acc[i] += v;
        input.meter.add(v);
        if (trace) trace.writeInt16LE(clip16(v), (Math.floor(i / ch) * traceWidth + n * ch + (i % ch)) * 2);
      }
      input.meter.commit();
    });
    const master: GainFactor = this.master.mute ? 0 : this.master.volume.gain;
    const out = Buffer.alloc(samples * 2);
    const view = int16View(out);
    for (let i = 0; i < samples; i++) {
      const v = acc[i] * master;
      const c = clip16(v);
      if (c !== Math.round(v)) this.clipped++;
      this.meter.add(c);
      view[i] = c;
    }
    this.meter.commit();
    return trace ? { mix: out, trace } : { mix: out };
  }
}
