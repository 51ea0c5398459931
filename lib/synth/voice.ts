import type { Frames, GainFactor, Hz } from '../base/units.js';

/** Most frames a voice renders in one call (control values such as pitch bend change between calls). */
export const VOICE_BLOCK: Frames = 256;

/** What the synth tells a voice for each block: its pitch bend and channel gains (volume, expression, pan). */
export interface VoiceControl {
  /** Frequency multiplier from pitch bend. */
  bend: number;
  left: GainFactor;
  right: GainFactor;
}

const scratch = new Float32Array(VOICE_BLOCK);

/** The frequency of a MIDI note (A4 = 69 = 440 Hz). */
export function noteToHz(note: number): Hz {
  return 440 * Math.pow(2, (note - 69) / 12);
}

/** One sounding note: a mono generator mixed into the stereo bus with gains ramped across each block. */
export abstract class Voice {
  /** Key held down (a note-off has not arrived). */
  held = true;
  /** Note-off arrived while the sustain pedal was down. */
  sustained = false;
  /** Being faded out because it was stolen. */
  killed = false;
  private lastLeft = -1;
  private lastRight = -1;

  constructor(readonly channel: number, readonly note: number, readonly serial: number) {}

  /** Key up (or pedal up after it). */
  abstract release(): void;
  /** Fade out fast (stolen, all sound off). */
  abstract kill(): void;
  /** True when the voice has fallen silent and can be dropped. */
  abstract get done(): boolean;
  /** Writes `frames` mono samples (envelope applied) into out. */
  protected abstract generate(out: Float32Array, frames: Frames, control: VoiceControl): void;

  /** Adds this voice into left and right from `offset` for `frames` (at most VOICE_BLOCK) frames. */
  mixInto(left: Float32Array, right: Float32Array, offset: number, frames: Frames, control: VoiceControl): void {
    this.generate(scratch, frames, control);
    if (this.lastLeft < 0) {
      this.lastLeft = control.left;
      this.lastRight = control.right;
    }
    let gl = this.lastLeft;
    let gr = this.lastRight;
    const dl = (control.left - gl) / frames;
    const dr = (control.right - gr) / frames;
    for (let i = 0; i < frames; i++) {
      const s = scratch[i];
      gl += dl;
      gr += dr;
      left[offset + i] += s * gl;
      right[offset + i] += s * gr;
    }
    this.lastLeft = control.left;
    this.lastRight = control.right;
  }
}
