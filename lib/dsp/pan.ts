import type { Frames, GainFactor } from '../base/units.js';
import type { PcmFormat } from '../base/pcm-format.js';
import type { BlockProcessor } from './block-processor.js';

/**
 * The pan law of audiofs-fx (a constant-power balance): P in -1..1, 0 leaves both channels as they are;
 * P > 0 scales the left channel by cos(P*pi/2), P < 0 scales the right channel by cos(-P*pi/2).
 */
export function panGains(p: number): { left: GainFactor; right: GainFactor } {
  return {
    left: p > 0 ? Math.cos((p * Math.PI) / 2) : 1,
    right: p < 0 ? Math.cos((-p * Math.PI) / 2) : 1,
  };
}

/** Balance of a stereo stream (channels 0 and 1; other channels and mono pass unchanged). */
export class Pan implements BlockProcessor {
  readonly tail: Frames = 0;
  private readonly left: GainFactor;
  private readonly right: GainFactor;
  private readonly channels: number;

  constructor(p: number, format: PcmFormat) {
    if (!(p >= -1 && p <= 1)) throw new RangeError(`pan: expected a position from -1 (left) to 1 (right), got ${p}`);
    ({ left: this.left, right: this.right } = panGains(p));
    this.channels = format.channels;
  }

  process(samples: Float32Array, frames: Frames): void {
    const n = this.channels;
    if (n < 2) return;
    const end = frames * n;
    for (let i = 0; i < end; i += n) {
      samples[i] *= this.left;
      samples[i + 1] *= this.right;
    }
  }
}
