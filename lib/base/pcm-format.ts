import type { Bytes, Frames, Hz, Seconds } from './units.js';

/** The one PCM format between all processes: signed 16-bit little-endian, interleaved. */
export interface PcmFormat {
  readonly rate: Hz;
  readonly channels: number;
}

/** 44.1 kHz stereo s16le, the project default. */
export const DEFAULT_FORMAT: PcmFormat = Object.freeze({ rate: 44100, channels: 2 });

/** Bytes in one sample of s16le. */
export const BYTES_PER_SAMPLE = 2;

/** Bytes in one frame of the format. */
export function bytesPerFrame(format: PcmFormat): Bytes {
  return format.channels * BYTES_PER_SAMPLE;
}

/** Bytes in one second of the format (N = rate x channels x 2). */
export function bytesPerSecond(format: PcmFormat): Bytes {
  return format.rate * bytesPerFrame(format);
}

/** The byte length of a number of frames. */
export function framesToBytes(frames: Frames, format: PcmFormat): Bytes {
  return frames * bytesPerFrame(format);
}

/** Whole frames in a byte length (a partial frame is not counted). */
export function bytesToFrames(bytes: Bytes, format: PcmFormat): Frames {
  return Math.floor(bytes / bytesPerFrame(format));
}

/** The frame at a time, rounded to the nearest frame. */
export function secondsToFrames(seconds: Seconds, format: PcmFormat): Frames {
  return Math.round(seconds * format.rate);
}

/** The time of a frame. */
export function framesToSeconds(frames: Frames, format: PcmFormat): Seconds {
  return frames / format.rate;
}

/** The byte offset of a time, on a frame boundary. */
export function secondsToBytes(seconds: Seconds, format: PcmFormat): Bytes {
  return framesToBytes(secondsToFrames(seconds, format), format);
}

/** The environment every client gets, so it knows the project format. */
export function formatEnv(format: PcmFormat): Record<string, string> {
  return {
    AUDIOFS_RATE: String(format.rate),
    AUDIOFS_CHANNELS: String(format.channels),
    AUDIOFS_FORMAT: 's16le',
  };
}

/** The format a client was started with, from AUDIOFS_RATE and AUDIOFS_CHANNELS (defaults otherwise). */
export function formatFromEnv(env: NodeJS.ProcessEnv = process.env): PcmFormat {
  const rate = Number(env.AUDIOFS_RATE ?? DEFAULT_FORMAT.rate);
  const channels = Number(env.AUDIOFS_CHANNELS ?? DEFAULT_FORMAT.channels);
  if (!Number.isInteger(rate) || rate < 1000 || rate > 384000) {
    throw new Error(`AUDIOFS_RATE: expected a whole number of hertz from 1000 to 384000, got '${env.AUDIOFS_RATE}'`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 32) {
    throw new Error(`AUDIOFS_CHANNELS: expected a whole number from 1 to 32, got '${env.AUDIOFS_CHANNELS}'`);
  }
  return { rate, channels };
}
