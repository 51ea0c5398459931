import { channelDataLength, isMetrical, META, type MidiEvent, type Smf } from './smf-types.js';

/** The largest variable-length number (4 bytes of 7 bits). */
const MAX_VLQ = 0x0fffffff;
/** A text meta event: with no text, it only carries time. */
const META_TEXT = 0x01;

/** Serialises an Smf; each track is ordered by tick and ends with exactly one end-of-track. */
export function writeSmf(smf: Smf): Uint8Array {
  if (smf.format === 0 && smf.tracks.length !== 1) {
    throw new RangeError(`writeSmf: format 0 expects exactly 1 track, got ${smf.tracks.length}`);
  }
  const out = new ByteSink();
  out.ascii('MThd');
  out.u32(6);
  out.u16(smf.format);
  out.u16(smf.tracks.length);
  out.u16(divisionWord(smf));
  for (const track of smf.tracks) {
    out.ascii('MTrk');
    const lengthAt = out.length;
    out.u32(0);
    encodeTrack(out, track);
    out.patchU32(lengthAt, out.length - lengthAt - 4);
  }
  return out.bytes();
}

/** A growing byte buffer (one typed array, doubled when full: no array of numbers per byte). */
class ByteSink {
  private buf = new Uint8Array(1024);
  length = 0;

  push(byte: number): void {
    if (this.length === this.buf.length) this.grow(1);
    this.buf[this.length++] = byte;
  }

  append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buf.length) this.grow(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  u16(value: number): void {
    this.push((value >> 8) & 0xff);
    this.push(value & 0xff);
  }

  u32(value: number): void {
    this.u16((value >>> 16) & 0xffff);
    this.u16(value & 0xffff);
  }

  patchU32(at: number, value: number): void {
    this.buf[at] = (value >>> 24) & 0xff;
    this.buf[at + 1] = (value >> 16) & 0xff;
    this.buf[at + 2] = (value >> 8) & 0xff;
    this.buf[at + 3] = value & 0xff;
  }

  ascii(text: string): void {
    for (let i = 0; i < text.length; i++) this.push(text.charCodeAt(i));
  }

  /** A delta time; one longer than a variable-length number holds is carried by empty text events. */
  delta(value: number): void {
    while (value > MAX_VLQ) {
      this.vlq(MAX_VLQ);
      this.push(0xff);
      this.push(META_TEXT);
      this.push(0);
      value -= MAX_VLQ;
    }
    this.vlq(value);
  }

  vlq(value: number): void {
    if (value > MAX_VLQ) throw new RangeError(`writeSmf: expected a length up to 0x0FFFFFFF, got ${value}`);
    for (let shift = 21; shift > 0; shift -= 7) {
      if (value >= 2 ** shift) this.push((Math.floor(value / 2 ** shift) & 0x7f) | 0x80);
    }
    this.push(value & 0x7f);
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  private grow(extra: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + extra));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
}

function divisionWord(smf: Smf): number {
  const d = smf.division;
  if (isMetrical(d)) {
    if (!Number.isInteger(d.ticksPerBeat) || d.ticksPerBeat < 1 || d.ticksPerBeat > 0x7fff) {
      throw new RangeError(`writeSmf: expected ticks per beat from 1 to 32767, got ${d.ticksPerBeat}`);
    }
    return d.ticksPerBeat;
  }
  return ((256 - d.fps) << 8) | d.ticksPerFrame;
}

function encodeTrack(out: ByteSink, track: MidiEvent[]): void {
  const ordered = track
    .filter((e) => !(e.kind === 'meta' && e.type === META.endOfTrack))
    .sort((a, b) => a.tick - b.tick);
  const lastTick = track.reduce((max, e) => Math.max(max, e.tick), 0);
  let now = 0;
  for (const e of ordered) {
    if (!Number.isInteger(e.tick) || e.tick < 0) {
      throw new RangeError(`writeSmf: expected a whole tick >= 0, got ${e.tick}`);
    }
    out.delta(e.tick - now);
    now = e.tick;
    encodeEvent(out, e);
  }
  out.delta(lastTick - now);
  out.push(0xff);
  out.push(META.endOfTrack);
  out.push(0);
}

function encodeEvent(out: ByteSink, e: MidiEvent): void {
  if (e.kind === 'channel') {
    out.push(e.status);
    out.push(e.data1 & 0x7f);
    if (channelDataLength(e.status) === 2) out.push(e.data2 & 0x7f);
  } else {
    out.push(e.kind === 'meta' ? 0xff : e.status);
    if (e.kind === 'meta') out.push(e.type);
    out.vlq(e.data.length);
    out.append(e.data);
  }
}
