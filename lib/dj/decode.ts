// WAV (through `wav`) and MP3 (through @flat/lame's libmpg123 Decoder) into float channels in the project format.
import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import wav from 'wav';
import type { PcmFormat } from '../base/pcm-format.js';
import type { PcmBuffer } from './pcm-buffer.js';
import { remixChannels, resampleChannel } from './resample.js';

/** The sample layout a decoder reports. */
interface SourceFormat {
  sampleRate: number;
  channels: number;
  bitDepth: number;
  float: boolean;
  signed: boolean;
}

// @flat/lame's own index.d.ts is wrong: this is the part of it we use.
interface LameDecoderModule {
  Decoder: new () => Transform;
}
const require = createRequire(import.meta.url);

/** A track that could not be read or decoded; the message says why. */
export class TrackDecodeError extends Error {
  constructor(readonly track: string, detail: string) {
    super(`'${track}': ${detail}`);
    this.name = 'TrackDecodeError';
  }
}

/** The container of a file, from its first bytes. */
export function sniffContainer(bytes: Buffer): 'wav' | 'mp3' | undefined {
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WAVE') return 'wav';
  if (bytes.length >= 3 && bytes.toString('latin1', 0, 3) === 'ID3') return 'mp3';
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0) return 'mp3';
  return undefined;
}

function runDecoder(decoder: Transform, bytes: Buffer): Promise<{ format: SourceFormat; data: Buffer }> {
  return new Promise((resolve, reject) => {
    let format: SourceFormat | undefined;
    const chunks: Buffer[] = [];
    decoder.on('format', (f: Record<string, unknown>) => {
      format = {
        sampleRate: Number(f.sampleRate),
        channels: Number(f.channels),
        bitDepth: Number(f.bitDepth),
        float: Boolean(f.float) || f.audioFormat === 3,
        signed: f.signed === undefined ? Number(f.bitDepth) > 8 : Boolean(f.signed),
      };
    });
    decoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    decoder.on('error', reject);
    decoder.on('end', () => {
      if (!format) reject(new Error('no audio format found'));
      else resolve({ format, data: Buffer.concat(chunks) });
    });
    decoder.end(bytes);
  });
}

function toFloatChannels(data: Buffer, f: SourceFormat): Float32Array[] {
  const bytesPerSample = f.bitDepth / 8;
  const frames = Math.floor(data.length / (bytesPerSample * f.channels));
  const out = Array.from({ length: f.channels }, () => new Float32Array(frames));
  let o = 0;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < f.channels; c++) {
      let v: number;
      if (f.float) v = bytesPerSample === 8 ? data.readDoubleLE(o) : data.readFloatLE(o);
      else if (bytesPerSample === 1) v = (data[o] - 128) / 128;
      else if (bytesPerSample === 2) v = data.readInt16LE(o) / 32768;
      else if (bytesPerSample === 3) v = data.readIntLE(o, 3) / 8388608;
      else v = data.readInt32LE(o) / 2147483648;
      out[c][i] = v;
      o += bytesPerSample;
    }
  }
  return out;
}

/** The audio of a WAV or MP3 file's bytes, converted to the project rate and channel count. */
export async function decodeTrack(bytes: Buffer, format: PcmFormat, name: string): Promise<PcmBuffer> {
  const container = sniffContainer(bytes);
  if (!container) {
    const head = bytes.subarray(0, 4).toString('hex') || 'an empty file';
    throw new TrackDecodeError(name, `expected a WAV (RIFF....WAVE) or MP3 (ID3 or frame sync) file, got ${head}`);
  }
  const decoder = container === 'wav' ? (new wav.Reader() as unknown as Transform) : new (require('@flat/lame') as LameDecoderModule).Decoder();
  let decoded: { format: SourceFormat; data: Buffer };
  try {
    decoded = await runDecoder(decoder, bytes);
  } catch (err) {
    throw new TrackDecodeError(name, `cannot decode ${container.toUpperCase()}: ${(err as Error).message ?? err}`);
  }
  const f = decoded.format;
  if (![8, 16, 24, 32, 64].includes(f.bitDepth) || !(f.channels >= 1) || !(f.sampleRate >= 1000)) {
    throw new TrackDecodeError(name, `unsupported sample layout: ${f.bitDepth} bits, ${f.channels} channels, ${f.sampleRate} Hz`);
  }
  const source = toFloatChannels(decoded.data, f);
  if (source[0].length === 0) throw new TrackDecodeError(name, `expected audio frames in the ${container.toUpperCase()} file, decoded none`);
  const channels = format.channels < source.length
    ? remixChannels(source, format.channels).map((ch) => resampleChannel(ch, f.sampleRate, format.rate))
    : remixChannels(source.map((ch) => resampleChannel(ch, f.sampleRate, format.rate)), format.channels);
  return { format, channels, frames: channels[0].length };
}
