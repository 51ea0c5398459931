import type { Bytes, Hz, Seconds } from '../base/units.js';

/** A malformed or unsupported WAV file: names the fault and the byte offset. */
export class WavFormatError extends Error {
  readonly fault: string;
  readonly offset: number;

  constructor(fault: string, offset: number) {
    super(`WAV: ${fault} at byte offset ${offset}`);
    this.name = 'WavFormatError';
    this.fault = fault;
    this.offset = offset;
  }
}

/** How the samples of a WAV file are stored. */
export type WavSampleType = 'uint8' | 'int16' | 'int24' | 'int32' | 'float32' | 'float64';

/** What the header of a WAV file says, and where its samples start. */
export interface WavHeader {
  sampleType: WavSampleType;
  channels: number;
  rate: Hz;
  /** Bytes per frame (block align). */
  blockAlign: Bytes;
  /** Offset of the first sample byte. */
  dataOffset: Bytes;
  /** Bytes of samples the data chunk declares; null when unknown (0 or 0xFFFFFFFF, as streamed WAVs write). */
  dataLength: Bytes | null;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;
const STREAMED_LENGTHS = new Set([0, 0xffffffff]);
/** Sample rates a WAV input may have: a resampler's work and output grow with the ratio to the project rate. */
export const WAV_MIN_RATE: Hz = 1000;
export const WAV_MAX_RATE: Hz = 768000;
/** Most channels a WAV input may have. */
export const WAV_MAX_CHANNELS = 64;

/** The duration of a WAV file of `size` bytes by its header: the whole frames its data chunk declares (or, streamed, holds). */
export function wavSeconds(header: WavHeader, size: Bytes): Seconds {
  return Math.floor((header.dataLength ?? size - header.dataOffset) / header.blockAlign) / header.rate;
}

/** Parses the header up to the data chunk; null when `bytes` does not reach it yet. */
export function parseWavHeader(bytes: Buffer): WavHeader | null {
  if (bytes.length < 12) return null;
  if (bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') {
    throw new WavFormatError(`expected 'RIFF....WAVE', got '${bytes.toString('latin1', 0, 12).replace(/[^\x20-\x7e]/g, '.')}'`, 0);
  }
  let format: Omit<WavHeader, 'dataOffset' | 'dataLength'> | null = null;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = bytes.toString('latin1', at, at + 4);
    const length = bytes.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'data') {
      if (!format) throw new WavFormatError("expected a 'fmt ' chunk before the 'data' chunk", at);
      const dataLength = STREAMED_LENGTHS.has(length) ? null : length;
      if (dataLength !== null && dataLength % format.blockAlign !== 0) {
        throw new WavFormatError(`data chunk length: expected a multiple of ${format.blockAlign} bytes (one frame), got ${length}`, at + 4);
      }
      return { ...format, dataOffset: body, dataLength };
    }
    if (body + length > bytes.length) return null;
    if (id === 'fmt ') format = parseFmt(bytes, body, length);
    at = body + length + (length & 1);
  }
  return null;
}

function parseFmt(bytes: Buffer, at: number, length: number): Omit<WavHeader, 'dataOffset' | 'dataLength'> {
  if (length < 16) throw new WavFormatError(`'fmt ' chunk length: expected at least 16, got ${length}`, at - 4);
  let code = bytes.readUInt16LE(at);
  const channels = bytes.readUInt16LE(at + 2);
  const rate = bytes.readUInt32LE(at + 4);
  const blockAlign = bytes.readUInt16LE(at + 12);
  const bits = bytes.readUInt16LE(at + 14);
  if (code === FORMAT_EXTENSIBLE) {
    if (length < 40) throw new WavFormatError(`WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk length: expected 40, got ${length}`, at - 4);
    code = bytes.readUInt16LE(at + 24);
  }
  if (channels < 1 || channels > WAV_MAX_CHANNELS) {
    throw new WavFormatError(`channels: expected 1 to ${WAV_MAX_CHANNELS}, got ${channels}`, at + 2);
  }
  if (rate < WAV_MIN_RATE || rate > WAV_MAX_RATE) {
    throw new WavFormatError(`sample rate: expected ${WAV_MIN_RATE} to ${WAV_MAX_RATE} Hz, got ${rate}`, at + 4);
  }
  const sampleType = sampleTypeOf(code, bits);
  if (!sampleType) {
    throw new WavFormatError(
      `unsupported codec ${code} with ${bits}-bit samples (expected PCM 8/16/24/32-bit or 32/64-bit float)`, at);
  }
  const expectedAlign = channels * (bits / 8);
  if (blockAlign !== expectedAlign) {
    throw new WavFormatError(`block align: expected ${expectedAlign} (${channels} channels x ${bits / 8} bytes), got ${blockAlign}`, at + 12);
  }
  return { sampleType, channels, rate, blockAlign };
}

function sampleTypeOf(code: number, bits: number): WavSampleType | null {
  if (code === FORMAT_PCM) return ({ 8: 'uint8', 16: 'int16', 24: 'int24', 32: 'int32' } as const)[bits as 8] ?? null;
  if (code === FORMAT_FLOAT && bits === 32) return 'float32';
  if (code === FORMAT_FLOAT && bits === 64) return 'float64';
  return null;
}

/** The error for a stream that ended before its header was complete. */
export function incompleteHeaderError(bytes: Buffer): WavFormatError {
  if (bytes.length < 12) return new WavFormatError(`truncated header: expected at least 12 bytes, got ${bytes.length}`, bytes.length);
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = bytes.toString('latin1', at, at + 4);
    const length = bytes.readUInt32LE(at + 4);
    if (at + 8 + length > bytes.length) {
      return new WavFormatError(`chunk '${id.replace(/[^\x20-\x7e]/g, '.')}' length ${length} runs past the end of the file (${bytes.length - at - 8} bytes left)`, at + 4);
    }
    at += 8 + length + (length & 1);
  }
  return new WavFormatError(`truncated header: expected a 'data' chunk, the file ended after ${bytes.length} bytes`, bytes.length);
}
