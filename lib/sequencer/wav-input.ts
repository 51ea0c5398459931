import { Transform, type TransformCallback } from 'node:stream';
import { DEFAULT_FORMAT, bytesPerFrame, type PcmFormat } from '../base/pcm-format.js';
import type { Bytes } from '../base/units.js';
import { Resampler } from './resampler.js';
import { incompleteHeaderError, parseWavHeader, WavFormatError, type WavHeader, type WavSampleType } from './wav-header.js';

export { WavFormatError } from './wav-header.js';

/** Options of a WavToPcm converter. */
export interface WavToPcmOptions {
  /** The project format to produce (default 44.1 kHz stereo s16le). */
  format?: PcmFormat;
  /** Largest header (all chunks before 'data') accepted (default 1 MiB). */
  maxHeaderBytes?: Bytes;
}

const SAMPLE_BYTES: Record<WavSampleType, number> = { uint8: 1, int16: 2, int24: 3, int32: 4, float32: 4 };

/** A streaming converter from a WAV file (PCM 8-32 bit, float, extensible) to the project format. */
export class WavToPcm extends Transform {
  private readonly format: PcmFormat;
  private readonly maxHeaderBytes: Bytes;
  private pending: Buffer = Buffer.alloc(0);
  private header: WavHeader | null = null;
  private received: Bytes = 0;
  private resampler: Resampler | null = null;

  constructor(options: WavToPcmOptions = {}) {
    super();
    this.format = options.format ?? DEFAULT_FORMAT;
    this.maxHeaderBytes = options.maxHeaderBytes ?? 1024 * 1024;
  }

  /** The header, once it has been read. */
  get wavHeader(): WavHeader | null {
    return this.header;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      if (!this.header) {
        this.header = parseWavHeader(this.pending);
        if (!this.header) {
          if (this.pending.length > this.maxHeaderBytes) {
            throw new WavFormatError(`expected a 'data' chunk within ${this.maxHeaderBytes} bytes, found none`, this.pending.length);
          }
          return callback();
        }
        this.pending = this.pending.subarray(this.header.dataOffset);
        if (this.header.rate !== this.format.rate) {
          this.resampler = new Resampler({ from: this.header.rate, to: this.format.rate, channels: this.format.channels });
        }
      }
      this.consume();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (!this.header) throw incompleteHeaderError(this.pending);
      const { dataLength, dataOffset, blockAlign } = this.header;
      if (dataLength !== null && this.received < dataLength) {
        throw new WavFormatError(
          `data chunk declares ${dataLength} bytes, the file ended after ${this.received}`, dataOffset + this.received);
      }
      if (this.pending.length % blockAlign !== 0 && dataLength === null) {
        throw new WavFormatError(`data ends inside a frame: ${this.pending.length} bytes left over of a ${blockAlign}-byte frame`, dataOffset + this.received);
      }
      if (this.resampler) this.emit16(this.resampler.flush());
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private consume(): void {
    const header = this.header!;
    if (header.dataLength !== null && this.received >= header.dataLength) {
      this.pending = Buffer.alloc(0);
      return;
    }
    let usable = this.pending.length;
    if (header.dataLength !== null) usable = Math.min(usable, header.dataLength - this.received);
    const frames = Math.floor(usable / header.blockAlign);
    if (frames === 0) return;
    const bytes = frames * header.blockAlign;
    const planar = remapChannels(decodeFrames(this.pending.subarray(0, bytes), header, frames), this.format.channels);
    this.received += bytes;
    this.pending = Buffer.from(this.pending.subarray(bytes));
    this.emit16(this.resampler ? this.resampler.push(planar) : planar);
  }

  private emit16(planar: Float64Array[]): void {
    const frames = planar[0]?.length ?? 0;
    if (frames === 0) return;
    const channels = this.format.channels;
    const out = Buffer.allocUnsafe(frames * bytesPerFrame(this.format));
    for (let f = 0; f < frames; f++) {
      for (let c = 0; c < channels; c++) out.writeInt16LE(floatToS16(planar[c][f]), (f * channels + c) * 2);
    }
    this.push(out);
  }
}

/** A float sample (full scale = 1) as s16, rounded and clipped. */
export function floatToS16(value: number): number {
  return Math.max(-32768, Math.min(32767, Math.round(value * 32768)));
}

function decodeFrames(bytes: Buffer, header: WavHeader, frames: number): Float64Array[] {
  const { channels, sampleType } = header;
  const size = SAMPLE_BYTES[sampleType];
  const planar = Array.from({ length: channels }, () => new Float64Array(frames));
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) {
      const at = f * header.blockAlign + c * size;
      planar[c][f] = readSample(bytes, at, sampleType);
    }
  }
  return planar;
}

function readSample(bytes: Buffer, at: number, type: WavSampleType): number {
  switch (type) {
    case 'uint8': return (bytes[at] - 128) / 128;
    case 'int16': return bytes.readInt16LE(at) / 32768;
    case 'int24': return bytes.readIntLE(at, 3) / 8388608;
    case 'int32': return bytes.readInt32LE(at) / 2147483648;
    case 'float32': return bytes.readFloatLE(at);
  }
}

/** Same channels: unchanged; to mono: the average; from mono: copied; else channel c from c (wrapping). */
function remapChannels(planar: Float64Array[], channels: number): Float64Array[] {
  if (planar.length === channels) return planar;
  if (channels === 1) {
    const mono = new Float64Array(planar[0].length);
    for (const channel of planar) for (let i = 0; i < mono.length; i++) mono[i] += channel[i] / planar.length;
    return [mono];
  }
  return Array.from({ length: channels }, (_, c) => planar[c % planar.length]);
}
