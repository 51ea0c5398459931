import type { GainFactor } from '../base/units.js';

/** The MIDI channel that plays drums (channel 10, numbered from 0). */
export const DRUM_CHANNEL = 9;
/** "No RPN selected" (RPN 127/127). */
const RPN_NULL = 0x3fff;

/** The controllers and program of one MIDI channel, as General MIDI defines their defaults. */
export class ChannelState {
  program = 0;
  volume = 100;
  expression = 127;
  pan = 64;
  sustain = false;
  /** Pitch bend, -1..1 (raw 14-bit value centred on 8192). */
  bend = 0;
  /** Pitch bend range in semitones (RPN 0). */
  bendRange = 2;
  private rpn = RPN_NULL;

  /** Resets what "reset all controllers" (CC 121) resets. */
  resetControllers(): void {
    this.expression = 127;
    this.sustain = false;
    this.bend = 0;
    this.rpn = RPN_NULL;
  }

  /** Applies a control change; returns true when the sustain pedal was just lifted. */
  control(controller: number, value: number): boolean {
    switch (controller) {
      case 7: this.volume = value; break;
      case 10: this.pan = value; break;
      case 11: this.expression = value; break;
      case 64: {
        const was = this.sustain;
        this.sustain = value >= 64;
        return was && !this.sustain;
      }
      case 101: this.rpn = (value << 7) | (this.rpn & 0x7f); break;
      case 100: this.rpn = (this.rpn & 0x3f80) | value; break;
      case 6: if (this.rpn === 0) this.bendRange = value + (this.bendRange % 1); break;
      case 38: if (this.rpn === 0) this.bendRange = Math.floor(this.bendRange) + value / 100; break;
      case 121: this.resetControllers(); break;
    }
    return false;
  }

  /** Sets the bend from the 14-bit pitch wheel value. */
  pitchWheel(lsb: number, msb: number): void {
    const raw = (msb << 7) | lsb;
    this.bend = raw >= 8192 ? (raw - 8192) / 8191 : (raw - 8192) / 8192;
  }

  /** Frequency multiplier of the current bend. */
  bendFactor(): number {
    return this.bend === 0 ? 1 : Math.pow(2, (this.bend * this.bendRange) / 12);
  }

  /** Volume times expression, on the General MIDI 40 log10 curve (squared). */
  level(): GainFactor {
    const v = this.volume / 127;
    const e = this.expression / 127;
    return v * v * e * e;
  }

  /** Constant-power pan gains from CC 10 (64 is the centre, both at cos(pi/4)). */
  panGains(): { left: GainFactor; right: GainFactor } {
    const p = Math.max(-1, Math.min(1, (this.pan - 64) / 63));
    const angle = ((p + 1) * Math.PI) / 4;
    return { left: Math.cos(angle), right: Math.sin(angle) };
  }
}
