import { bytesPerFrame, type PcmFormat } from '../base/pcm-format.js';
import type { Frames, Hz } from '../base/units.js';
import { Resampler } from './resampler.js';
import { incompleteHeaderError, parseWavHeader, WavFormatError, type WavHeader, type WavSampleType } from './wav-header.js';

/** Options of a WavFrameConverter. */
export interface WavFrameOptions {
  /** The project format to produce. */
  format: PcmFormat;
  /** Where the bytes pushed start: input frame `input` of the data chunk, producing from output frame `output`. */
  start?: { input: Frames; output: Frames };
  /** Produce no output frame at or past this one. */
  outputEnd?: Frames;
}

/** The header fields the samples need. */
export type WavSampleLayout = Pick<WavHeader, 'sampleType' | 'channels' | 'rate' | 'blockAlign'>;

const SAMPLE_BYTES: Record<WavSampleType, number> = { uint8: 1, int16: 2, int24: 3, int32: 4, float32: 4, float64: 8 };
/** Input frames decoded and resampled at once: bounds the memory of one step whatever the rate ratio. */
const BLOCK_FRAMES = 4096;

/**
 * WAV sample frames to the project format (channels remapped, resampled, s16le), in bounded blocks:
 * what one call emits is at most a block's worth, however much is pushed.
 */
export class WavFrameConverter {
  private readonly format: PcmFormat;
  private readonly layout: WavSampleLayout;
  private readonly resampler: Resampler | null;
  /** Resample before remapping when the output has more channels (each source channel resampled once). */
  private readonly resampleFirst: boolean;
  private pending: Buffer = Buffer.alloc(0);
  private produced: Frames;
  private readonly outputEnd: Frames;

  constructor(layout: WavSampleLayout, options: WavFrameOptions) {
    this.layout = layout;
    this.format = options.format;
    this.resampleFirst = options.format.channels > layout.channels;
    this.produced = options.start?.output ?? 0;
    this.outputEnd = options.outputEnd ?? Infinity;
    this.resampler = layout.rate === options.format.rate ? null : new Resampler({
      from: layout.rate,
      to: options.format.rate,
      channels: this.resampleFirst ? layout.channels : options.format.channels,
      start: options.start,
      outputEnd: options.outputEnd,
    });
  }

  /** The resampler (null at the project rate): where a region's input must start and end. */
  get rateConverter(): Resampler | null {
    return this.resampler;
  }

  /** Takes data chunk bytes (any length; a partial frame waits for the rest) and emits PCM blocks. */
  push(bytes: Buffer, emit: (pcm: Buffer) => void): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, bytes]) : bytes;
    const { blockAlign } = this.layout;
    let at = 0;
    while (this.pending.length - at >= blockAlign) {
      const frames = Math.min(BLOCK_FRAMES, Math.floor((this.pending.length - at) / blockAlign));
      this.convert(this.pending.subarray(at, at + frames * blockAlign), frames, emit);
      at += frames * blockAlign;
    }
    this.pending = Buffer.from(this.pending.subarray(at));
  }

  /** Bytes left over of an incomplete frame. */
  get leftover(): number {
    return this.pending.length;
  }

  /** The last output frames (the resampler's tail). */
  flush(emit: (pcm: Buffer) => void): void {
    if (!this.resampler) return;
    const tail = this.resampler.flush();
    this.emit16(this.resampleFirst ? remapChannels(tail, this.format.channels) : tail, emit);
  }

  private convert(bytes: Buffer, frames: Frames, emit: (pcm: Buffer) => void): void {
    const planar = decodeFrames(bytes, this.layout, frames);
    const channels = this.format.channels;
    if (!this.resampler) return this.emit16(remapChannels(planar, channels), emit);
    if (this.resampleFirst) return this.emit16(remapChannels(this.resampler.push(planar), channels), emit);
    this.emit16(this.resampler.push(remapChannels(planar, channels)), emit);
  }

  private emit16(planar: Float64Array[], emit: (pcm: Buffer) => void): void {
    const channels = this.format.channels;
    const frames = Math.min(planar[0]?.length ?? 0, this.outputEnd - this.produced);
    if (frames <= 0) return;
    this.produced += frames;
    const out = Buffer.allocUnsafe(frames * bytesPerFrame(this.format));
    for (let c = 0; c < channels; c++) {
      const samples = planar[c];
      for (let f = 0; f < frames; f++) out.writeInt16LE(floatToS16(samples[f]), (f * channels + c) * 2);
    }
    emit(out);
  }
}

/** A float sample (full scale = 1) as s16, rounded and clipped. */
export function floatToS16(value: number): number {
  return Math.max(-32768, Math.min(32767, Math.round(value * 32768)));
}

function decodeFrames(bytes: Buffer, layout: WavSampleLayout, frames: Frames): Float64Array[] {
  const { channels, sampleType, blockAlign } = layout;
  const size = SAMPLE_BYTES[sampleType];
  const planar = Array.from({ length: channels }, () => new Float64Array(frames));
  for (let c = 0; c < channels; c++) {
    const samples = planar[c];
    for (let f = 0; f < frames; f++) samples[f] = readSample(bytes, f * blockAlign + c * size, sampleType);
  }
  return planar;
}

function readSample(bytes: Buffer, at: number, type: WavSampleType): number {
  switch (type) {
    case 'uint8': return (bytes[at] - 128) / 128;
    case 'int16': return bytes.readInt16LE(at) / 32768;
    case 'int24': return bytes.readIntLE(at, 3) / 8388608;
    case 'int32': return bytes.readInt32LE(at) / 2147483648;
    case 'float32':
    case 'float64': {
      const value = type === 'float32' ? bytes.readFloatLE(at) : bytes.readDoubleLE(at);
      // NaN or infinity would spread through the resampler's sums: taken as silence.
      return Number.isFinite(value) ? value : 0;
    }
  }
}

/** Same channels: unchanged; to mono: the average; from mono: copied; else channel c from c (wrapping). */
export function remapChannels<T extends Float64Array | Float32Array>(planar: T[], channels: number): T[] {
  if (planar.length === channels) return planar;
  if (channels === 1) {
    const mono = new (planar[0].constructor as new (n: number) => T)(planar[0].length);
    for (const channel of planar) for (let i = 0; i < mono.length; i++) mono[i] += channel[i] / planar.length;
    return [mono];
  }
  return Array.from({ length: channels }, (_, c) => planar[c % planar.length]);
}

/** A whole WAV file's samples as float channels at its own rate; a malformed file throws WavFormatError. */
export function decodeWavFile(bytes: Buffer): { rate: Hz; channels: Float32Array[] } {
  const header = parseWavHeader(bytes);
  if (!header) throw incompleteHeaderError(bytes);
  const { dataOffset, dataLength, blockAlign, channels, sampleType } = header;
  const available = bytes.length - dataOffset;
  if (dataLength !== null && dataLength > available) {
    throw new WavFormatError(`data chunk declares ${dataLength} bytes, the file ended after ${available}`, bytes.length);
  }
  const frames = Math.floor((dataLength ?? available) / blockAlign);
  const size = SAMPLE_BYTES[sampleType];
  const planar = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let f = 0; f < frames; f++) {
    const at = dataOffset + f * blockAlign;
    for (let c = 0; c < channels; c++) planar[c][f] = readSample(bytes, at + c * size, sampleType);
  }
  return { rate: header.rate, channels: planar };
}
