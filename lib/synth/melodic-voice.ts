import type { Frames, GainFactor, Hz } from '../base/units.js';
import { TABLE_SIZE, sineTable, wavetableFor, type Wavetable } from '../dsp/wavetable.js';
import { Envelope } from './envelope.js';
import type { Patch } from './patch.js';
import { noteToHz, VOICE_BLOCK, Voice, type VoiceControl } from './voice.js';

const envBuf = new Float32Array(VOICE_BLOCK);
const LN_60DB = Math.log(1000);

/** Options of a MelodicVoice. */
export interface MelodicVoiceOptions {
  channel: number;
  note: number;
  serial: number;
  patch: Patch;
  /** Velocity and patch level together. */
  gain: GainFactor;
  rate: Hz;
}

/** A melodic note: a band-limited wavetable (optionally detuned pair and low-pass) or two-operator FM. */
export class MelodicVoice extends Voice {
  private readonly env: Envelope;
  private readonly patch: Patch;
  private readonly baseHz: Hz;
  private readonly rate: Hz;
  private readonly gain: GainFactor;
  private phase = 0;
  private phase2 = 0;
  private modPhase = 0;
  private lowpass = 0;
  private index: number;
  private readonly indexCoef: number;

  constructor(options: MelodicVoiceOptions) {
    super(options.channel, options.note, options.serial);
    this.patch = options.patch;
    this.rate = options.rate;
    this.gain = options.gain;
    this.baseHz = noteToHz(options.note);
    this.env = new Envelope(options.patch.envelope, options.rate);
    const t = options.patch.timbre;
    this.index = t.kind === 'fm' ? t.index : 0;
    this.indexCoef = t.kind === 'fm' ? Math.exp(-LN_60DB / (t.indexDecay * options.rate)) : 1;
  }

  release(): void { this.env.release(); }
  kill(): void { this.killed = true; this.env.kill(); }
  get done(): boolean { return this.env.done; }

  protected generate(out: Float32Array, frames: Frames, control: VoiceControl): void {
    const freq = this.baseHz * control.bend;
    this.env.render(envBuf, frames);
    const t = this.patch.timbre;
    if (t.kind === 'fm') this.fm(out, frames, freq, t.ratio, t.indexEnd);
    else this.table(out, frames, freq, t.wave, t.brightness, t.detune);
  }

  private table(out: Float32Array, frames: Frames, freq: Hz, wave: Parameters<typeof wavetableFor>[0], brightness?: number, detune?: number): void {
    const table = wavetableFor(wave, freq, this.rate);
    const inc = (freq / this.rate) * TABLE_SIZE;
    const gain = detune ? this.gain * 0.5 : this.gain;
    let phase = this.phase;
    for (let i = 0; i < frames; i++) {
      const k = phase | 0;
      const a = table[k];
      out[i] = a + (phase - k) * (table[k + 1] - a);
      phase += inc;
      if (phase >= TABLE_SIZE) phase -= TABLE_SIZE;
    }
    this.phase = phase;
    if (detune) {
      const f2 = freq * Math.pow(2, detune / 1200);
      const table2 = wavetableFor(wave, f2, this.rate);
      const inc2 = (f2 / this.rate) * TABLE_SIZE;
      let p2 = this.phase2;
      for (let i = 0; i < frames; i++) {
        const k = p2 | 0;
        const a = table2[k];
        out[i] += a + (p2 - k) * (table2[k + 1] - a);
        p2 += inc2;
        if (p2 >= TABLE_SIZE) p2 -= TABLE_SIZE;
      }
      this.phase2 = p2;
    }
    if (brightness) {
      const cutoff = Math.min(freq * brightness, this.rate * 0.45);
      const a = 1 - Math.exp((-2 * Math.PI * cutoff) / this.rate);
      let y = this.lowpass;
      for (let i = 0; i < frames; i++) {
        y += a * (out[i] - y);
        out[i] = y;
      }
      this.lowpass = y;
    }
    for (let i = 0; i < frames; i++) out[i] *= envBuf[i] * gain;
  }

  private fm(out: Float32Array, frames: Frames, freq: Hz, ratio: number, indexEnd: number): void {
    const table: Wavetable = sineTable();
    const inc = (freq / this.rate) * TABLE_SIZE;
    const modInc = inc * ratio;
    const toTable = TABLE_SIZE / (2 * Math.PI);
    const coef = this.indexCoef;
    let index = this.index;
    let phase = this.phase;
    let modPhase = this.modPhase;
    for (let i = 0; i < frames; i++) {
      let k = modPhase | 0;
      let a = table[k];
      const m = a + (modPhase - k) * (table[k + 1] - a);
      let p = phase + index * m * toTable;
      p -= Math.floor(p / TABLE_SIZE) * TABLE_SIZE;
      k = p | 0;
      a = table[k];
      out[i] = (a + (p - k) * (table[k + 1] - a)) * envBuf[i] * this.gain;
      phase += inc;
      if (phase >= TABLE_SIZE) phase -= TABLE_SIZE;
      modPhase += modInc;
      if (modPhase >= TABLE_SIZE) modPhase -= TABLE_SIZE;
      index = indexEnd + (index - indexEnd) * coef;
    }
    this.index = index;
    this.phase = phase;
    this.modPhase = modPhase;
  }
}
