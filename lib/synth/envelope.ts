import type { Frames, Hz, Seconds } from '../base/units.js';

/** An ADSR shape; decay and release are the times to fall by 60 dB. */
export interface AdsrShape {
  attack: Seconds;
  decay: Seconds;
  /** Level held while the key is down, 0..1 (0: the note dies away like a piano's). */
  sustain: number;
  release: Seconds;
}

/** Shortest attack and release: ramps this short are inaudible as clicks. */
export const MIN_RAMP: Seconds = 0.002;
/** Time a stolen voice takes to fade out. */
export const STEAL_FADE: Seconds = 0.008;
/** Level below which an envelope counts as silent (-80 dB). */
const SILENT = 1e-4;
const LN_60DB = Math.log(1000);

type Stage = 'attack' | 'decay' | 'sustain' | 'release' | 'done';

function fallCoef(seconds: Seconds, rate: Hz): number {
  return Math.exp(-LN_60DB / (Math.max(seconds, MIN_RAMP) * rate));
}

/** An ADSR envelope: linear attack, exponential decay and release, rendered per block. */
export class Envelope {
  private stage: Stage = 'attack';
  private level = 0;
  private readonly attackStep: number;
  private readonly decayCoef: number;
  private releaseCoef: number;
  private readonly sustain: number;

  constructor(shape: AdsrShape, private readonly rate: Hz) {
    this.attackStep = 1 / (Math.max(shape.attack, MIN_RAMP) * rate);
    this.decayCoef = fallCoef(shape.decay, rate);
    this.releaseCoef = fallCoef(shape.release, rate);
    this.sustain = shape.sustain;
  }

  /** True once the envelope has fallen silent for good. */
  get done(): boolean {
    return this.stage === 'done';
  }

  /** Key up: fall from the current level. */
  release(): void {
    if (this.stage !== 'done') this.stage = 'release';
  }

  /** Fades out within STEAL_FADE (voice stealing, all sound off). */
  kill(): void {
    this.releaseCoef = fallCoef(STEAL_FADE, this.rate);
    this.release();
  }

  /** Writes `frames` envelope levels into out. */
  render(out: Float32Array, frames: Frames): void {
    let level = this.level;
    let stage = this.stage;
    const sustain = this.sustain;
    for (let i = 0; i < frames; i++) {
      switch (stage) {
        case 'attack':
          level += this.attackStep;
          if (level >= 1) { level = 1; stage = 'decay'; }
          break;
        case 'decay':
          level = sustain + (level - sustain) * this.decayCoef;
          if (level - sustain < SILENT) {
            level = sustain;
            stage = sustain > 0 ? 'sustain' : 'done';
          }
          break;
        case 'sustain':
          break;
        case 'release':
          level *= this.releaseCoef;
          if (level < SILENT) { level = 0; stage = 'done'; }
          break;
        case 'done':
          level = 0;
          break;
      }
      out[i] = level;
    }
    this.level = level;
    this.stage = stage;
  }
}
