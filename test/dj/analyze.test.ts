import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzePcm } from '../../lib/dj/analyze.js';
import { decodeTrack } from '../../lib/dj/decode.js';
import { DEFAULT_FORMAT } from '../../lib/base/pcm-format.js';
import { aubioBeats, aubioTempo, beatScores, midiBeats, renderMidi, tempoError, withTempoChange, writeGroove } from './helpers.js';

interface Case {
  /** A shared fixture's name, or a groove of our own (written by writeGroove). */
  mid: string;
  groove?: { beats: number; tempos: Array<[number, number]> };
  /** A sudden tempo change put into the fixture (withTempoChange). */
  change?: { atBeat: number; bpm: number };
  seconds: number;
  /** Least beat F-measure (+-70 ms, phase-sensitive). */
  minF: number;
}

const CASES: Case[] = [
  { mid: 'TheEntertainer', seconds: 35, minF: 0.9 },
  { mid: 'beat', seconds: 35, minF: 0.9 },
  // Megalovania at 230 BPM: a syncopated melody alone for 8 s, then bass, drums from 15.6 s.
  { mid: '230_bpm_multitrack', seconds: 35, minF: 0.9 },
  // Soft kick and snare on the beat against loud off-beat hi-hat, tambourine, octave bass and stabs.
  { mid: 'disco', groove: { beats: 80, tempos: [[0, 120]] }, seconds: 40, minF: 0.9 },
  // Sudden tempo changes: the ragtime from 72 to 92 BPM after 40 beats, the groove from 104 to 128 BPM.
  { mid: 'TheEntertainer', change: { atBeat: 40, bpm: 92 }, seconds: 50, minF: 0.9 },
  { mid: 'disco', groove: { beats: 96, tempos: [[0, 104], [40, 128]] }, seconds: 45, minF: 0.9 },
];

test('beats and tempo of timidity renders match the MIDI tempo maps, on the beat, side by side with aubiotrack', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-analyze-'));
  try {
    const checks: Array<() => void> = [];
    const rows: string[] = [
      '| track | truth BPM | ours BPM | ours F | ours phase | aubio BPM | aubio F | aubio phase | ours x real time |',
      '|---|---|---|---|---|---|---|---|---|',
    ];
    for (const c of CASES) {
      const name = `${c.mid}${c.change ? `-to-${c.change.bpm}` : ''}${c.groove ? `-${c.groove.tempos.map((t) => t[1]).join('-')}` : ''}`;
      const mid = c.groove
        ? await writeGroove(join(dir, `${name}.mid`), c.groove)
        : c.change ? await withTempoChange(c.mid, join(dir, `${name}.mid`), c.change) : c.mid;
      const wav = await renderMidi(mid, dir, c.seconds);
      const truth = await midiBeats(mid, c.seconds);
      const t0 = performance.now();
      const pcm = await decodeTrack(await readFile(wav), DEFAULT_FORMAT, wav);
      const ours = await analyzePcm(pcm);
      const speed = c.seconds / ((performance.now() - t0) / 1000);
      const aubio = beatScores(await aubioBeats(wav), truth.beats);
      const aTempo = await aubioTempo(wav);
      const s = beatScores(ours.beats, truth.beats);
      // With a tempo change, the tempo reported is the one the track keeps longest: either is right.
      const tempos = c.change ? [truth.beats.length > 1 ? 60 / (truth.beats[1] - truth.beats[0]) : truth.tempo, c.change.bpm] : c.groove && c.groove.tempos.length > 1 ? c.groove.tempos.map((t) => t[1]) : [truth.tempo];
      const e = Math.min(...tempos.map((t) => tempoError(ours.tempo ?? 0, t)));
      rows.push(`| ${name} | ${truth.tempo.toFixed(1)} | ${(ours.tempo ?? 0).toFixed(1)} | ${s.f.toFixed(3)} | ${s.phase.toFixed(2)} | ${aTempo.toFixed(1)} | ${aubio.f.toFixed(3)} | ${aubio.phase.toFixed(2)} | ${speed.toFixed(0)}x |`);
      checks.push(() => {
        assert.ok(s.f >= c.minF, `${name}: expected a beat F-measure of at least ${c.minF}, got ${s.f.toFixed(3)}`);
        assert.ok(s.phase <= 0.1, `${name}: expected the beats on the beat (median phase under 0.1 beat), got ${s.phase.toFixed(2)}`);
        assert.ok(e <= 0.02, `${name}: expected the tempo within 2% of ${tempos.map((t) => t.toFixed(1)).join(' or ')} (x1, x2, x0.5), got ${ours.tempo}`);
        assert.ok(s.f >= aubio.f - 0.05, `${name}: expected F-measure no worse than aubio's ${aubio.f.toFixed(3)} - 0.05, got ${s.f.toFixed(3)}`);
        assert.ok(speed >= 10, `${name}: expected decoding and analysis at least 10x real time, got ${speed.toFixed(1)}x`);
      });
    }
    console.log(rows.join('\n'));
    for (const check of checks) check();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
