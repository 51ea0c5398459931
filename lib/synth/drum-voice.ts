import type { Frames, GainFactor, Hz } from '../base/units.js';
import { MIN_RAMP, STEAL_FADE } from './envelope.js';
import type { DrumSound } from './drum-kit.js';
import { Voice, type VoiceControl } from './voice.js';

const LN_60DB = Math.log(1000);
const SILENT = 1e-4;
const TWO_PI = 2 * Math.PI;

/** Options of a DrumVoice. */
export interface DrumVoiceOptions {
  channel: number;
  note: number;
  serial: number;
  sound: DrumSound;
  gain: GainFactor;
  rate: Hz;
}

/** A one-shot drum hit (note-off is ignored): swept sine plus noise, each decaying exponentially. */
export class DrumVoice extends Voice {
  private readonly sound: DrumSound;
  private readonly rate: Hz;
  private readonly gain: GainFactor;
  private toneLevel: number;
  private noiseLevel: number;
  private toneCoef: number;
  private noiseCoef: number;
  private readonly attackStep: number;
  private attack = 0;
  private phase = 0;
  private t = 0;
  private seed: number;
  private lastNoise = 0;

  constructor(options: DrumVoiceOptions) {
    super(options.channel, options.note, options.serial);
    const s = options.sound;
    this.sound = s;
    this.rate = options.rate;
    this.gain = options.gain;
    this.toneLevel = s.toneLevel;
    this.noiseLevel = s.noiseLevel;
    this.toneCoef = Math.exp(-LN_60DB / (s.toneDecay * options.rate));
    this.noiseCoef = Math.exp(-LN_60DB / (s.noiseDecay * options.rate));
    this.attackStep = 1 / (MIN_RAMP * 0.5 * options.rate);
    this.seed = (options.serial * 2654435761) >>> 0 || 1;
  }

  release(): void {}

  kill(): void {
    this.killed = true;
    const fast = Math.exp(-LN_60DB / (STEAL_FADE * this.rate));
    this.toneCoef = Math.min(this.toneCoef, fast);
    this.noiseCoef = Math.min(this.noiseCoef, fast);
  }

  get done(): boolean {
    return this.toneLevel < SILENT && this.noiseLevel < SILENT;
  }

  protected generate(out: Float32Array, frames: Frames, _control: VoiceControl): void {
    const s = this.sound;
    const dt = 1 / this.rate;
    const bright = s.noiseBright;
    let seed = this.seed;
    for (let i = 0; i < frames; i++) {
      const sweepPos = s.sweep > 0 ? Math.min(1, this.t / s.sweep) : 1;
      const freq = s.toneFrom * Math.pow(s.toneTo / s.toneFrom, sweepPos);
      this.phase += TWO_PI * freq * dt;
      if (this.phase > TWO_PI) this.phase -= TWO_PI;
      seed ^= seed << 13; seed >>>= 0;
      seed ^= seed >>> 17;
      seed ^= seed << 5; seed >>>= 0;
      const white = seed / 2147483648 - 1;
      const noise = white - bright * this.lastNoise;
      this.lastNoise = white;
      if (this.attack < 1) this.attack = Math.min(1, this.attack + this.attackStep);
      out[i] = (Math.sin(this.phase) * this.toneLevel + noise * this.noiseLevel) * this.attack * this.gain;
      this.toneLevel *= this.toneCoef;
      this.noiseLevel *= this.noiseCoef;
      this.t += dt;
    }
    this.seed = seed;
  }
}
