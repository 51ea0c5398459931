import type { GainFactor, Frames } from '../base/units.js';
import { framesToBytes, type PcmFormat } from '../base/pcm-format.js';
import { Meter } from './meter.js';
import { accumulate, allocSamples, blockLevels, clip16, clipInto, int16View } from './sample-loops.js';
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

/**
 * Writes the gain of each channel of a strip into `gains` (its length is the channel count): volume, balance
 * on stereo pairs, mute and solo. Returns `gains`.
 */
function fillGains(gains: Float64Array, strip: StripSettings, anySolo: boolean): Float64Array {
  const audible = !strip.mute && (!anySolo || strip.solo);
  gains.fill(audible ? strip.volume.gain : 0);
  if (!audible) return gains;
  const pairs = Math.floor(gains.length / 2);
  for (let p = 0; p < pairs; p++) {
    if (strip.pan > 0) gains[2 * p] *= 1 - strip.pan;
    if (strip.pan < 0) gains[2 * p + 1] *= 1 + strip.pan;
  }
  return gains;
}

/** The one input heard (some gain not 0) when it is heard at unity on every channel; undefined otherwise. */
function soleUnityInput(gains: readonly Float64Array[], count: number): number | undefined {
  let heard: number | undefined;
  for (let n = 0; n < count; n++) {
    const g = gains[n];
    let any = false;
    for (let c = 0; c < g.length; c++) if (g[c] !== 0) any = true;
    if (!any) continue;
    if (heard !== undefined) return undefined;
    heard = n;
  }
  if (heard === undefined) return undefined;
  const g = gains[heard];
  for (let c = 0; c < g.length; c++) if (g[c] !== 1) return undefined;
  return heard;
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
  /** Each input's channel gains, made again every period in arrays kept from one period to the next. */
  private readonly gains: Float64Array[] = [];

  constructor(private readonly format: PcmFormat) {}

  /** Mixes one period of `frames` frames. */
  mix(inputs: readonly MixInput[], frames: Frames, options: { trace?: boolean } = {}): MixResult {
    const ch = this.format.channels;
    const samples = frames * ch;
    let anySolo = false;
    for (const input of inputs) if (input.strip.solo) anySolo = true;
    const gains = this.gains;
    while (gains.length < inputs.length) gains.push(new Float64Array(ch));
    for (let n = 0; n < inputs.length; n++) fillGains(gains[n], inputs[n].strip, anySolo);
    const master: GainFactor = this.master.mute ? 0 : this.master.volume.gain;
    const sole = master === 1 && !options.trace ? soleUnityInput(gains, inputs.length) : undefined;
    const mix = sole === undefined ? this.sum(inputs, gains, samples, master) : this.passThrough(inputs, sole, samples);
    for (const input of inputs) input.meter.commit();
    this.meter.commit();
    return options.trace ? { mix, trace: this.traced(inputs, gains, frames) } : { mix };
  }

  /** The general case: every input scaled into the accumulator, the master applied, clipped once. */
  private sum(inputs: readonly MixInput[], gains: readonly Float64Array[], samples: number, master: GainFactor): Buffer {
    if (this.acc.length < samples) this.acc = new Float64Array(samples);
    const acc = this.acc;
    acc.fill(0, 0, samples);
    inputs.forEach((input, n) => {
      const pcm = int16View(input.pcm);
      const have = Math.min(samples, pcm.length);
      accumulate(acc, pcm, have, gains[n], input.meter);
    });
    const out = allocSamples(samples);
    this.clipped += clipInto(out.view, acc, master);
    const { peak, square } = blockLevels(out.view, samples);
    this.meter.addBlock(peak, square, samples);
    return out.buffer;
  }

  /**
   * One input heard at unity and the master at unity: the mix is that input's samples (nothing can clip),
   * the input's own buffer when it fills the period, else a copy padded with silence.
   */
  private passThrough(inputs: readonly MixInput[], sole: number, samples: number): Buffer {
    inputs.forEach((input, n) => {
      if (n !== sole) input.meter.addBlock(0, 0, Math.min(samples, input.pcm.length >> 1));
    });
    const { pcm } = inputs[sole];
    const view = int16View(pcm);
    const have = Math.min(samples, view.length);
    const heard = view.subarray(0, have);
    inputs[sole].meter.addSamples(heard, have);
    this.meter.addSamples(heard, samples);
    if (have === samples && pcm.length === samples * 2) return pcm;
    const out = allocSamples(samples);
    out.view.set(view.subarray(0, have));
    return out.buffer;
  }

  /** With trace on: every input on its own channels, scaled by its strip and clipped. */
  private traced(inputs: readonly MixInput[], gains: readonly Float64Array[], frames: Frames): Buffer {
    const ch = this.format.channels;
    const width = inputs.length * ch;
    const out = allocSamples(framesToBytes(frames, { rate: this.format.rate, channels: Math.max(1, width) }) / 2);
    inputs.forEach((input, n) => {
      const pcm = int16View(input.pcm);
      const have = Math.min(frames * ch, pcm.length);
      for (let i = 0; i < have; i++) {
        const c = i % ch;
        out.view[Math.floor(i / ch) * width + n * ch + c] = clip16(pcm[i] * gains[n][c]);
      }
    });
    return out.buffer;
  }
}
