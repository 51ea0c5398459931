import { secondsToFrames, type PcmFormat } from '../base/pcm-format.js';
import type { Frames, Hz } from '../base/units.js';
import type { BlockProcessor } from './block-processor.js';

// Jezar's Freeverb (public domain): 8 damped feedback combs in parallel, 4 allpasses in series, per side.
const COMB_TUNING = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
const ALLPASS_TUNING = [556, 441, 341, 225];
const STEREO_SPREAD = 23;
const TUNING_RATE: Hz = 44100;
const FIXED_GAIN = 0.015;
const ALLPASS_FEEDBACK = 0.5;

/** Options of a Freeverb. */
export interface ReverbOptions {
  /** Room size 0..1 (longer decay as it grows); 0.5 when omitted. */
  room?: number;
  /** High-frequency damping 0..1; 0.5 when omitted. */
  damping?: number;
  /** Level of the reverberated signal; 0.3 when omitted. */
  wet?: number;
  /** Level of the direct signal; 1 when omitted. */
  dry?: number;
}

class Comb {
  private readonly buf: Float32Array;
  private pos = 0;
  private store = 0;
  constructor(size: number, private readonly feedback: number, private readonly damp: number) {
    this.buf = new Float32Array(size);
  }
  tick(x: number): number {
    const out = this.buf[this.pos];
    this.store = out * (1 - this.damp) + this.store * this.damp;
    this.buf[this.pos] = x + this.store * this.feedback;
    if (++this.pos === this.buf.length) this.pos = 0;
    return out;
  }
}

class Allpass {
  private readonly buf: Float32Array;
  private pos = 0;
  constructor(size: number) {
    this.buf = new Float32Array(size);
  }
  tick(x: number): number {
    const b = this.buf[this.pos];
    this.buf[this.pos] = x + b * ALLPASS_FEEDBACK;
    if (++this.pos === this.buf.length) this.pos = 0;
    return b - x;
  }
}

class Side {
  private readonly combs: Comb[];
  private readonly allpasses: Allpass[];
  constructor(spread: number, scale: number, feedback: number, damp: number) {
    this.combs = COMB_TUNING.map((n) => new Comb(Math.max(1, Math.round((n + spread) * scale)), feedback, damp));
    this.allpasses = ALLPASS_TUNING.map((n) => new Allpass(Math.max(1, Math.round((n + spread) * scale))));
  }
  tick(x: number): number {
    let sum = 0;
    for (const c of this.combs) sum += c.tick(x);
    for (const a of this.allpasses) sum = a.tick(sum);
    return sum;
  }
}

/** A Freeverb room on channels 0 and 1 (a mono stream gets one side; further channels pass dry). */
export class Freeverb implements BlockProcessor {
  readonly tail: Frames;
  private readonly channels: number;
  private readonly left: Side;
  private readonly right: Side;
  private readonly wet: number;
  private readonly dry: number;

  constructor(options: ReverbOptions, format: PcmFormat) {
    const room = options.room ?? 0.5;
    const damping = options.damping ?? 0.5;
    if (!(room >= 0 && room <= 1)) throw new RangeError(`reverb room: expected a size from 0 to 1, got ${room}`);
    if (!(damping >= 0 && damping <= 1)) throw new RangeError(`reverb damping: expected 0 to 1, got ${damping}`);
    const scale = format.rate / TUNING_RATE;
    const feedback = room * 0.28 + 0.7;
    const damp = damping * 0.4;
    this.left = new Side(0, scale, feedback, damp);
    this.right = new Side(STEREO_SPREAD, scale, feedback, damp);
    this.wet = options.wet ?? 0.3;
    this.dry = options.dry ?? 1;
    this.channels = format.channels;
    // Each pass round the longest comb loses (1 - feedback); count passes to fall 96 dB.
    const passes = Math.log(1 / 65536) / Math.log(feedback);
    this.tail = Math.min(Math.ceil(passes * COMB_TUNING[COMB_TUNING.length - 1] * scale), secondsToFrames(20, format));
  }

  process(samples: Float32Array, frames: Frames): void {
    const n = this.channels;
    const end = frames * n;
    const { wet, dry } = this;
    if (n === 1) {
      for (let i = 0; i < end; i++) {
        const x = samples[i];
        samples[i] = x * dry + this.left.tick(x * FIXED_GAIN) * wet;
      }
      return;
    }
    for (let i = 0; i < end; i += n) {
      const l = samples[i];
      const r = samples[i + 1];
      const input = (l + r) * FIXED_GAIN;
      samples[i] = l * dry + this.left.tick(input) * wet;
      samples[i + 1] = r * dry + this.right.tick(input) * wet;
    }
  }
}
