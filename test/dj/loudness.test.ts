import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSource } from '../../lib/dj/decode.js';
import { measureLoudness, musicEnd } from '../../lib/dj/loudness.js';
import { renderMidi, sh, writeGroove } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/audiofs-dj', import.meta.url));

/** ffmpeg's EBU R128 integrated loudness of a file, or of `length` seconds of it from `start`. */
async function ffmpegLoudness(file: string, window?: { start: number; length: number }): Promise<number> {
  const cut = window ? ['-ss', String(window.start), '-t', String(window.length)] : [];
  const stderr = await new Promise<string>((resolve, reject) => {
    const child = spawn('ffmpeg', ['-nostats', '-hide_banner', ...cut, '-i', file, '-af', 'ebur128', '-f', 'null', '-'], { timeout: 60_000 });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(err) : reject(new Error(`ffmpeg exited ${code}: ${err.slice(-500)}`))));
  });
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const m = /I:\s+(-?[\d.]+|-inf) LUFS/.exec(summary);
  if (!m) throw new Error(`no integrated loudness in ffmpeg's summary: ${summary}`);
  return Number(m[1]);
}

async function ourReading(file: string) {
  const src = await decodeSource(await readFile(file), file);
  return measureLoudness({ format: { rate: src.sampleRate, channels: src.channels.length }, channels: src.channels, frames: src.channels[0].length });
}

test('the BS.1770 meter reads what ffmpeg -af ebur128 reads (44.1 and 48 kHz, mono and stereo, gated)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-loudness-'));
  try {
    const files: string[] = [];
    const synth = async (name: string, rate: number, channels: number, ...effect: string[]): Promise<void> => {
      const f = join(dir, name);
      await sh('sox', ['-n', '-r', String(rate), '-c', String(channels), '-b', '16', f, 'synth', ...effect]);
      files.push(f);
    };
    await synth('sine997.wav', 44100, 2, '10', 'sine', '997', 'gain', '-20');
    await synth('pink48.wav', 48000, 2, '10', 'pinknoise', 'gain', '-15');
    await synth('bass-and-hiss.wav', 44100, 2, '20', 'sine', '60', 'whitenoise', 'tremolo', '3', '90', 'gain', '-10');
    await synth('mono48.wav', 48000, 1, '8', 'sine', '3000', 'gain', '-30');
    // 10 s of pink noise, then the same 40 dB down: the relative gate leaves the quiet half out.
    const quiet = join(dir, 'quiet.wav');
    const gated = join(dir, 'gated.wav');
    await sh('sox', [files[1], quiet, 'gain', '-40']);
    await sh('sox', [files[1], quiet, gated]);
    files.push(gated);
    for (const f of files) {
      const theirs = await ffmpegLoudness(f);
      const ours = (await ourReading(f)).integrated;
      assert.ok(Math.abs(ours - theirs) <= 0.1, `${f}: expected ffmpeg's ${theirs} LUFS (+-0.1), got ${ours.toFixed(2)}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('where the music ends: in a fade-out, before the trailing silence', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-loudness-'));
  try {
    const f = join(dir, 'fade.wav');
    // 20 s of noise, the last 8 s faded out (sox's quarter-sine fade), then 4 s of silence.
    await sh('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', f, 'synth', '20', 'pinknoise', 'gain', '-12', 'fade', 'q', '0', '20', '8', 'pad', '0', '4']);
    const end = musicEnd(await ourReading(f), 24);
    // The 3 s window that ends 5 s into the quarter-sine fade is 2 LU down on the rest.
    assert.ok(end >= 15 && end <= 17.5, `expected the music to end between 15 and 17.5 s (the fade runs from 12 to 20), got ${end}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('tracks 20 LU apart come out at one loudness, and so do the transitions (ffmpeg ebur128 on the stream)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-loudness-'));
  try {
    // Steady grooves (a loudness range of a few LU) 20 LU apart, one fading out over its last 10 s.
    const groove = (bpm: number): Promise<string> => writeGroove(join(dir, `disco${bpm}.mid`), { beats: 64, tempos: [[0, bpm]] });
    const sources = [
      { mid: 'beat', gain: -18, fadeOut: 0 },
      { mid: await groove(104), gain: 0, fadeOut: 0 },
      { mid: await groove(112), gain: -12, fadeOut: 10 },
      { mid: 'beat', gain: -3, fadeOut: 0 },
      { mid: await groove(120), gain: -6, fadeOut: 0 },
    ];
    const files: string[] = [];
    const before: number[] = [];
    for (const [i, s] of sources.entries()) {
      const wav = await renderMidi(s.mid, dir, 32);
      const file = join(dir, `t${i}.wav`);
      await sh('sox', [wav, file, 'gain', String(s.gain), ...(s.fadeOut ? ['fade', 'q', '0', '32', String(s.fadeOut)] : [])]);
      files.push(file);
      before.push(await ffmpegLoudness(file));
    }
    const child = spawn(BIN, ['--cache', join(dir, 'cache'), '--beats', '8', '--loudness', '-20'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, AUDIOFS_STATE_DIR: '' }, timeout: 120_000 });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b));
    child.stdin.end(files.join('\n') + '\n');
    assert.equal(await new Promise((resolve) => child.on('close', resolve)), 0);
    const raw = join(dir, 'out.raw');
    const wav = join(dir, 'out.wav');
    await writeFile(raw, Buffer.concat(out));
    await sh('sox', ['-t', 'raw', '-r', '44100', '-e', 'signed', '-b', '16', '-c', '2', raw, wav]);
    const events = err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const plays = events.filter((e) => e.action === 'playback');
    const transitions = events.filter((e) => e.action === 'crossmatch' || e.action === 'crossfade');
    assert.equal(plays.length, 5);
    assert.equal(transitions.length, 4);
    const after: number[] = [];
    for (const e of plays) after.push(await ffmpegLoudness(wav, { start: e.start, length: e.duration }));
    const during: number[] = [];
    for (const e of transitions) during.push(await ffmpegLoudness(wav, { start: e.start, length: e.duration }));
    const spread = (xs: number[]): number => Math.max(...xs) - Math.min(...xs);
    console.log(`tracks before: ${before.map((v) => v.toFixed(1)).join(', ')} LUFS (spread ${spread(before).toFixed(1)} LU)`);
    console.log(`tracks in the stream: ${after.map((v) => v.toFixed(1)).join(', ')} LUFS (spread ${spread(after).toFixed(1)} LU)`);
    console.log(`transitions: ${during.map((v) => v.toFixed(1)).join(', ')} LUFS; whole stream ${(await ffmpegLoudness(wav)).toFixed(1)} LUFS`);
    for (const [i, v] of after.entries()) assert.ok(Math.abs(v + 20) <= 1, `expected track ${i} at -20 LUFS (+-1), got ${v}`);
    for (const [i, v] of during.entries()) assert.ok(Math.abs(v + 20) <= 1.5, `expected transition ${i} (${transitions[i].from} -> ${transitions[i].to}) at -20 LUFS (+-1.5), got ${v}`);
    assert.ok(spread(after) <= 1.5, `expected the tracks within 1.5 LU of each other, got ${spread(after).toFixed(2)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
