import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sliceMidi } from '../../lib/sequencer/midi-slice.js';
import { readSmf, TempoMap, writeSmf, type MidiEvent, type Smf } from '../../lib/midi/smf.js';
import { midoEvents, midoNotes } from '../midi/mido-oracle.js';
import { groundTruth, MIDI_FIXTURES, type TruthNote } from '../midi/ground-truth.js';
import { unmatchedNotes } from '../midi/note-match.js';

const TOLERANCE = 0.001;

async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-slice-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The ground truth of the part from..to, shifted so that `from` is 0, notes still sounding at `to` ending there. */
function expectedSlice(truth: TruthNote[], from: number, to?: number): TruthNote[] {
  return truth
    .filter((n) => n.start >= from && (to === undefined || n.start < to))
    .map((n) => ({ ...n, start: n.start - from, end: Math.min(n.end, to ?? Infinity) - from }));
}

async function checkSlice(dir: string, name: string, from: number, to?: number): Promise<void> {
  const sliced = sliceMidi(await readFile(`${MIDI_FIXTURES}/${name}.mid`), { from, to });
  const path = join(dir, `${name}-${from}-${to ?? 'end'}.mid`);
  await writeFile(path, sliced);
  const { notes } = await midoNotes(path);
  const actual = notes.map(([, , note, start, end]) => ({ note, start, end }));
  const expected = expectedSlice(await groundTruth(name), from, to);
  const { missing, extra } = unmatchedNotes(expected, actual, TOLERANCE);
  const label = `${name} from ${from} to ${to}`;
  assert.deepEqual({ missing: missing.slice(0, 3), extra: extra.slice(0, 3) }, { missing: [], extra: [] }, label);
  assert.equal(actual.length, expected.length, label);
  assert.ok(expected.length > 0, `${label}: the slice has notes`);
}

test('slices of claire_de_lune (733 tempo changes) keep every later note exact to 1 ms (mido reads the slice)', async () => {
  await withTemp(async (dir) => {
    for (const from of [0, 0.3, 17.777, 61.23456, 123.4, 200.01]) await checkSlice(dir, 'claire_de_lune', from);
  });
});

test('slices of bach_846 (format 1) and bach_format0 (format 0, no tempo) with and without an end', async () => {
  await withTemp(async (dir) => {
    for (const [from, to] of [[5.05, undefined], [33.3333, 47.1], [0, 10.0001], [71.9, 72.3]] as const) {
      await checkSlice(dir, 'bach_846', from, to);
    }
    for (const [from, to] of [[2.2, undefined], [10.01, 20.4], [31.123, 31.6]] as const) {
      await checkSlice(dir, 'bach_format0', from, to);
    }
  });
});

test('the end of a slice is exact: every track ends at `to` - `from` seconds', async () => {
  await withTemp(async (dir) => {
    const path = join(dir, 'cut.mid');
    await writeFile(path, sliceMidi(await readFile(`${MIDI_FIXTURES}/claire_de_lune.mid`), { from: 40.0123, to: 52.4567 }));
    const { notes } = await midoNotes(path);
    const lastEnd = Math.max(...notes.map((n) => n[4]));
    assert.ok(Math.abs(lastEnd - (52.4567 - 40.0123)) < 1e-6, `last note-off at ${lastEnd}`);
  });
});

test('the state in force at `from` is at the start of the slice: program, controllers, pitch bend (as mido reads them)', async () => {
  await withTemp(async (dir) => {
    for (const [name, from] of [['pitchBendTest', 1.7], ['claire_de_lune', 100.5], ['bach_846', 60.06]] as const) {
      const source = await readFile(`${MIDI_FIXTURES}/${name}.mid`);
      const all = await midoEvents(`${MIDI_FIXTURES}/${name}.mid`);
      const path = join(dir, `${name}.mid`);
      await writeFile(path, sliceMidi(source, { from }));
      const slice = await midoEvents(path);
      const fromTick = TempoMap.fromSmf(readSmf(source)).secondsToTicks(from);
      let checked = 0;
      all.tracks.forEach((track, index) => {
        const lastOf = new Map<string, string>();
        for (const [tick, bytes] of track) {
          if (tick >= fromTick) break;
          const kind = parseInt(bytes.slice(0, 2), 16) & 0xf0;
          if (kind === 0xc0 || kind === 0xe0 || kind === 0xd0) lastOf.set(bytes.slice(0, 2), bytes);
          if (kind === 0xb0) lastOf.set(bytes.slice(0, 4), bytes);
        }
        const atZero = slice.tracks[index].filter(([tick, bytes]) => tick === 0 && /^[b-e]/.test(bytes)).map(([, b]) => b);
        assert.deepEqual(atZero.sort(), [...lastOf.values()].sort(), `${name} track ${index} at ${from}`);
        checked += lastOf.size;
      });
      assert.ok(checked > 0, `${name}: some state was in force at ${from}`);
    }
  });
});

test('state kept at the start: last program/controller/bend per channel, RPN writes and sysex in order, meta state; reset clears controllers', () => {
  const ch = (tick: number, status: number, data1: number, data2 = 0): MidiEvent => ({ tick, track: 0, kind: 'channel', status, data1, data2 });
  const meta = (tick: number, type: number, ...data: number[]): MidiEvent => ({ tick, track: 0, kind: 'meta', type, data: Uint8Array.from(data) });
  const sysex: MidiEvent = { tick: 5, track: 0, kind: 'sysex', status: 0xf0, data: Uint8Array.of(0x7e, 0x7f, 0x09, 0x01, 0xf7) };
  const events: MidiEvent[] = [
    meta(0, 0x03, 0x41), meta(0, 0x58, 3, 2, 24, 8), meta(0, 0x59, 0, 0), ch(0, 0xc0, 1), ch(0, 0xb0, 7, 100),
    ch(1, 0xb1, 10, 20), ch(2, 0xb0, 101, 0), ch(2, 0xb0, 100, 0), ch(2, 0xb0, 6, 12), sysex,
    ch(10, 0x90, 60, 90), ch(20, 0xe0, 0, 70), ch(30, 0xc0, 2), ch(40, 0xb0, 7, 50), meta(50, 0x06, 0x4d),
    ch(60, 0xb1, 121, 0), ch(70, 0xb1, 11, 90), meta(80, 0x59, 2, 1), ch(90, 0xd0, 33), ch(100, 0x80, 60, 0),
    ch(240, 0x90, 62, 80), ch(300, 0x80, 62, 0), meta(300, 0x2f),
  ];
  const smf: Smf = { format: 0, division: { ticksPerBeat: 120 }, tracks: [events] };
  const slice = readSmf(sliceMidi(writeSmf(smf), { from: 0.5 }));
  const bytesOf = (e: MidiEvent) => (e.kind === 'channel' ? [e.tick, e.status, e.data1, e.data2] : [e.tick, e.kind === 'meta' ? e.type : e.status, ...e.data]);
  assert.deepEqual(slice.tracks[0].map(bytesOf), [
    [0, 0x51, 0x07, 0xa1, 0x20],
    [0, 0x03, 0x41], [0, 0x58, 3, 2, 24, 8], [0, 0xb0, 101, 0], [0, 0xb0, 100, 0], [0, 0xb0, 6, 12],
    [0, 0xf0, 0x7e, 0x7f, 0x09, 0x01, 0xf7], [0, 0xe0, 0, 70], [0, 0xc0, 2, 0], [0, 0xb0, 7, 50],
    [0, 0xb1, 121, 0], [0, 0xb1, 11, 90], [0, 0x59, 2, 1], [0, 0xd0, 33, 0],
    [120, 0x90, 62, 80], [180, 0x80, 62, 0], [180, 0x2f],
  ]);
});
