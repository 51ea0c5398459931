import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numpy } from '../dsp/numpy-oracle.js';
import { runBin } from '../dsp/run-program.js';
import { ONSETS_AND_PITCHES, type NoteAnalysis } from './synth-oracle.js';

// mido writes a format 1 file (tempo map in track 0 with a change mid-song, notes in two tracks on
// several GM programs) and says when each note starts, by its own tempo arithmetic.
const WRITE_WITH_MIDO = `
import json, sys, mido
mid = mido.MidiFile(type=1, ticks_per_beat=480)
tempo = mido.MidiTrack(); mid.tracks.append(tempo)
tempo.append(mido.MetaMessage('set_tempo', tempo=500000, time=0))
tempo.append(mido.MetaMessage('set_tempo', tempo=375000, time=1920))
tempo.append(mido.MetaMessage('set_tempo', tempo=750000, time=1440))
def notes(track, channel, program, plan):
    track.append(mido.Message('program_change', channel=channel, program=program, time=0))
    now = 0
    for at, note, length in plan:
        track.append(mido.Message('note_on', channel=channel, note=note, velocity=100, time=at - now))
        track.append(mido.Message('note_on', channel=channel, note=note, velocity=0, time=length))
        now = at + length
a = mido.MidiTrack(); mid.tracks.append(a)
notes(a, 0, 0, [(240, 60, 240), (1680, 67, 200), (2400, 72, 300), (4080, 64, 200)])
b = mido.MidiTrack(); mid.tracks.append(b)
notes(b, 1, 80, [(960, 57, 240), (3080, 76, 240), (3600, 69, 200)])
c = mido.MidiTrack(); mid.tracks.append(c)
notes(c, 2, 73, [(4800, 79, 400)])
mid.save(sys.argv[1])
t, starts = 0.0, []
for msg in mido.MidiFile(sys.argv[1]):
    t += msg.time
    if msg.type == 'note_on' and msg.velocity > 0:
        starts.append([t, msg.note, t + 0.25])
print(json.dumps(starts))
`;
import { SHARED_MIDI } from '../helpers/shared.js';

const RATE = 44100;

async function analyse(dir: string, pcm: Buffer, notes: [number, number, number][]): Promise<NoteAnalysis[]> {
  const path = join(dir, 'out.raw');
  await writeFile(path, pcm);
  return numpy<{ notes: NoteAnalysis[] }>(ONSETS_AND_PITCHES, [path, '2', String(RATE), JSON.stringify(notes)]).notes;
}

test('a file written by mido: every note sounds at its pitch and starts within 5 ms of its time in the tempo map', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-synth-'));
  try {
    const midPath = join(dir, 'notes.mid');
    const truth = numpy<[number, number, number][]>(WRITE_WITH_MIDO, [midPath]);
    assert.equal(truth.length, 8);
    const r = await runBin('audiofs-synth', [], { input: await readFile(midPath) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.length % 4, 0);
    for (const n of await analyse(dir, r.stdout, truth)) {
      assert.ok(n.onset !== null && Math.abs(n.onset - n.start) < 0.005, `note ${n.note} due at ${n.start.toFixed(4)} s began at ${n.onset}`);
      assert.ok(n.cents !== null && Math.abs(n.cents) < 10, `note ${n.note}: spectral peak ${n.hz} Hz is ${n.cents} cents off`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bach_format0.mid: notes after a rest start within 5 ms of the pretty_midi ground truth', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-synth-'));
  try {
    const fixtures = SHARED_MIDI;
    const truthText = await readFile(join(fixtures, 'bach_format0.mid.txt'), 'latin1');
    const spans = truthText.split('\n').filter((l) => /^\d+\t/.test(l)).map((l) => l.split('\t').map(Number));
    spans.sort((a, b) => a[1] - b[1]);
    // Notes that begin after 0.2 s with no note sounding: their onset is unambiguous in the mix.
    const chosen: [number, number, number][] = [];
    let lastEnd = -1;
    for (const [note, start, end] of spans) {
      if (start - lastEnd >= 0.2 && start < 40) chosen.push([start, note, end]);
      lastEnd = Math.max(lastEnd, end);
    }
    assert.ok(chosen.length >= 5, `enough isolated notes in the ground truth, got ${chosen.length}`);
    const r = await runBin('audiofs-synth', [], { input: await readFile(join(fixtures, 'bach_format0.mid')) });
    assert.equal(r.code, 0, r.stderr);
    for (const n of await analyse(dir, r.stdout, chosen.slice(0, 12))) {
      assert.ok(n.onset !== null && Math.abs(n.onset - n.start) < 0.005, `note ${n.note} due at ${n.start} s began at ${n.onset}`);
      assert.ok(n.cents !== null && Math.abs(n.cents) < 10, `note ${n.note}: spectral peak ${n.hz} Hz is ${n.cents} cents off`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
