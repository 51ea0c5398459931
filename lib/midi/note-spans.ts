import type { Seconds } from '../base/units.js';
import type { MidiEvent, Smf } from './smf-types.js';
import { TempoMap } from './tempo-map.js';

/** One sounding note: where it starts and ends, in ticks and seconds. */
export interface NoteSpan {
  track: number;
  channel: number;
  note: number;
  velocity: number;
  startTick: number;
  endTick: number;
  start: Seconds;
  end: Seconds;
}

/** True for a note-on with velocity > 0. */
export function isNoteOn(e: MidiEvent): boolean {
  return e.kind === 'channel' && (e.status & 0xf0) === 0x90 && e.data2 > 0;
}

/** True for a note-off, or a note-on with velocity 0. */
export function isNoteOff(e: MidiEvent): boolean {
  return e.kind === 'channel' && ((e.status & 0xf0) === 0x80 || ((e.status & 0xf0) === 0x90 && e.data2 === 0));
}

/**
 * The notes of a file. A note-off ends every open note of its track, channel and key begun at an
 * earlier tick; notes still open at the end of their track are left out (as pretty_midi does).
 */
export function noteSpans(smf: Smf, tempoMap: TempoMap = TempoMap.fromSmf(smf)): NoteSpan[] {
  const spans: NoteSpan[] = [];
  for (const track of smf.tracks) {
    const open = new Map<number, { tick: number; velocity: number }[]>();
    for (const e of track) {
      if (e.kind !== 'channel') continue;
      const key = ((e.status & 0x0f) << 7) | e.data1;
      if (isNoteOn(e)) {
        const list = open.get(key) ?? [];
        list.push({ tick: e.tick, velocity: e.data2 });
        open.set(key, list);
      } else if (isNoteOff(e)) {
        const list = open.get(key);
        if (!list) continue;
        const keep = list.filter((n) => n.tick === e.tick);
        for (const n of list) {
          if (n.tick === e.tick) continue;
          spans.push({
            track: e.track, channel: e.status & 0x0f, note: e.data1, velocity: n.velocity,
            startTick: n.tick, endTick: e.tick,
            start: tempoMap.ticksToSeconds(n.tick), end: tempoMap.ticksToSeconds(e.tick),
          });
        }
        if (keep.length > 0 && keep.length < list.length) open.set(key, keep);
        else open.delete(key);
      }
    }
  }
  return spans;
}
