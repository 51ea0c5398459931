import { ByteReader } from './byte-reader.js';
import { MidiFormatError } from './midi-format-error.js';
import { channelDataLength, META, type Division, type MidiEvent, type Smf } from './smf-types.js';

const HEADER_LENGTH = 6;
/** Most events a file may hold (about 100 MB parsed): no real song comes near, a hostile file cannot exhaust memory. */
export const MAX_MIDI_EVENTS = 1_000_000;

/** Options of readSmf. */
export interface ReadSmfOptions {
  /** Most events accepted over all tracks (default MAX_MIDI_EVENTS). */
  maxEvents?: number;
}

/** Parses a Standard MIDI File (or one wrapped in RIFF RMID); malformed input throws MidiFormatError. */
export function readSmf(bytes: Uint8Array, options: ReadSmfOptions = {}): Smf {
  const budget = { left: options.maxEvents ?? MAX_MIDI_EVENTS, max: options.maxEvents ?? MAX_MIDI_EVENTS };
  const body = unwrapRmid(bytes);
  const r = new ByteReader(bytes, body.start, body.end);
  const magic = r.ascii(4, 'header chunk id');
  if (magic !== 'MThd') {
    throw new MidiFormatError(`expected a header chunk 'MThd', got '${printable(magic)}'`, body.start);
  }
  const headerLength = r.u32('header chunk length');
  if (headerLength < HEADER_LENGTH) {
    throw new MidiFormatError(`header chunk length: expected at least ${HEADER_LENGTH}, got ${headerLength}`, r.pos - 4);
  }
  r.need(headerLength, 'header chunk');
  const headerEnd = r.pos + headerLength;
  const format = r.u16('format');
  if (format > 2) throw new MidiFormatError(`format: expected 0, 1 or 2, got ${format}`, r.pos - 2);
  const trackCount = r.u16('track count');
  const division = readDivision(r);
  if (format === 0 && trackCount !== 1) {
    throw new MidiFormatError(`format 0: expected 1 track, header declares ${trackCount}`, r.pos - 4);
  }
  r.pos = headerEnd;

  const tracks: MidiEvent[][] = [];
  while (tracks.length < trackCount) {
    if (r.remaining === 0) {
      throw new MidiFormatError(`truncated file: header declares ${trackCount} tracks, found ${tracks.length}`, r.pos);
    }
    const chunkStart = r.pos;
    const id = r.ascii(4, 'chunk id');
    const length = r.u32('chunk length');
    if (length > r.remaining) {
      throw new MidiFormatError(
        `chunk '${printable(id)}' length ${length} runs past the end of the file (${r.remaining} bytes left)`, chunkStart + 4);
    }
    if (id === 'MTrk') tracks.push(readTrack(new ByteReader(bytes, r.pos, r.pos + length, `MTrk chunk ${tracks.length}`), tracks.length, budget));
    r.pos += length;
  }
  return { format: format as 0 | 1 | 2, division, tracks };
}

function readDivision(r: ByteReader): Division {
  const at = r.pos;
  const raw = r.u16('division');
  if (raw & 0x8000) {
    const fpsCode = 256 - (raw >> 8);
    const ticksPerFrame = raw & 0xff;
    if (![24, 25, 29, 30].includes(fpsCode) || ticksPerFrame === 0) {
      throw new MidiFormatError(`SMPTE division: expected 24, 25, 29 or 30 fps and ticks per frame > 0, got ${fpsCode} fps, ${ticksPerFrame}`, at);
    }
    return { fps: fpsCode, ticksPerFrame };
  }
  if (raw === 0) throw new MidiFormatError('division: expected ticks per quarter note > 0, got 0', at);
  return { ticksPerBeat: raw };
}

function readTrack(r: ByteReader, track: number, budget: { left: number; max: number }): MidiEvent[] {
  const events: MidiEvent[] = [];
  let tick = 0;
  let running = 0;
  while (r.remaining > 0) {
    if (--budget.left < 0) throw new MidiFormatError(`too many events: expected at most ${budget.max} in the file`, r.pos);
    tick += r.vlq('delta time');
    const at = r.pos;
    let status = r.u8('event status');
    if (status < 0x80) {
      if (running === 0) {
        throw new MidiFormatError(`data byte 0x${hex(status)} with no running status (expected a status byte)`, at);
      }
      status = running;
      r.pos = at;
    }
    if (status < 0xf0) {
      running = status;
      const data1 = readDataByte(r, status);
      const data2 = channelDataLength(status) === 2 ? readDataByte(r, status) : 0;
      events.push({ tick, track, kind: 'channel', status, data1, data2 });
    } else if (status === 0xff) {
      const type = r.u8('meta event type');
      const length = r.vlq('meta event length');
      const lengthAt = r.pos;
      const data = r.take(length, `meta event 0x${hex(type)} data`);
      if (type === META.tempo && length !== 3) {
        throw new MidiFormatError(`tempo meta event: expected 3 data bytes, got ${length}`, lengthAt);
      }
      events.push({ tick, track, kind: 'meta', type, data });
      if (type === META.endOfTrack) break;
    } else if (status === 0xf0 || status === 0xf7) {
      const length = r.vlq('sysex length');
      events.push({ tick, track, kind: 'sysex', status, data: r.take(length, 'sysex data') });
    } else {
      throw new MidiFormatError(`status 0x${hex(status)} is not allowed in a MIDI file track (expected 0x80-0xEF, 0xF0, 0xF7 or 0xFF)`, at);
    }
  }
  return events;
}

function readDataByte(r: ByteReader, status: number): number {
  const at = r.pos;
  const byte = r.u8(`data of status 0x${hex(status)}`);
  if (byte >= 0x80) {
    throw new MidiFormatError(`status 0x${hex(status)}: expected a data byte (< 0x80), got 0x${hex(byte)}`, at);
  }
  return byte;
}

function unwrapRmid(bytes: Uint8Array): { start: number; end: number } {
  const r = new ByteReader(bytes);
  if (bytes.length < 12 || r.ascii(4, 'RIFF id') !== 'RIFF') return { start: 0, end: bytes.length };
  r.u32('RIFF length');
  if (r.ascii(4, 'RIFF form') !== 'RMID') return { start: 0, end: bytes.length };
  while (r.remaining >= 8) {
    const id = r.ascii(4, 'RIFF chunk id');
    const length = littleEndian32(bytes, r.pos);
    r.pos += 4;
    if (id === 'data') return { start: r.pos, end: Math.min(bytes.length, r.pos + length) };
    r.pos += length + (length & 1);
  }
  throw new MidiFormatError("RIFF RMID file: expected a 'data' chunk, found none", r.pos);
}

function littleEndian32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\x${hex(c.charCodeAt(0))}`);
}
