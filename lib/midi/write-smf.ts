import { channelDataLength, isMetrical, META, type MidiEvent, type Smf } from './smf-types.js';

/** Serialises an Smf; each track is ordered by tick and ends with exactly one end-of-track. */
export function writeSmf(smf: Smf): Uint8Array {
  if (smf.format === 0 && smf.tracks.length !== 1) {
    throw new Error(`writeSmf: format 0 expects exactly 1 track, got ${smf.tracks.length}`);
  }
  const out: number[] = [];
  pushAscii(out, 'MThd');
  push32(out, 6);
  push16(out, smf.format);
  push16(out, smf.tracks.length);
  push16(out, divisionWord(smf));
  for (const track of smf.tracks) {
    const body = encodeTrack(track);
    pushAscii(out, 'MTrk');
    push32(out, body.length);
    for (const byte of body) out.push(byte);
  }
  return Uint8Array.from(out);
}

function divisionWord(smf: Smf): number {
  const d = smf.division;
  if (isMetrical(d)) {
    if (!Number.isInteger(d.ticksPerBeat) || d.ticksPerBeat < 1 || d.ticksPerBeat > 0x7fff) {
      throw new Error(`writeSmf: expected ticks per beat from 1 to 32767, got ${d.ticksPerBeat}`);
    }
    return d.ticksPerBeat;
  }
  return ((256 - d.fps) << 8) | d.ticksPerFrame;
}

function encodeTrack(track: MidiEvent[]): number[] {
  const ordered = track
    .filter((e) => !(e.kind === 'meta' && e.type === META.endOfTrack))
    .sort((a, b) => a.tick - b.tick);
  const lastTick = track.reduce((max, e) => Math.max(max, e.tick), 0);
  const out: number[] = [];
  let now = 0;
  for (const e of ordered) {
    if (!Number.isInteger(e.tick) || e.tick < 0) {
      throw new Error(`writeSmf: expected a whole tick >= 0, got ${e.tick}`);
    }
    pushVlq(out, e.tick - now);
    now = e.tick;
    encodeEvent(out, e);
  }
  pushVlq(out, lastTick - now);
  out.push(0xff, META.endOfTrack, 0);
  return out;
}

function encodeEvent(out: number[], e: MidiEvent): void {
  if (e.kind === 'channel') {
    out.push(e.status, e.data1 & 0x7f);
    if (channelDataLength(e.status) === 2) out.push(e.data2 & 0x7f);
  } else if (e.kind === 'meta') {
    out.push(0xff, e.type);
    pushVlq(out, e.data.length);
    for (const byte of e.data) out.push(byte);
  } else {
    out.push(e.status);
    pushVlq(out, e.data.length);
    for (const byte of e.data) out.push(byte);
  }
}

function pushVlq(out: number[], value: number): void {
  if (value > 0x0fffffff) throw new Error(`writeSmf: expected a delta time up to 0x0FFFFFFF ticks, got ${value}`);
  const groups = [value & 0x7f];
  for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
  out.push(...groups);
}

function push16(out: number[], value: number): void {
  out.push((value >> 8) & 0xff, value & 0xff);
}

function push32(out: number[], value: number): void {
  out.push((value >>> 24) & 0xff, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
}

function pushAscii(out: number[], text: string): void {
  for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i));
}
