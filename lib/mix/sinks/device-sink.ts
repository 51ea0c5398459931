import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { Logger } from '../../base/logger.js';
import { framesToBytes, type PcmFormat } from '../../base/pcm-format.js';
import type { Bytes, Frames } from '../../base/units.js';
import type { Sink } from '../sink.js';

/** The `device` config key: auto (the default device, off when there is none), off, or a PortAudio device name. */
export type DeviceSetting = 'auto' | 'off' | string;

/** Options of DeviceSink.open. */
export interface DeviceSinkOptions {
  device: DeviceSetting;
  format: PcmFormat;
  logger?: Logger;
  /** Realtime: frames that may wait for the card before periods are dropped (default 8192, ~186 ms). */
  maxQueue?: Frames;
}

interface PortAudioDevice { id: number; name: string; maxOutputChannels: number }
interface AudioIoStream extends Writable { start(): void; quit(cb?: () => void): Promise<void> }
interface Naudiodon {
  getDevices(): PortAudioDevice[];
  AudioIO: (options: object) => AudioIoStream;
  SampleFormat16Bit: number;
}

function naudiodon(): Naudiodon {
  return createRequire(import.meta.url)('naudiodon') as Naudiodon;
}

/** The sound card through naudiodon (PortAudio), 16-bit; never blocks the engine: a card that lags loses periods. */
export class DeviceSink implements Sink {
  readonly name: string;
  /** Periods dropped because the card did not keep up (realtime). */
  dropped = 0;
  /** Errors PortAudio reported (underflows and the like). */
  errors = 0;
  private mode: 'realtime' | 'export' = 'realtime';
  private readonly maxQueue: Bytes;

  private constructor(private readonly io: AudioIoStream, deviceName: string, private readonly logger: Logger, maxQueue: Bytes) {
    this.name = `device ${deviceName}`;
    this.maxQueue = maxQueue;
    io.on('error', (err: Error) => {
      if (this.errors++ === 0) this.logger.warn(`device: ${deviceName}: ${err.message}`);
    });
  }

  /**
   * Opens the card, or returns null (with a log line) when `device` is off or auto finds no device.
   * A named device that does not exist throws. Needs UV_THREADPOOL_SIZE raised: PortAudio's write holds a pool thread.
   */
  static open(options: DeviceSinkOptions): DeviceSink | null {
    const logger = options.logger ?? new Logger({ level: 'warn' });
    if (options.device === 'off') return null;
    let na: Naudiodon;
    let devices: PortAudioDevice[];
    try {
      na = naudiodon();
      devices = na.getDevices().filter((d) => d.maxOutputChannels >= options.format.channels);
    } catch (err) {
      if (options.device !== 'auto') throw err;
      logger.info(`device: no sound output (${(err as Error).message}); the device output is off`);
      return null;
    }
    let deviceId = -1;
    let deviceName = 'default';
    if (options.device !== 'auto') {
      const d = devices.find((x) => x.name === options.device);
      if (!d) throw new Error(`device: no output device '${options.device}' (expected auto, off, or one of: ${devices.map((x) => x.name).join(', ') || 'none'})`);
      deviceId = d.id;
      deviceName = d.name;
    } else if (devices.length === 0) {
      logger.info('device: no sound card found; the device output is off');
      return null;
    }
    let io: AudioIoStream;
    try {
      io = na.AudioIO({
        outOptions: {
          channelCount: options.format.channels,
          sampleFormat: na.SampleFormat16Bit,
          sampleRate: options.format.rate,
          deviceId,
          closeOnError: false,
        },
      });
    } catch (err) {
      if (options.device !== 'auto') throw err;
      logger.info(`device: ${(err as Error).message}; the device output is off`);
      return null;
    }
    io.start();
    logger.info(`device: playing on ${deviceName}`);
    return new DeviceSink(io, deviceName, logger, framesToBytes(options.maxQueue ?? 8192, options.format));
  }

  setMode(mode: 'realtime' | 'export'): void {
    this.mode = mode;
  }

  write(pcm: Buffer): void | Promise<void> {
    if (this.io.writableLength > this.maxQueue) {
      if (this.mode === 'export') return new Promise<void>((resolve) => this.io.once('drain', resolve)).then(() => this.write(pcm));
      if (this.dropped++ === 0) this.logger.warn(`${this.name}: the card does not keep up; dropping periods`);
      return;
    }
    this.io.write(pcm);
  }

  /** Plays what is queued and closes the card. */
  end(): Promise<void> {
    return new Promise((resolve) => {
      this.io.once('finished', () => resolve());
      this.io.end();
    });
  }
}
