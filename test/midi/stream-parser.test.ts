import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MidiStreamParser, type MidiMessage } from '../../lib/midi/stream-parser.js';

const on = (ch: number, note: number, vel: number): MidiMessage => ({ kind: 'channel', status: 0x90 | ch, data1: note, data2: vel });
const off = (ch: number, note: number, vel: number): MidiMessage => ({ kind: 'channel', status: 0x80 | ch, data1: note, data2: vel });
const clock: MidiMessage = { kind: 'realtime', status: 0xf8 };

// A stream as a keyboard sends it: running status, velocity-0 note-offs, clock bytes in the middle of
// messages, a sysex, a program change (one data byte) under running status, a pitch bend.
const BYTES = [
  0x90, 60, 100, 0xf8, 64, 0xf8, 90, 60, 0, 0xf8,
  0xf0, 0x7e, 0x7f, 0x09, 0x01, 0xf7,
  0x91, 67, 0xfe, 80,
  0xc2, 5, 0xf8, 6,
  0xe0, 0x00, 0x40,
  0x81, 67, 64, 67, 0,
  0x45, // a data byte with no status (after a system common message) is dropped
];
const EXPECTED: MidiMessage[] = [
  on(0, 60, 100), clock, clock, on(0, 64, 90), off(0, 60, 0), clock,
  { kind: 'sysex', data: Uint8Array.from([0x7e, 0x7f, 0x09, 0x01]) },
  { kind: 'realtime', status: 0xfe }, on(1, 67, 80),
  { kind: 'channel', status: 0xc2, data1: 5, data2: 0 }, clock, { kind: 'channel', status: 0xc2, data1: 6, data2: 0 },
  { kind: 'channel', status: 0xe0, data1: 0, data2: 0x40 },
  off(1, 67, 64), off(1, 67, 0),
];

test('running status, interleaved clock bytes, sysex and note-on velocity 0 parse to the right events', () => {
  assert.deepEqual(new MidiStreamParser().push(Uint8Array.from(BYTES)), EXPECTED);
});

test('the same stream split at every byte gives the same events', () => {
  const parser = new MidiStreamParser();
  const events = BYTES.flatMap((b) => parser.push(Uint8Array.of(b)));
  assert.deepEqual(events, EXPECTED);
});

test('a system common message cancels running status; data without a status is dropped', () => {
  const parser = new MidiStreamParser();
  const events = parser.push(Uint8Array.from([0x90, 60, 100, 0xf3, 2, 61, 100, 0xf6, 0x92, 62, 1]));
  assert.deepEqual(events, [
    on(0, 60, 100),
    { kind: 'common', status: 0xf3, data: [2] },
    { kind: 'common', status: 0xf6, data: [] },
    on(2, 62, 1),
  ]);
});
