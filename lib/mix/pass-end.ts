import type { Frames } from '../base/units.js';

/**
 * Where the current pass ends by itself (a loop's B, a step's end, an export region), and the fade that
 * ramps the pass in and out so a loop's seam never clicks. Positions are the engine's, in frames.
 */
export class PassEnd {
  private end: Frames | undefined;
  private fade: Frames = 0;
  private begin: Frames = 0;

  /** Starts a pass at `position` that ends `end` frames later (undefined: never by itself); `fade` 0 gives exact edges. */
  set(end: Frames | undefined, options: { fade: Frames; position: Frames }): void {
    this.end = end;
    this.fade = options.fade;
    this.begin = options.position;
  }

  /** The frames of a step at `position` that still belong to the pass (0 once it has ended). */
  clamp(frames: Frames, position: Frames): Frames {
    if (this.end === undefined) return frames;
    return Math.max(0, Math.min(frames, this.begin + this.end - position));
  }

  /**
   * Ramps the first and last `fade` frames of the pass (linear; both ends meet at silence, so no step) in the
   * period mixed at `position`. A period with a ramp in it is faded in a copy: the mix may be a source's own
   * buffer, shared with its taps.
   */
  fadeSeams(mixed: Buffer, channels: number, position: Frames): Buffer {
    const fade = this.fade;
    if (fade <= 0) return mixed;
    const frames = mixed.length / (2 * channels);
    const start = position - this.begin;
    const end = this.end;
    if (start >= fade && (end === undefined || start + frames <= end - fade)) return mixed;
    const pcm = Buffer.from(mixed);
    for (let f = 0; f < frames; f++) {
      const at = start + f;
      let g = at < fade ? at / fade : 1;
      if (end !== undefined && end - at <= fade) g = Math.min(g, (end - at - 1) / fade);
      if (g >= 1) continue;
      for (let c = 0; c < channels; c++) {
        const i = (f * channels + c) * 2;
        pcm.writeInt16LE(Math.round(pcm.readInt16LE(i) * Math.max(0, g)), i);
      }
    }
    return pcm;
  }
}
