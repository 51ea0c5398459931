import { Transform, type TransformCallback } from 'node:stream';
import { DEFAULT_FORMAT, type PcmFormat } from '../base/pcm-format.js';
import type { Bytes } from '../base/units.js';
import { WavFrameConverter } from './wav-frames.js';
import { incompleteHeaderError, parseWavHeader, WavFormatError, type WavHeader } from './wav-header.js';

export { WavFormatError } from './wav-header.js';
export { floatToS16 } from './wav-frames.js';

/** Options of a WavToPcm converter. */
export interface WavToPcmOptions {
  /** The project format to produce (default 44.1 kHz stereo s16le). */
  format?: PcmFormat;
  /** Largest header (all chunks before 'data') accepted (default 1 MiB). */
  maxHeaderBytes?: Bytes;
}

/** A streaming converter from a WAV file (PCM 8-32 bit, float, extensible) to the project format. */
export class WavToPcm extends Transform {
  private readonly format: PcmFormat;
  private readonly maxHeaderBytes: Bytes;
  private pending: Buffer = Buffer.alloc(0);
  private header: WavHeader | null = null;
  private received: Bytes = 0;
  private converter: WavFrameConverter | null = null;

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
      if (!this.header) {
        this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
        this.header = parseWavHeader(this.pending);
        if (!this.header) {
          if (this.pending.length > this.maxHeaderBytes) {
            throw new WavFormatError(`expected a 'data' chunk within ${this.maxHeaderBytes} bytes, found none`, this.pending.length);
          }
          return callback();
        }
        this.converter = new WavFrameConverter(this.header, { format: this.format });
        chunk = this.pending.subarray(this.header.dataOffset);
        this.pending = Buffer.alloc(0);
      }
      const { dataLength } = this.header;
      const usable = dataLength === null ? chunk : chunk.subarray(0, Math.max(0, dataLength - this.received));
      this.received += usable.length;
      this.converter!.push(usable, (pcm) => this.push(pcm));
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
      const leftover = this.converter!.leftover;
      if (leftover !== 0 && dataLength === null) {
        throw new WavFormatError(`data ends inside a frame: ${leftover} bytes left over of a ${blockAlign}-byte frame`, dataOffset + this.received);
      }
      this.converter!.flush((pcm) => this.push(pcm));
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }
}
