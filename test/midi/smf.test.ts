import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeTracks, readSmf, TempoMap, writeSmf, type MidiEvent, type Smf } from '../../lib/midi/smf.js';
import { noteSpans } from '../../lib/midi/note-spans.js';
import { midoEvents } from './mido-oracle.js';
import { groundTruth, MIDI_FIXTURES } from './ground-truth.js';
import { unmatchedNotes } from './note-match.js';

const FIXTURES = ['bach_846', 'bach_format0', 'claire_de_lune', 'TheEntertainer', 'concerto_for_orchestra_1',
  '230_bpm_multitrack', 'beat', 'pitchBendTest'];
const WITH_TRUTH = ['bach_846', 'bach_format0', 'claire_de_lune', 'TheEntertainer', 'concerto_for_orchestra_1'];

function hex(bytes: Iterable<number>): string {
  return Buffer.from([...bytes]).toString('hex');
}

function vlq(value: number): number[] {
  const out = [value & 0x7f];
  for (let v = value >> 7; v > 0; v >>= 7) out.unshift((v & 0x7f) | 0x80);
  return out;
}

function asMido(e: MidiEvent): [number, string] {
  if (e.kind === 'channel') {
    const short = (e.status & 0xf0) === 0xc0 || (e.status & 0xf0) === 0xd0;
    return [e.tick, hex(short ? [e.status, e.data1] : [e.status, e.data1, e.data2])];
  }
  if (e.kind === 'meta') return [e.tick, hex([0xff, e.type, ...vlq(e.data.length), ...e.data])];
  return [e.tick, hex([e.status, ...e.data])];
}

async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-smf-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('readSmf reads every event of every fixture exactly as mido does', async () => {
  for (const name of FIXTURES) {
    const path = `${MIDI_FIXTURES}/${name}.mid`;
    const smf = readSmf(await readFile(path));
    const mido = await midoEvents(path);
    assert.equal(smf.format, mido.type, name);
    assert.deepEqual(smf.division, { ticksPerBeat: mido.ticks_per_beat }, name);
    assert.deepEqual(smf.tracks.map((t) => t.map(asMido)), mido.tracks, name);
    smf.tracks.forEach((t, i) => assert.ok(t.every((e) => e.track === i), `${name}: track index`));
  }
});

test('note times from the tempo map match the pretty_midi ground truth within 1 microsecond', async () => {
  for (const name of WITH_TRUTH) {
    const smf = readSmf(await readFile(`${MIDI_FIXTURES}/${name}.mid`));
    const truth = await groundTruth(name);
    const names = smf.tracks.map((t) => t.find((e) => e.kind === 'meta' && e.type === 0x03));
    const trackName = (i: number) => {
      const e = names[i];
      return e && e.kind === 'meta' ? Buffer.from(e.data).toString('latin1') : '';
    };
    const covered = new Set(truth.map((n) => n.trackName));
    const spans = noteSpans(smf).filter((s) => covered.has(trackName(s.track)));
    const { missing, extra } = unmatchedNotes(truth, spans, 1e-6);
    assert.deepEqual({ missing: missing.slice(0, 5), extra: extra.slice(0, 5) }, { missing: [], extra: [] }, name);
    assert.equal(spans.length, truth.length, name);
  }
});

test('writeSmf then readSmf gives the same file back, and mido reads the written file as the original', async () => {
  await withTemp(async (dir) => {
    for (const name of FIXTURES) {
      const smf = readSmf(await readFile(`${MIDI_FIXTURES}/${name}.mid`));
      const written = writeSmf(smf);
      assert.deepEqual(readSmf(written), smf, name);
      const path = join(dir, `${name}.mid`);
      await writeFile(path, written);
      assert.deepEqual(await midoEvents(path), await midoEvents(`${MIDI_FIXTURES}/${name}.mid`), name);
    }
  });
});

test('writeSmf ends each track with one end-of-track and accepts SMPTE division', () => {
  const smf: Smf = {
    format: 1,
    division: { fps: 25, ticksPerFrame: 40 },
    tracks: [[
      { tick: 10, track: 0, kind: 'channel', status: 0x90, data1: 60, data2: 100 },
      { tick: 0, track: 0, kind: 'channel', status: 0xc3, data1: 5, data2: 0 },
      { tick: 20, track: 0, kind: 'sysex', status: 0xf0, data: Uint8Array.of(0x7e, 0x7f, 0x09, 0x01, 0xf7) },
    ]],
  };
  const bytes = writeSmf(smf);
  assert.equal(hex(bytes), [
    '4d546864', '00000006', '0001', '0001', 'e728',
    '4d54726b', '00000013',
    '00c305', '0a903c64', '0af0057e7f0901f7', '00ff2f00',
  ].join(''));
  const back = readSmf(bytes);
  assert.deepEqual(back.division, { fps: 25, ticksPerFrame: 40 });
  assert.equal(TempoMap.fromSmf(back).ticksToSeconds(1000), 1);
});

test('writeSmf carries a gap longer than a delta time can hold with empty text events; the ticks read back', () => {
  const far = 0x0fffffff * 2 + 5;
  const smf: Smf = {
    format: 0,
    division: { ticksPerBeat: 1 },
    tracks: [[
      { tick: 0, track: 0, kind: 'channel', status: 0x90, data1: 60, data2: 100 },
      { tick: far, track: 0, kind: 'channel', status: 0x80, data1: 60, data2: 0 },
    ]],
  };
  const bytes = writeSmf(smf);
  assert.equal(hex(bytes.subarray(22)), ['00903c64', 'ffffff7f' + 'ff0100', 'ffffff7f' + 'ff0100', '05803c00', '00ff2f00'].join(''));
  const back = readSmf(bytes).tracks[0];
  assert.deepEqual(back.map((e) => [e.tick, e.kind]), [[0, 'channel'], [0x0fffffff, 'meta'], [0x1ffffffe, 'meta'], [far, 'channel'], [far, 'meta']]);
});

test('TempoMap: 120 BPM before the first tempo event, then each tempo from its tick (hand computation)', () => {
  const tempo = (tick: number, us: number): MidiEvent => ({
    tick, track: 1, kind: 'meta', type: 0x51, data: Uint8Array.of(us >> 16, (us >> 8) & 0xff, us & 0xff),
  });
  const smf: Smf = { format: 1, division: { ticksPerBeat: 480 }, tracks: [[], [tempo(960, 1_000_000), tempo(1440, 250_000)]] };
  const map = TempoMap.fromSmf(smf);
  const cases: [number, number][] = [[0, 0], [480, 0.5], [960, 1], [1200, 1.5], [1440, 2], [1920, 2.25], [100.5, 100.5 / 960]];
  for (const [tick, seconds] of cases) {
    assert.ok(Math.abs(map.ticksToSeconds(tick) - seconds) < 1e-12, `tick ${tick}`);
    assert.ok(Math.abs(map.secondsToTicks(seconds) - tick) < 1e-9, `seconds ${seconds}`);
  }
  assert.deepEqual([0, 959, 960, 1439, 1440, 99999].map((t) => map.tempoAt(t)), [500000, 500000, 1e6, 1e6, 250000, 250000]);
  assert.deepEqual(TempoMap.fromSmf({ ...smf, division: { fps: 29, ticksPerFrame: 4 } }).ticksToSeconds(120), 120 / (4 * 30000 / 1001));
});

test('mergeTracks orders by tick and keeps track order, then file order, at equal ticks', () => {
  const ev = (tick: number, track: number, data1: number): MidiEvent => ({ tick, track, kind: 'channel', status: 0x90, data1, data2: 1 });
  const smf: Smf = { format: 1, division: { ticksPerBeat: 96 }, tracks: [[ev(0, 0, 1), ev(5, 0, 2), ev(5, 0, 3)], [ev(0, 1, 4), ev(3, 1, 5), ev(5, 1, 6)]] };
  assert.deepEqual(mergeTracks(smf).map((e) => (e.kind === 'channel' ? e.data1 : -1)), [1, 4, 5, 2, 3, 6]);
});
