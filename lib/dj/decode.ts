// WAV (`wav`), and MP3, FLAC and Ogg Vorbis (libmpg123, libFLAC and libvorbis in WASM) into float channels in the project format.
// No native addon: tracks are decoded on a worker thread, where @flat/lame's decoder aborts the process.
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


/** A track that could not be read or decoded; the message says why. */
export class TrackDecodeError extends Error {
  constructor(readonly track: string, detail: string) {
    super(`'${track}': ${detail}`);
    this.name = 'TrackDecodeError';
  }
}

/** The containers and codecs a track can come in; the ogg-opus kind is recognised only to be refused by name. */
export type TrackContainer = 'wav' | 'mp3' | 'flac' | 'ogg-vorbis' | 'ogg-flac' | 'ogg-opus';

/** What the decoders take, for messages. */
export const SUPPORTED = 'WAV (RIFF....WAVE), MP3 (ID3 or frame sync), FLAC (fLaC) or Ogg Vorbis (OggS)';

/** The container of a file, from its first bytes. */
export function sniffContainer(bytes: Buffer): TrackContainer | undefined {
  const head = bytes.toString('latin1', 0, Math.min(bytes.length, 256));
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WAVE') return 'wav';
  if (head.startsWith('fLaC')) return 'flac';
  if (head.startsWith('OggS')) {
    if (head.includes('\x01vorbis')) return 'ogg-vorbis';
    if (head.includes('\x7fFLAC')) return 'ogg-flac';
    if (head.includes('OpusHead')) return 'ogg-opus';
    return undefined;
  }
  if (head.startsWith('ID3')) return 'mp3';
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0) return 'mp3';
  return undefined;
}

/** Audio as float channels at the file's own rate. */
interface SourceAudio {
  sampleRate: number;
  channels: Float32Array[];
}

interface WasmDecoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: Array<{ message: string }>;
}

interface WasmDecoder {
  ready: Promise<void>;
  decodeFile: (data: Uint8Array) => Promise<WasmDecoded>;
  free: () => void;
}

async function wasmDecoder(container: 'mp3' | 'flac' | 'ogg-vorbis' | 'ogg-flac'): Promise<WasmDecoder> {
  if (container === 'mp3') {
    const mpeg = new (await import('mpg123-decoder')).MPEGDecoder();
    return { ready: mpeg.ready, free: () => mpeg.free(), decodeFile: async (data) => mpeg.decode(data) };
  }
  if (container === 'ogg-vorbis') return new (await import('@wasm-audio-decoders/ogg-vorbis')).OggVorbisDecoder();
  return new (await import('@wasm-audio-decoders/flac')).FLACDecoder();
}

async function decodeWasm(container: 'mp3' | 'flac' | 'ogg-vorbis' | 'ogg-flac', bytes: Buffer): Promise<SourceAudio> {
  const decoder = await wasmDecoder(container);
  try {
    await decoder.ready;
    const r = await decoder.decodeFile(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    if (r.samplesDecoded === 0 && r.errors.length) throw new Error(r.errors[0].message);
    return { sampleRate: r.sampleRate, channels: r.channelData.map((ch) => ch.subarray(0, r.samplesDecoded)) };
  } finally {
    decoder.free();
  }
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

async function decodeWav(bytes: Buffer): Promise<SourceAudio> {
  const { format: f, data } = await runDecoder(new wav.Reader() as unknown as Transform, bytes);
  if (![8, 16, 24, 32, 64].includes(f.bitDepth) || !(f.channels >= 1)) {
    throw new Error(`unsupported sample layout: ${f.bitDepth} bits, ${f.channels} channels, ${f.sampleRate} Hz`);
  }
  return { sampleRate: f.sampleRate, channels: toFloatChannels(data, f) };
}

const LABEL: Record<TrackContainer, string> = { wav: 'WAV', mp3: 'MP3', flac: 'FLAC', 'ogg-vorbis': 'Ogg Vorbis', 'ogg-flac': 'Ogg FLAC', 'ogg-opus': 'Ogg Opus' };

/** The audio of a WAV, MP3, FLAC or Ogg Vorbis file's bytes at its own rate; TrackDecodeError says why not. */
export async function decodeSource(bytes: Buffer, name: string): Promise<SourceAudio> {
  const container = sniffContainer(bytes);
  if (!container) {
    const head = bytes.subarray(0, 4).toString('hex') || 'an empty file';
    throw new TrackDecodeError(name, `expected a ${SUPPORTED} file, got ${head}`);
  }
  if (container === 'ogg-opus') throw new TrackDecodeError(name, `Ogg Opus is not supported (expected a ${SUPPORTED} file)`);
  let source: SourceAudio;
  try {
    source = container === 'wav' ? await decodeWav(bytes) : await decodeWasm(container, bytes);
  } catch (err) {
    throw new TrackDecodeError(name, `cannot decode ${LABEL[container]}: ${(err as Error).message ?? err}`);
  }
  if (source.channels.length === 0 || source.channels[0].length === 0) throw new TrackDecodeError(name, `expected audio frames in the ${LABEL[container]} file, decoded none`);
  if (!(source.sampleRate >= 1000)) throw new TrackDecodeError(name, `unsupported ${LABEL[container]} stream: ${source.channels.length} channels, ${source.sampleRate} Hz`);
  return source;
}

/** Source audio converted to the project rate and channel count. */
export function toProjectFormat(source: SourceAudio, format: PcmFormat): PcmBuffer {
  const from = source.sampleRate;
  const channels = format.channels < source.channels.length
    ? remixChannels(source.channels, format.channels).map((ch) => resampleChannel(ch, from, format.rate))
    : remixChannels(source.channels.map((ch) => resampleChannel(ch, from, format.rate)), format.channels);
  return { format, channels, frames: channels[0].length };
}

/** The audio of a track file's bytes, converted to the project rate and channel count. */
export async function decodeTrack(bytes: Buffer, format: PcmFormat, name: string): Promise<PcmBuffer> {
  return toProjectFormat(await decodeSource(bytes, name), format);
}
