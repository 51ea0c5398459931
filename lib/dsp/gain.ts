import { dbToGain, type Decibels, type Frames, type GainFactor } from '../base/units.js';
import type { PcmFormat } from '../base/pcm-format.js';
import type { BlockProcessor } from './block-processor.js';

/** A fixed gain in decibels on every channel. */
export class Gain implements BlockProcessor {
  readonly tail: Frames = 0;
  readonly factor: GainFactor;
  private readonly channels: number;

  constructor(db: Decibels, format: PcmFormat) {
    if (!Number.isFinite(db)) throw new RangeError(`gain: expected a number of decibels, got ${db}`);
    this.factor = dbToGain(db);
    this.channels = format.channels;
  }

  process(samples: Float32Array, frames: Frames): void {
    const end = frames * this.channels;
    const g = this.factor;
    for (let i = 0; i < end; i++) samples[i] *= g;
  }
}
