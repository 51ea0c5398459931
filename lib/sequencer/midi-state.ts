import { META, type MidiEvent } from '../midi/smf.js';

/** Controllers whose every occurrence matters in order (RPN/NRPN selection and data entry). */
const ORDERED_CONTROLLERS = new Set([6, 38, 96, 97, 98, 99, 100, 101]);
/** Controllers that act on sounding notes, not on state (all sound off, all notes off). */
const MOMENTARY_CONTROLLERS = new Set([120, 123]);
const RESET_ALL_CONTROLLERS = 121;
/** Meta events that describe a place in time rather than a state (text, lyric, marker, cue, SMPTE offset, end). */
const MOMENTARY_META = new Set([0x01, 0x05, 0x06, 0x07, META.smpteOffset, META.endOfTrack, META.tempo]);

/**
 * Collects, from a track's events before a point, the events that leave a state in force there:
 * the last program, controller, pitch bend and channel pressure of each channel, RPN/NRPN writes in
 * order, every sysex, the last of each descriptive meta event. Tempo is left to the tempo map.
 */
export class MidiStateCollector {
  private readonly kept: MidiEvent[] = [];
  private readonly lastByKey = new Map<string, number>();

  /** Takes one event (in file order). */
  add(e: MidiEvent): void {
    const key = stateKey(e);
    if (key === null) return;
    if (key === 'ordered') {
      this.kept.push(e);
      return;
    }
    if (e.kind === 'channel' && (e.status & 0xf0) === 0xb0 && e.data1 === RESET_ALL_CONTROLLERS) {
      this.forgetChannelControls(e.status & 0x0f);
    }
    this.lastByKey.set(key, this.kept.length);
    this.kept.push(e);
  }

  /** The state events, in file order, each superseded one left out. */
  events(): MidiEvent[] {
    const live = new Set(this.lastByKey.values());
    return this.kept.filter((e, i) => live.has(i) || stateKey(e) === 'ordered');
  }

  private forgetChannelControls(channel: number): void {
    for (const key of [...this.lastByKey.keys()]) {
      if (key.startsWith(`c${channel}:cc`) || key === `c${channel}:bend` || key === `c${channel}:pressure`) {
        this.lastByKey.delete(key);
      }
    }
  }
}

function stateKey(e: MidiEvent): string | null {
  if (e.kind === 'sysex') return 'ordered';
  if (e.kind === 'meta') return MOMENTARY_META.has(e.type) ? null : `meta${e.type}`;
  const channel = e.status & 0x0f;
  switch (e.status & 0xf0) {
    case 0xb0:
      if (ORDERED_CONTROLLERS.has(e.data1)) return 'ordered';
      if (MOMENTARY_CONTROLLERS.has(e.data1)) return null;
      return `c${channel}:cc${e.data1}`;
    case 0xc0: return `c${channel}:program`;
    case 0xd0: return `c${channel}:pressure`;
    case 0xe0: return `c${channel}:bend`;
    default: return null;
  }
}
