import type { Frames } from '../base/units.js';

/** A DSP stage that works in place on interleaved float blocks and keeps its state across blocks. */
export interface BlockProcessor {
  /** Processes `frames` frames of `samples` (interleaved, the format's channel count) in place. */
  process(samples: Float32Array, frames: Frames): void;
  /** Frames of output still to come after the input ends (an echo's repeats, a reverb's decay). */
  readonly tail: Frames;
}
