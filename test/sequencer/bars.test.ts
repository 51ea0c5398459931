import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { defaultBars, midiBars, songBars, stepCount, stepRegion, type Bars } from '../../lib/sequencer/bars.js';
import { readSmf } from '../../lib/midi/smf.js';
import { MIDI_FIXTURES } from '../midi/ground-truth.js';

const run = promisify(execFile);

/** Bar start times computed by an independent script over mido's parse. */
async function midoBars(path: string): Promise<{ starts: number[]; end: number }> {
  const script = String.raw`
import json, sys, mido
mid = mido.MidiFile(sys.argv[1])
tpb = mid.ticks_per_beat
sigs, tempos, end = [(0, 4 * tpb)], [], 0
for track in mid.tracks:
    tick = 0
    for msg in track:
        tick += msg.time
        if msg.type == 'time_signature': sigs.append((tick, msg.numerator * 4 * tpb / msg.denominator))
        if msg.type == 'set_tempo': tempos.append((tick, msg.tempo))
    end = max(end, tick)
sigs.sort(key=lambda s: s[0])
tempos.sort(key=lambda t: t[0])
def seconds(tick):
    total, last_tick, tempo = 0.0, 0, 500000
    for t, new in tempos:
        if t > tick: break
        total += mido.tick2second(t - last_tick, tpb, tempo)
        last_tick, tempo = t, new
    return total + mido.tick2second(tick - last_tick, tpb, tempo)
starts = []
for i, (tick, length) in enumerate(sigs):
    until = min(sigs[i + 1][0] if i + 1 < len(sigs) else float('inf'), max(end, 1))
    while tick < until:
        if not starts or starts[-1] != tick: starts.append(tick)
        tick += length
print(json.dumps({'starts': [seconds(t) for t in starts], 'end': seconds(end)}))
`;
  const { stdout } = await run('/usr/bin/python3', ['-c', script, path]);
  return JSON.parse(stdout) as { starts: number[]; end: number };
}

function assertClose(actual: number[], expected: number[], tolerance: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: bar count`);
  const worst = actual.reduce((max, v, i) => Math.max(max, Math.abs(v - expected[i])), 0);
  assert.ok(worst < tolerance, `${label}: largest difference ${worst}`);
}

/** Every bar's start time. */
function startsOf(bars: Bars): number[] {
  return Array.from({ length: bars.count }, (_, i) => bars.start(i));
}

async function barsOf(name: string) {
  return midiBars(readSmf(await readFile(`${MIDI_FIXTURES}/${name}.mid`)));
}

test('bars of TheEntertainer: 2/4 at 72 BPM (833333 us) over 146640 ticks of 480 ppq, by hand', async () => {
  const bars = await barsOf('TheEntertainer');
  const bar = (2 * 833333) / 1e6;
  assertClose(startsOf(bars), Array.from({ length: Math.ceil(146640 / 960) }, (_, i) => i * bar), 1e-9, 'TheEntertainer');
  assert.ok(Math.abs(bars.end - (146640 / 480) * 0.833333) < 1e-9);
  assert.deepEqual(stepRegion(bars, 4, 2), { from: bars.start(4), to: bars.start(8) });
  assert.ok(Math.abs(stepRegion(bars, 4, 2).from - 4 * bar) < 1e-9);
});

test('bars of 230_bpm_multitrack: 4/4 at 260870 us over 58368 ticks of 96 ppq, by hand', async () => {
  const bars = await barsOf('230_bpm_multitrack');
  assertClose(startsOf(bars), Array.from({ length: 58368 / 384 }, (_, i) => (i * 4 * 260870) / 1e6), 1e-9, '230 bpm');
  assert.equal(stepCount(bars, 8), 19);
  const last = stepRegion(bars, 8, 19);
  assert.ok(Math.abs(last.from - (144 * 4 * 260870) / 1e6) < 1e-9 && Math.abs(last.to - (152 * 4 * 260870) / 1e6) < 1e-9);
});

test('bars of files with many tempo and time signature changes agree with mido', async () => {
  for (const name of ['claire_de_lune', 'concerto_for_orchestra_1', 'bach_846', 'beat']) {
    const expected = await midoBars(`${MIDI_FIXTURES}/${name}.mid`);
    const bars = await barsOf(name);
    assertClose(startsOf(bars), expected.starts, 1e-6, name);
    assert.ok(Math.abs(bars.end - expected.end) < 1e-6, `${name}: end`);
  }
});

test('PCM-only projects get 4/4 at 120 BPM: 2 s bars, the last one short', () => {
  const bars = defaultBars(9);
  assert.deepEqual({ starts: startsOf(bars), end: bars.end }, { starts: [0, 2, 4, 6, 8], end: 9 });
  assert.deepEqual(stepRegion(bars, 2, 3), { from: 8, to: 9 });
  assert.deepEqual(stepRegion(bars, 2, 1), { from: 0, to: 4 });
});

test('a song without MIDI: 2 s bars over its longest input, at least one whole bar (an empty or short song still has step 1 = 0..2)', () => {
  assert.deepEqual(
    [0, 0.5, 2, 5].map((longest) => { const bars = songBars(longest); return { count: bars.count, end: bars.end, step1: stepRegion(bars, 1, 1) }; }),
    [
      { count: 1, end: 2, step1: { from: 0, to: 2 } },
      { count: 1, end: 2, step1: { from: 0, to: 2 } },
      { count: 1, end: 2, step1: { from: 0, to: 2 } },
      { count: 3, end: 5, step1: { from: 0, to: 2 } },
    ],
  );
  assert.deepEqual(stepRegion(songBars(5), 1, 3), { from: 4, to: 5 });
});

test('a step past the end, or a bad step size, is refused with what was expected', () => {
  const bars = defaultBars(9);
  assert.throws(() => stepRegion(bars, 2, 4), { name: 'RangeError', message: 'step 4: expected a step from 1 to 3 (5 bars, 2 per step)' });
  assert.throws(() => stepRegion(bars, 2, 0), { message: 'step 0: expected a step from 1 to 3 (5 bars, 2 per step)' });
  assert.throws(() => stepRegion(bars, 0, 1), { message: 'steps: expected a whole number of bars per step >= 1, got 0' });
});
