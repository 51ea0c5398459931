import type { Seconds } from '../base/units.js';
import { isMetrical, META, readSmf, TempoMap, writeSmf, type MidiEvent, type Smf } from '../midi/smf.js';
import { isNoteOff, isNoteOn } from '../midi/note-spans.js';
import { MidiStateCollector } from './midi-state.js';

/** Where a slice starts and (optionally) ends, in seconds of the original file. */
export interface SliceOptions {
  from: Seconds;
  to?: Seconds;
}

/** A Standard MIDI File that plays the part of `bytes` from `from` (time 0) to `to`, with the state in force at `from`. */
export function sliceMidi(bytes: Uint8Array, options: SliceOptions): Uint8Array {
  return writeSmf(sliceSmf(readSmf(bytes), options));
}

/** One track's place in the slice: the ticks of the original that map to output ticks. */
interface Plan {
  firstTick: number;
  shift: number;
  endTick: number | null;
  cutTick: number;
  tempos: Map<number, number>;
}

/**
 * The slice of a parsed file (format 0 or 1). Note times are exact: when `from` or `to` falls between
 * two ticks, the tick interval there gets a tempo that makes it last exactly the remainder.
 */
export function sliceSmf(smf: Smf, options: SliceOptions): Smf {
  const { from, to } = options;
  if (smf.format === 2) throw new RangeError('sliceMidi: expected a format 0 or 1 file, got format 2 (independent sequences)');
  if (!(from >= 0)) throw new RangeError(`sliceMidi: expected from >= 0 seconds, got ${from}`);
  if (to !== undefined && !(to > from)) throw new RangeError(`sliceMidi: expected to > from (${from}), got ${to}`);
  const tempoMap = TempoMap.fromSmf(smf);
  const plan = isMetrical(smf.division)
    ? metricalPlan(smf.division.ticksPerBeat, tempoMap, from, to)
    : smptePlan(tempoMap, from, to);
  const tracks = smf.tracks.map((track, index) => sliceTrack(track, index, plan));
  // A file with no track has no events to slice, and nowhere to put a tempo.
  if (tracks.length === 0) return { format: smf.format, division: smf.division, tracks };
  for (const [tick, tempo] of plan.tempos) {
    tracks[0].unshift({ tick, track: 0, kind: 'meta', type: META.tempo, data: tempoBytes(tempo) });
  }
  for (const track of tracks) track.sort((a, b) => a.tick - b.tick || tempoFirst(a) - tempoFirst(b));
  return { format: smf.format, division: smf.division, tracks };
}

function metricalPlan(ticksPerBeat: number, tempoMap: TempoMap, from: Seconds, to: Seconds | undefined): Plan {
  const tempoOfInterval = (seconds: Seconds) => Math.round(seconds * 1e6 * ticksPerBeat);
  const startTick = tempoMap.secondsToTicks(from);
  const firstTick = Math.ceil(startTick);
  const leadIn = tempoOfInterval(tempoMap.ticksToSeconds(firstTick) - from);
  const fractionalStart = firstTick > startTick && leadIn >= 1;
  const shift = fractionalStart ? 1 - firstTick : -firstTick;
  const tempos = new Map<number, number>();
  if (fractionalStart) tempos.set(0, leadIn);
  tempos.set(fractionalStart ? 1 : 0, tempoMap.tempoAt(startTick));
  for (const change of tempoMap.changes()) {
    if (change.tick >= firstTick) tempos.set(change.tick + shift, change.tempo);
  }
  if (to === undefined) return { firstTick, shift, endTick: null, cutTick: Infinity, tempos };

  const stopTick = tempoMap.secondsToTicks(to);
  const lastWhole = Math.floor(stopTick);
  const leadOut = tempoOfInterval(to - Math.max(from, tempoMap.ticksToSeconds(lastWhole)));
  if (stopTick === lastWhole || leadOut < 1) {
    const endTick = Math.max(Math.round(stopTick) + shift, fractionalStart ? 1 : 0);
    for (const tick of tempos.keys()) if (tick >= endTick && tick > 0) tempos.delete(tick);
    return { firstTick, shift, endTick, cutTick: Math.round(stopTick), tempos };
  }
  const leadOutTick = Math.max(lastWhole + shift, 0);
  for (const tick of tempos.keys()) if (tick > leadOutTick) tempos.delete(tick);
  tempos.set(leadOutTick, leadOut);
  return { firstTick, shift, endTick: leadOutTick + 1, cutTick: stopTick, tempos };
}

function smptePlan(tempoMap: TempoMap, from: Seconds, to: Seconds | undefined): Plan {
  const firstTick = Math.round(tempoMap.secondsToTicks(from));
  const cutTick = to === undefined ? Infinity : Math.round(tempoMap.secondsToTicks(to));
  const endTick = to === undefined ? null : Math.max(cutTick - firstTick, 0);
  return { firstTick, shift: -firstTick, endTick, cutTick, tempos: new Map([[0, tempoMap.tempoAt(firstTick)]]) };
}

function sliceTrack(track: MidiEvent[], index: number, plan: Plan): MidiEvent[] {
  const state = new MidiStateCollector();
  const body: MidiEvent[] = [];
  // Open notes per channel and key; one off ends one note, the oldest (notes of a key end in the order they began).
  const open = new Map<number, number>();
  for (const e of track) {
    if (e.kind === 'meta' && (e.type === META.tempo || (e.type === META.endOfTrack && plan.endTick !== null))) continue;
    if (e.tick < plan.firstTick) {
      state.add(e);
      continue;
    }
    if (e.tick >= plan.cutTick) break;
    const moved = { ...e, track: index, tick: e.tick + plan.shift };
    if (e.kind === 'channel' && isNoteOn(e)) {
      const key = noteKey(e.status, e.data1);
      open.set(key, (open.get(key) ?? 0) + 1);
    } else if (e.kind === 'channel' && isNoteOff(e)) {
      const key = noteKey(e.status, e.data1);
      const count = open.get(key);
      if (!count) continue;
      if (count === 1) open.delete(key);
      else open.set(key, count - 1);
    }
    body.push(moved);
  }
  const head = state.events().map((e) => ({ ...e, track: index, tick: 0 }));
  const tail: MidiEvent[] = [];
  if (plan.endTick !== null) {
    for (const key of open.keys()) {
      tail.push({ tick: plan.endTick, track: index, kind: 'channel', status: 0x80 | (key >> 7), data1: key & 0x7f, data2: 0 });
    }
    tail.push({ tick: plan.endTick, track: index, kind: 'meta', type: META.endOfTrack, data: new Uint8Array(0) });
  }
  return [...head, ...body, ...tail];
}

function noteKey(status: number, note: number): number {
  return ((status & 0x0f) << 7) | note;
}

function tempoFirst(e: MidiEvent): number {
  return e.kind === 'meta' && e.type === META.tempo ? 0 : 1;
}

function tempoBytes(tempo: number): Uint8Array {
  const clamped = Math.min(Math.max(Math.round(tempo), 1), 0xffffff);
  return Uint8Array.of(clamped >> 16, (clamped >> 8) & 0xff, clamped & 0xff);
}
