import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzePcm } from '../../lib/dj/analyze.js';
import { decodeTrack } from '../../lib/dj/decode.js';
import { DEFAULT_FORMAT } from '../../lib/base/pcm-format.js';
import { aubioBeats, aubioTempo, beatFMeasure, midiBeats, renderMidi, tempoError } from './helpers.js';

const SECONDS = 35;
// Minimum beat F-measures: the 230 BPM drums put their strongest onsets on off-beat eighths, where aubio fails too.
const MIN_F: Record<string, number> = { TheEntertainer: 0.9, beat: 0.9, '230_bpm_multitrack': 0.5 };
const TRACKS = Object.keys(MIN_F);

test('beats and tempo of timidity renders match the MIDI tempo maps, side by side with aubiotrack', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-analyze-'));
  try {
    const checks: Array<() => void> = [];
    const rows: string[] = ['| track | truth BPM | ours BPM | ours tempo err | ours F | aubio BPM | aubio tempo err | aubio F | ours x real time |', '|---|---|---|---|---|---|---|---|---|'];
    for (const mid of TRACKS) {
      const wav = await renderMidi(mid, dir, SECONDS);
      const truth = await midiBeats(mid, SECONDS);
      const t0 = performance.now();
      const pcm = await decodeTrack(await readFile(wav), DEFAULT_FORMAT, wav);
      const ours = await analyzePcm(pcm);
      const speed = SECONDS / ((performance.now() - t0) / 1000);
      const aubio = await aubioBeats(wav);
      const aTempo = await aubioTempo(wav);
      const f = beatFMeasure(ours.beats, truth.beats);
      const fa = beatFMeasure(aubio, truth.beats);
      const e = tempoError(ours.tempo ?? 0, truth.tempo);
      const ea = tempoError(aTempo, truth.tempo);
      rows.push(`| ${mid} | ${truth.tempo.toFixed(2)} | ${(ours.tempo ?? 0).toFixed(2)} | ${(e * 100).toFixed(2)}% | ${f.toFixed(3)} | ${aTempo.toFixed(2)} | ${(ea * 100).toFixed(2)}% | ${fa.toFixed(3)} | ${speed.toFixed(0)}x |`);
      checks.push(() => {
        assert.ok(f >= MIN_F[mid], `${mid}: expected a beat F-measure of at least ${MIN_F[mid]}, got ${f.toFixed(3)}`);
        assert.ok(e <= 0.02, `${mid}: expected the tempo within 2% of ${truth.tempo} (x1, x2, x0.5), got ${ours.tempo}`);
        assert.ok(f >= fa - 0.05, `${mid}: expected F-measure no worse than aubio's ${fa.toFixed(3)} - 0.05, got ${f.toFixed(3)}`);
        assert.ok(speed >= 10, `${mid}: expected decoding and analysis at least 10x real time, got ${speed.toFixed(1)}x`);
      });
    }
    console.log(rows.join('\n'));
    for (const check of checks) check();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
