// `node dist/bench/run.js dj`: analysis and rendering speed of audiofs-dj against aubiotrack on the same files.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_FORMAT } from '../lib/base/pcm-format.js';
import { analyzePcm } from '../lib/dj/analyze.js';
import { decodeTrack } from '../lib/dj/decode.js';
import { SHARED_MIDI } from '../test/helpers/shared.js';

const MIDI = SHARED_MIDI;
const BIN = fileURLToPath(new URL('../../bin/audiofs-dj', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dj-bench-'));
const seconds = (t0: number): number => (performance.now() - t0) / 1000;
try {
  console.log('| file | length s | decode s | analysis s | ours x real time | aubiotrack s | aubiotrack x real time |');
  console.log('|---|---|---|---|---|---|---|');
  const files: string[] = [];
  for (const mid of ['TheEntertainer', '230_bpm_multitrack', 'beat']) {
    const wav = join(dir, `${mid}.wav`);
    execFileSync('timidity', ['-Ow', '-s', '44100', '-o', wav, join(MIDI, `${mid}.mid`)], { stdio: 'ignore' });
    const mp3 = join(dir, `${mid}.mp3`);
    execFileSync('lame', ['--quiet', '-b', '192', wav, mp3]);
    files.push(wav, mp3);
  }
  for (const file of files) {
    let t0 = performance.now();
    const pcm = await decodeTrack(readFileSync(file), DEFAULT_FORMAT, file);
    const decode = seconds(t0);
    t0 = performance.now();
    await analyzePcm(pcm);
    const analysis = seconds(t0);
    t0 = performance.now();
    execFileSync('aubiotrack', ['-i', file], { stdio: ['ignore', 'ignore', 'ignore'] });
    const aubio = seconds(t0);
    const length = pcm.frames / pcm.format.rate;
    const name = file.split('/').pop();
    console.log(`| ${name} | ${length.toFixed(1)} | ${decode.toFixed(2)} | ${analysis.toFixed(2)} | ${(length / (decode + analysis)).toFixed(0)}x | ${aubio.toFixed(2)} | ${(length / aubio).toFixed(0)}x |`);
  }
  const queue = files.filter((f) => f.endsWith('.mp3')).join('\n') + '\n';
  const t0 = performance.now();
  const r = spawnSync(BIN, ['--cache', join(dir, 'cache')], { input: queue, maxBuffer: 1 << 30, env: { ...process.env, AUDIOFS_STATE_DIR: '' } });
  const wall = seconds(t0);
  const out = r.stdout.length / 4 / 44100;
  console.log(`\nRadio, three MP3s end to end (decode, analyse, stretch, mix): ${out.toFixed(1)} s of output in ${wall.toFixed(2)} s = ${(out / wall).toFixed(0)}x real time (exit ${r.status}).`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
