import { secondsToFrames, type PcmFormat } from '../base/pcm-format.js';
import type { Frames, GainFactor, Seconds } from '../base/units.js';
import type { BlockProcessor } from './block-processor.js';

/** Options of an Echo. */
export interface EchoOptions {
  delay: Seconds;
  /** Gain of each repeat relative to the one before (0 <= feedback < 1); 0.5 when omitted. */
  feedback?: GainFactor;
}

/** Level below which a repeat no longer counts for the tail (about -96 dBFS, the 16-bit floor). */
const TAIL_FLOOR = 1 / 65536;
/** The longest tail an echo adds after its input ends. */
const MAX_TAIL_SECONDS: Seconds = 30;

/** A feedback echo, y[n] = x[n] + feedback * y[n - delay]: repeats every `delay` at feedback^k. */
export class Echo implements BlockProcessor {
  readonly tail: Frames;
  readonly delayFrames: Frames;
  readonly feedback: GainFactor;
  private readonly channels: number;
  private readonly ring: Float32Array;
  private pos = 0;

  constructor(options: EchoOptions, format: PcmFormat) {
    const feedback = options.feedback ?? 0.5;
    if (!(options.delay > 0 && options.delay <= 60)) {
      throw new RangeError(`echo delay: expected seconds above 0 and at most 60, got ${options.delay}`);
    }
    if (!(feedback >= 0 && feedback < 1)) throw new RangeError(`echo feedback: expected a factor from 0 to below 1, got ${feedback}`);
    this.delayFrames = Math.max(1, secondsToFrames(options.delay, format));
    this.feedback = feedback;
    this.channels = format.channels;
    this.ring = new Float32Array(this.delayFrames * format.channels);
    const repeats = feedback > 0 ? Math.ceil(Math.log(TAIL_FLOOR) / Math.log(feedback)) : 0;
    this.tail = Math.min(repeats * this.delayFrames, secondsToFrames(MAX_TAIL_SECONDS, format));
  }

  process(samples: Float32Array, frames: Frames): void {
    const ring = this.ring;
    const size = ring.length;
    const fb = this.feedback;
    const end = frames * this.channels;
    let pos = this.pos;
    for (let i = 0; i < end; i++) {
      const y = samples[i] + fb * ring[pos];
      ring[pos] = y;
      samples[i] = y;
      if (++pos === size) pos = 0;
    }
    this.pos = pos;
  }
}
