import type { PcmFormat } from '../base/pcm-format.js';
import type { Frames, GainFactor } from '../base/units.js';
import { Limiter } from '../dsp/limiter.js';
import { ChannelState, DRUM_CHANNEL } from './channel-state.js';
import { drumForNote } from './drum-kit.js';
import { DrumVoice } from './drum-voice.js';
import { MelodicVoice } from './melodic-voice.js';
import { patchForProgram } from './patch.js';
import { VOICE_BLOCK, type Voice, type VoiceControl } from './voice.js';

/** Options of a Synth. */
export interface SynthOptions {
  format: PcmFormat;
  /** Voices sounding at once before the oldest is stolen (64 when omitted). */
  maxVoices?: number;
  /** Level of one voice at full velocity and volume (0.35 when omitted). */
  voiceGain?: GainFactor;
}

/** Extra slots for voices still fading after being stolen. */
const FADING_SLOTS = 32;

/** A General MIDI style polyphonic synthesizer: feed it channel messages, pull interleaved float PCM. */
export class Synth {
  readonly format: PcmFormat;
  private readonly maxVoices: number;
  private readonly voiceGain: GainFactor;
  private readonly channels = Array.from({ length: 16 }, () => new ChannelState());
  private voices: Voice[] = [];
  private serial = 0;
  private readonly left = new Float32Array(VOICE_BLOCK);
  private readonly right = new Float32Array(VOICE_BLOCK);
  private readonly limiter: Limiter;
  private readonly controls: VoiceControl[] = Array.from({ length: 16 }, () => ({ bend: 1, left: 0, right: 0 }));

  constructor(options: SynthOptions) {
    this.format = options.format;
    this.maxVoices = options.maxVoices ?? 64;
    this.voiceGain = options.voiceGain ?? 0.35;
    this.limiter = new Limiter({ rate: options.format.rate });
  }

  /** Voices still sounding (a renderer plays on until this is 0). */
  get activeVoices(): number {
    return this.voices.length;
  }

  /** Applies one channel message (status 0x80-0xEF); anything else is ignored. */
  handle(status: number, data1: number, data2: number): void {
    const ch = status & 0x0f;
    const state = this.channels[ch];
    switch (status & 0xf0) {
      case 0x80: this.noteOff(ch, data1); break;
      case 0x90: if (data2 === 0) this.noteOff(ch, data1); else this.noteOn(ch, data1, data2); break;
      case 0xb0: this.control(ch, data1, data2); break;
      case 0xc0: state.program = data1; break;
      case 0xe0: state.pitchWheel(data1, data2); break;
    }
  }

  /** Renders `frames` frames of interleaved float PCM (the format's channel count) into out. */
  render(out: Float32Array, frames: Frames): void {
    const n = this.format.channels;
    for (let done = 0; done < frames; ) {
      const block = Math.min(VOICE_BLOCK, frames - done);
      this.renderBlock(block);
      const { left, right } = this;
      let j = done * n;
      for (let i = 0; i < block; i++, j += n) {
        if (n === 1) {
          out[j] = (left[i] + right[i]) * 0.5;
        } else {
          out[j] = left[i];
          out[j + 1] = right[i];
          for (let c = 2; c < n; c++) out[j + c] = 0;
        }
      }
      done += block;
    }
  }

  private renderBlock(frames: Frames): void {
    this.left.fill(0, 0, frames);
    this.right.fill(0, 0, frames);
    for (let ch = 0; ch < 16; ch++) {
      const state = this.channels[ch];
      const pan = state.panGains();
      const level = state.level();
      const c = this.controls[ch];
      c.bend = state.bendFactor();
      c.left = pan.left * level;
      c.right = pan.right * level;
    }
    let alive = 0;
    const voices = this.voices;
    for (let i = 0; i < voices.length; i++) {
      const v = voices[i];
      v.mixInto(this.left, this.right, 0, frames, this.controls[v.channel]);
      if (!v.done) voices[alive++] = v;
    }
    voices.length = alive;
    this.limiter.process(this.left, this.right, frames);
  }

  private noteOn(ch: number, note: number, velocity: number): void {
    for (const v of this.voices) {
      if (v.channel === ch && v.note === note && (v.held || v.sustained) && !v.killed) {
        v.held = false;
        v.sustained = false;
        if (ch === DRUM_CHANNEL) v.kill();
        else v.release();
      }
    }
    this.makeRoom();
    const rate = this.format.rate;
    const velocityGain = Math.pow(velocity / 127, 1.6);
    const serial = this.serial++;
    if (ch === DRUM_CHANNEL) {
      this.voices.push(new DrumVoice({ channel: ch, note, serial, sound: drumForNote(note), gain: this.voiceGain * 1.2 * velocityGain, rate }));
    } else {
      const patch = patchForProgram(this.channels[ch].program);
      this.voices.push(new MelodicVoice({ channel: ch, note, serial, patch, gain: this.voiceGain * patch.gain * velocityGain, rate }));
    }
  }

  private makeRoom(): void {
    let sounding = 0;
    for (const v of this.voices) if (!v.killed) sounding++;
    // Voices are kept in start order, so the first unkilled ones are the oldest.
    for (const v of this.voices) {
      if (sounding < this.maxVoices) break;
      if (!v.killed) {
        v.kill();
        sounding--;
      }
    }
    while (this.voices.length >= this.maxVoices + FADING_SLOTS) {
      const i = this.voices.findIndex((v) => v.killed);
      this.voices.splice(i >= 0 ? i : 0, 1);
    }
  }

  private noteOff(ch: number, note: number): void {
    const state = this.channels[ch];
    for (const v of this.voices) {
      if (v.channel !== ch || v.note !== note || !v.held) continue;
      v.held = false;
      if (state.sustain) v.sustained = true;
      else v.release();
    }
  }

  private control(ch: number, controller: number, value: number): void {
    const state = this.channels[ch];
    if (controller === 120 || controller === 123) {
      for (const v of this.voices) {
        if (v.channel !== ch) continue;
        v.held = false;
        v.sustained = false;
        if (controller === 120) v.kill();
        else v.release();
      }
      return;
    }
    if (state.control(controller, value)) {
      for (const v of this.voices) {
        if (v.channel === ch && v.sustained) {
          v.sustained = false;
          v.release();
        }
      }
    }
  }
}
