import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sh } from './helpers.js';
import { playInRealTime } from './realtime-reader.js';

const BIN = fileURLToPath(new URL('../../../bin/audiofs-dj', import.meta.url));

/** A pulse (a sine with a tremolo of `hz`) written by sox at a rate, then encoded by `encode` when given. */
async function track(dir: string, name: string, o: { seconds: number; rate: number; hz: number; pitch: number }): Promise<string> {
  const file = join(dir, name);
  const wav = name.endsWith('.wav') ? file : join(dir, `${name}.wav`);
  await sh('sox', ['-n', '-r', String(o.rate), '-c', '2', '-b', '16', wav, 'synth', String(o.seconds), 'sine', String(o.pitch), 'sine', String(o.pitch * 1.5), 'tremolo', String(o.hz), '90', 'gain', '-8']);
  if (name.endsWith('.mp3')) await sh('lame', ['--quiet', '-b', '192', wav, file]);
  else if (!name.endsWith('.wav')) await sh('sox', [wav, file]);
  return file;
}

test('a reader playing in real time over a queue of 32/44.1/48 kHz WAV, MP3, FLAC and Ogg (and an 11-minute 48 kHz track) never starves', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-realtime-'));
  try {
    const files = [
      await track(dir, 'w32.wav', { seconds: 8, rate: 32000, hz: 2, pitch: 220 }),
      await track(dir, 'm44.mp3', { seconds: 8, rate: 44100, hz: 2.05, pitch: 247 }),
      await track(dir, 'f48.flac', { seconds: 8, rate: 48000, hz: 2.1, pitch: 262 }),
      await track(dir, 'o32.ogg', { seconds: 8, rate: 32000, hz: 2, pitch: 294 }),
      await track(dir, 'w48.wav', { seconds: 8, rate: 48000, hz: 1.95, pitch: 330 }),
      await track(dir, 'o48.ogg', { seconds: 8, rate: 48000, hz: 2.05, pitch: 349 }),
      await track(dir, 'long48.flac', { seconds: 660, rate: 48000, hz: 2, pitch: 196 }),
    ];
    const child = spawn(BIN, ['--cache', join(dir, 'cache'), '--beats', '4', '--fade-in', '0.5'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, AUDIOFS_STATE_DIR: '' }, timeout: 180_000 });
    const closed = new Promise<[number | null, string | null]>((resolve) => child.on('close', (code, signal) => resolve([code, signal])));
    let stderr = '';
    let limit = Infinity;
    child.stderr.on('data', (b: Buffer) => {
      stderr += b;
      const into = stderr.split('\n').slice(0, -1).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((e) => e.to === 'long48.flac' && e.action !== 'fade-in');
      if (into) limit = Math.min(limit, into.start + into.duration + 3);
    });
    child.stdin.write(files.join('\n') + '\n');
    const report = await playInRealTime(child.stdout, { bytesPerSecond: 44100 * 4, prebuffer: 0.5, buffer: 0.5, speed: 1, limit: () => limit });
    child.stdout.destroy();
    child.kill();
    const [code, signal] = await closed;
    assert.equal(signal, 'SIGTERM', `expected audiofs-dj to be still playing when the reader stopped, got exit code ${code}:\n${stderr}`);
    const actions = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    // A track that is not loaded in time is not waited for: the one playing goes on into itself meanwhile.
    const names = actions.filter((e) => (e.action === 'crossmatch' || e.action === 'crossfade') && e.from !== e.to).map((e) => e.to);
    console.log(`played ${report.played.toFixed(1)} s: ${report.underruns} underruns, ${report.starved.toFixed(3)} s starved, longest ${report.longest.toFixed(3)} s; transitions into ${names.join(', ')}`);
    assert.deepEqual(names, ['m44.mp3', 'f48.flac', 'o32.ogg', 'w48.wav', 'o48.ogg', 'long48.flac']);
    assert.ok(report.played >= limit - 0.1, `expected to play into the long track (${limit.toFixed(1)} s), played ${report.played.toFixed(1)} s`);
    assert.deepEqual({ underruns: report.underruns, starved: Number(report.starved.toFixed(3)) }, { underruns: 0, starved: 0 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
