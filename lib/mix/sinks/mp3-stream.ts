import { LiveStream } from '../../base/live-stream.js';
import { Logger } from '../../base/logger.js';
import { bytesPerSecond, type PcmFormat } from '../../base/pcm-format.js';
import type { Bytes, Seconds } from '../../base/units.js';
import type { Sink } from '../sink.js';
import { lameEncoderFactory, type Mp3Encoder, type Mp3EncoderFactory } from './mp3-encoder.js';
import { Mp3FrameSplitter } from './mp3-frames.js';

/** Options of an Mp3Stream. */
export interface Mp3StreamOptions {
  format: PcmFormat;
  /** kbit/s. */
  bitrate: number;
  encoderFactory?: Mp3EncoderFactory;
  logger?: Logger;
  /** Realtime: PCM the encoder may have queued before periods are dropped (default 0.5 s). */
  maxBacklog?: Seconds;
  /** How far (seconds of MP3) a reader may fall behind before it loses data and an HTTP listener is dropped (default 10 s). */
  maxLag?: Seconds;
}

/** One MP3 encoder as a sink: its frames go to a LiveStream, each chunk starting on a frame boundary ({sync: true}). */
export class Mp3Stream implements Sink {
  readonly name: string;
  readonly bitrate: number;
  /** The live MP3 (/stream.mp3, HTTP, Icecast): open readers with {atSync: true}. */
  readonly stream: LiveStream;
  /** Periods dropped because the encoder fell behind in realtime. */
  dropped = 0;
  private readonly encoder: Mp3Encoder;
  private readonly splitter = new Mp3FrameSplitter();
  private readonly logger: Logger;
  private readonly maxBacklog: Bytes;
  private mode: 'realtime' | 'export' = 'realtime';
  private drainWaiters: Array<() => void> = [];

  constructor(options: Mp3StreamOptions) {
    this.bitrate = options.bitrate;
    this.name = `mp3 ${options.bitrate} kbit/s`;
    this.logger = options.logger ?? new Logger({ level: 'warn' });
    this.maxBacklog = Math.round((options.maxBacklog ?? 0.5) * bytesPerSecond(options.format));
    const lagBytes = Math.round(((options.maxLag ?? 10) * options.bitrate * 1000) / 8);
    this.stream = new LiveStream({ limit: lagBytes, onLoss: (why) => this.logger.info(`mp3: ${why}`) });
    this.stream.start();
    this.encoder = (options.encoderFactory ?? lameEncoderFactory)({ format: options.format, bitrate: options.bitrate });
    this.encoder.onData((mp3) => {
      const frames = this.splitter.push(mp3);
      if (frames.length > 0) this.stream.write(frames, { sync: true });
    });
  }

  setMode(mode: 'realtime' | 'export'): void {
    this.mode = mode;
    this.wakeDrain();
  }

  write(pcm: Buffer): void | Promise<void> {
    // Nobody listens (no /stream.mp3 reader, HTTP listener or Icecast source): encoding would only slow the mix.
    if (this.stream.readerCount === 0) return;
    if (this.encoder.backlog > this.maxBacklog) {
      if (this.mode === 'export') {
        return new Promise<void>((resolve) => this.drainWaiters.push(resolve)).then(() => this.write(pcm));
      }
      if (this.dropped++ === 0) this.logger.warn(`mp3: the ${this.bitrate} kbit/s encoder fell behind; dropping periods rather than holding up the mix`);
      return;
    }
    void this.encoder.encode(pcm).then(() => this.wakeDrain());
  }

  /** MP3 frames produced so far. */
  get frames(): number {
    return this.splitter.frames;
  }

  async end(): Promise<void> {
    await this.encoder.finish();
    this.stream.end();
  }

  private wakeDrain(): void {
    if (this.encoder.backlog > this.maxBacklog && this.mode === 'export') return;
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f();
  }
}
