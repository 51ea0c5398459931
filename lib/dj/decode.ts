// WAV (lib/sequencer's reader), and MP3, FLAC and Ogg Vorbis (libmpg123, libFLAC and libvorbis in WASM) into float channels in the project format.
// No native addon: tracks are decoded on a worker thread, where @flat/lame's decoder aborts the process.
import type { PcmFormat } from '../base/pcm-format.js';
import { resampleChannels } from '../sequencer/resampler.js';
import { decodeWavFile, remapChannels } from '../sequencer/wav-frames.js';
import type { PcmBuffer } from './pcm-buffer.js';

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

function decodeWav(bytes: Buffer): SourceAudio {
  const { rate, channels } = decodeWavFile(bytes);
  return { sampleRate: rate, channels };
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
    source = container === 'wav' ? decodeWav(bytes) : await decodeWasm(container, bytes);
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
  // Fewer channels out: mixed down first (less to resample); more: each source channel resampled once.
  const channels = format.channels < source.channels.length
    ? resampleChannels(remapChannels(source.channels, format.channels), from, format.rate)
    : remapChannels(resampleChannels(source.channels, from, format.rate), format.channels);
  return { format, channels, frames: channels[0].length };
}

/** The audio of a track file's bytes, converted to the project rate and channel count. */
export async function decodeTrack(bytes: Buffer, format: PcmFormat, name: string): Promise<PcmBuffer> {
  return toProjectFormat(await decodeSource(bytes, name), format);
}
