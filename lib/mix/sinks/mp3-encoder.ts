import { createRequire } from 'node:module';
import type { FlatLame, LameEncoder } from '../../../types/flat-lame.js';
import type { Bytes, Frames } from '../../base/units.js';
import { framesToBytes, type PcmFormat } from '../../base/pcm-format.js';

/** An MP3 encoder behind one small interface (LAME here; tests may pass another). */
export interface Mp3Encoder {
  /**
   * Queues PCM for encoding; never blocks; resolves once this PCM is encoded (PCM gathered for a block that
   * is not full yet waits for the PCM that fills it: a writer that holds back should wait for settled()).
   */
  encode(pcm: Buffer): Promise<void>;
  /** Resolves once everything handed to the encoder proper is encoded (not what is gathered for the next block). */
  settled(): Promise<void>;
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
  /** PCM gathered before a call into LAME (default BLOCK_FRAMES). */
  blockFrames?: Frames;
}

/**
 * What LAME is given at a time: each call is a trip to the thread pool, so a period (512 frames) at a time
 * costs more in trips than in encoding. 4 MP3 frames (104 ms at 44.1 kHz): what a stream listener gets
 * at once, and a tenth of the calls.
 */
export const BLOCK_FRAMES: Frames = 4 * 1152;

/**
 * What LAME is given at a time for a file (an export): no listener waits, so 16 MP3 frames (418 ms) a call,
 * which brings the encoder to the lame CLI's speed (bench/mp3).
 */
export const FILE_BLOCK_FRAMES: Frames = 16 * 1152;

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
  private readonly block: Bytes;
  /** PCM gathered for the next call, and who waits for it to be encoded. */
  private gathered: Buffer[] = [];
  private gatheredBytes: Bytes = 0;
  private waiting: Array<() => void> = [];
  /** Resolves when the last block sent is encoded (LAME takes them in order). */
  private lastSent: Promise<void> = Promise.resolve();

  constructor(options: Mp3EncoderOptions) {
    const { format, bitrate } = options;
    this.format = format;
    this.block = framesToBytes(options.blockFrames ?? BLOCK_FRAMES, format);
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
    const encoded = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.gathered.push(pcm);
    this.gatheredBytes += pcm.length;
    if (this.gatheredBytes >= this.block) this.send();
    return encoded;
  }

  /** Gives LAME what was gathered, in one call. */
  private send(): void {
    if (this.gatheredBytes === 0) return;
    const pcm = this.gathered.length === 1 ? this.gathered[0] : Buffer.concat(this.gathered, this.gatheredBytes);
    const waiting = this.waiting;
    this.gathered = [];
    this.gatheredBytes = 0;
    this.waiting = [];
    this.lastSent = new Promise((done) => this.encoder.write(pcm, () => {
      this.queued -= pcm.length;
      for (const resolve of waiting) resolve();
      done();
    }));
  }

  settled(): Promise<void> {
    return this.lastSent;
  }

  onData(cb: (mp3: Buffer) => void): void {
    this.encoder.on('data', cb);
  }

  finish(): Promise<void> {
    this.send();
    // @flat/lame flushes with lame_encode_flush_nogap, which keeps the last ~2 frames of samples inside LAME.
    this.encoder.end(Buffer.alloc(framesToBytes(FLUSH_FRAMES, this.format)));
    return this.ended;
  }
}

/** The default encoder factory: LAME. */
export const lameEncoderFactory: Mp3EncoderFactory = (options) => new LameMp3Encoder(options);
