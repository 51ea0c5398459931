import { createRequire } from 'node:module';
import type { FlatLame, LameEncoder } from '../../../types/flat-lame.js';
import type { Bytes, Frames } from '../../base/units.js';
import { framesToBytes, type PcmFormat } from '../../base/pcm-format.js';

/** An MP3 encoder behind one small interface (LAME here; tests may pass another). */
export interface Mp3Encoder {
  /** Queues PCM for encoding; never blocks; resolves once this PCM is encoded. */
  encode(pcm: Buffer): Promise<void>;
  /** PCM bytes queued and not yet encoded. */
  readonly backlog: Bytes;
  /** Calls `cb` with each piece of MP3 output (not frame-aligned). */
  onData(cb: (mp3: Buffer) => void): void;
  /** Encodes what is queued, flushes the last frames, resolves after the last onData. */
  finish(): Promise<void>;
}

/** Options of an MP3 encoder. */
export interface Mp3EncoderOptions {
  format: PcmFormat;
  /** Constant bitrate, kbit/s. */
  bitrate: number;
}

/** Makes an encoder (injected into the MP3 sinks). */
export type Mp3EncoderFactory = (options: Mp3EncoderOptions) => Mp3Encoder;

/** Two MPEG-1 Layer III frames of silence: what pushes the last samples out of LAME at the end. */
const FLUSH_FRAMES: Frames = 2 * 1152;

let lameModule: FlatLame | undefined;

function lame(): FlatLame {
  lameModule ??= createRequire(import.meta.url)('@flat/lame') as FlatLame;
  return lameModule;
}

/** LAME through @flat/lame: encoding runs on the libuv threadpool, so the mix thread only queues. */
export class LameMp3Encoder implements Mp3Encoder {
  private readonly encoder: LameEncoder;
  private queued: Bytes = 0;
  private readonly ended: Promise<void>;
  private readonly format: PcmFormat;

  constructor(options: Mp3EncoderOptions) {
    const { format, bitrate } = options;
    this.format = format;
    const l = lame();
    this.encoder = new l.Encoder({
      channels: format.channels,
      bitDepth: 16,
      sampleRate: format.rate,
      bitRate: bitrate,
      mode: format.channels === 1 ? l.MONO : l.JOINTSTEREO,
      writeVbrTag: false,
    });
    this.ended = new Promise((resolve, reject) => {
      this.encoder.on('end', resolve);
      this.encoder.on('error', reject);
    });
    this.ended.catch(() => undefined);
  }

  get backlog(): Bytes {
    return this.queued;
  }

  encode(pcm: Buffer): Promise<void> {
    this.queued += pcm.length;
    return new Promise((resolve) => {
      this.encoder.write(pcm, () => {
        this.queued -= pcm.length;
        resolve();
      });
    });
  }

  onData(cb: (mp3: Buffer) => void): void {
    this.encoder.on('data', cb);
  }

  finish(): Promise<void> {
    // @flat/lame flushes with lame_encode_flush_nogap, which keeps the last ~2 frames of samples inside LAME.
    this.encoder.end(Buffer.alloc(framesToBytes(FLUSH_FRAMES, this.format)));
    return this.ended;
  }
}

/** The default encoder factory: LAME. */
export const lameEncoderFactory: Mp3EncoderFactory = (options) => new LameMp3Encoder(options);
