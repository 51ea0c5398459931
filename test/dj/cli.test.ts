import { waitFor } from '../helpers/mount.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderMidi, sh } from './helpers.js';
import { playInRealTime } from './realtime-reader.js';

const BIN = fileURLToPath(new URL('../../../bin/audiofs-dj', import.meta.url));

interface Run { stdout: Buffer; stderr: string; code: number | null }

/** Every run is bounded: a child still alive after a minute is killed (and its test fails on the exit code). */
const LIMIT_MS = 60_000;

function start(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, AUDIOFS_STATE_DIR: '', ...env }, timeout: LIMIT_MS });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => (err += b));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ stdout: Buffer.concat(out), stderr: err, code })));
  return { child, done, stderr: () => err };
}

async function runDj(args: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const r = start(args, env);
  r.child.stdin.end(stdin);
  return r.done;
}

async function sine(dir: string, name: string, seconds: number): Promise<string> {
  const file = join(dir, name);
  await sh('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', file, 'synth', String(seconds), 'sine', '220', 'tremolo', '2', '80', 'gain', '-6']);
  return file;
}

test('--help, and bad arguments exit 2 with a usage line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-cli-'));
  try {
    const link = join(dir, 'dj');
    await symlink(BIN, link);
    const help = spawn(link, ['--help'], { timeout: LIMIT_MS });
    let text = '';
    help.stdout.on('data', (b: Buffer) => (text += b));
    assert.equal(await new Promise((resolve) => help.on('close', resolve)), 0);
    assert.match(text, /^usage: audiofs-dj /);
    const bad = await runDj(['--beats', 'lots']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--beats: expected a whole number from 2 to 256, got 'lots'\nusage: audiofs-dj /);
    const unknown = await runDj(['--tempo']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown argument '--tempo'/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--analyze prints JSON, caches it by sha256 and reads the cache on the second run', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-cli-'));
  try {
    const wav = await renderMidi('beat', dir, 30);
    const cache = join(dir, 'cache');
    const first = await runDj(['--analyze', wav, '--cache', cache]);
    assert.equal(first.code, 0);
    const a = JSON.parse(first.stdout.toString());
    assert.equal(a.cached, false);
    assert.ok(Math.abs(a.tempo - 100) / 100 < 0.02, `expected beat.mid's 100 BPM, got ${a.tempo}`);
    assert.ok(a.beats.length > 40 && typeof a.loudness === 'number' && a.chroma[0].length === 12 && a.timbre[0].length === 12);
    const hash = (await sh('sha256sum', [wav])).split(' ')[0];
    const entry = join(cache, `${hash}.json`);
    const stored = JSON.parse(await readFile(entry, 'utf8'));
    stored.tempo = 123.45;
    await writeFile(entry, JSON.stringify(stored));
    const second = await runDj(['--analyze', wav, '--cache', cache]);
    const b = JSON.parse(second.stdout.toString());
    assert.equal(b.cached, true);
    assert.equal(b.tempo, 123.45);
    const state = join(dir, 'state');
    await runDj(['--analyze', wav, '--cache', cache], '', { AUDIOFS_STATE_DIR: state });
    assert.ok(JSON.parse(await readFile(join(state, 'dj-cache', `${hash}.json`), 'utf8')).tempo > 90, 'expected AUDIOFS_STATE_DIR/dj-cache to take precedence');
    const missing = await runDj(['--analyze', join(dir, 'nope.wav'), '--cache', cache]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.wav': cannot read: ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('unreadable and undecodable tracks are skipped; one good track fades in, plays, fades out, exit 0', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-cli-'));
  try {
    const bad = join(dir, 'notes.txt');
    await writeFile(bad, 'not audio at all');
    const good = await sine(dir, 'good.wav', 10);
    const r = await runDj(['--cache', join(dir, 'cache')], `${bad}\n${join(dir, 'missing.mp3')}\n${good}\n`);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /skipping '.*notes\.txt': expected a WAV \(RIFF\.\.\.\.WAVE\), MP3 \(ID3 or frame sync\), FLAC \(fLaC\) or Ogg Vorbis \(OggS\) file, got 6e6f7420/);
    assert.match(r.stderr, /skipping '.*missing\.mp3': cannot read: ENOENT/);
    const actions = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    assert.deepEqual(actions.map((e) => e.action), ['fade-in', 'playback', 'fade-out']);
    const pcm = new Int16Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length >> 1);
    const end = actions[2].start + actions[2].duration;
    assert.ok(Math.abs(pcm.length / 2 / 44100 - end) < 0.001);
    const tail = pcm.subarray(pcm.length - 200);
    assert.ok(Math.max(...tail.map(Math.abs)) < 40, 'expected the fade-out to end near silence');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('with one track and stdin open it says "waiting for a new track" and keeps playing; closing stdin ends it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-cli-'));
  try {
    const one = await sine(dir, 'one.wav', 8);
    const r = start(['--cache', join(dir, 'cache'), '--beats', '4']);
    r.child.stdin.write(`${one}\n`);
    await waitFor(() => r.stderr().includes('waiting for a new track'), '"waiting for a new track"');
    await waitFor(() => /"to":"one.wav".*\n.*playback/s.test(r.stderr().split('waiting')[1] ?? ''), 'the track playing on while it waits');
    r.child.stdin.end();
    const done = await r.done;
    assert.equal(done.code, 0);
    const actions = done.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l).action);
    assert.equal(actions[0], 'fade-in');
    assert.equal(actions[actions.length - 1], 'fade-out');
    assert.ok(done.stdout.length / 4 / 44100 > 8, 'expected it to keep playing past the single track\'s length');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a closed stdout (EPIPE) ends it quietly', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-cli-'));
  try {
    const one = await sine(dir, 'one.wav', 8);
    const r = start(['--cache', join(dir, 'cache')]);
    r.child.stdin.write(`${one}\n`);
    await new Promise((res) => r.child.stdout.once('data', res));
    r.child.stdout.destroy();
    const done = await r.done;
    assert.equal(done.code, 0);
    assert.doesNotMatch(done.stderr, /Error|EPIPE/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** A sine with a tremolo of `hz` (a pulse of 60 x hz BPM). */
async function pulse(dir: string, name: string, seconds: number, hz: number, pitch = 220): Promise<string> {
  const file = join(dir, name);
  await sh('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', file, 'synth', String(seconds), 'sine', String(pitch), 'tremolo', String(hz), '80', 'gain', '-6']);
  return file;
}

test('--analyze of a 6-minute track through a pipe prints the whole JSON line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-cli-'));
  try {
    const long = await pulse(dir, 'long.wav', 360, 2);
    const piped = spawn('sh', ['-c', '"$0" --analyze "$1" --cache "$2" | cat', BIN, long, join(dir, 'cache')], { timeout: LIMIT_MS, env: { ...process.env, AUDIOFS_STATE_DIR: '' } });
    let text = '';
    piped.stdout.on('data', (b: Buffer) => (text += b));
    assert.equal(await new Promise((resolve) => piped.on('close', resolve)), 0);
    assert.ok(text.length > 65536, `expected more than one pipe buffer (65536 bytes) of JSON, got ${text.length}`);
    assert.ok(text.endsWith('}\n'), `expected the JSON line to end with }\\n, got ...${JSON.stringify(text.slice(-20))}`);
    const a = JSON.parse(text);
    assert.equal(a.duration, 360);
    assert.ok(Math.abs(a.tempo - 120) < 1.5, `expected the 2 Hz tremolo's 120 BPM, got ${a.tempo}`);
    assert.ok(Math.abs(a.beats.length - 720) < 10, `expected about 720 beats, got ${a.beats.length}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a silent file (digital zero, or dither only) has no tempo and no beats', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-cli-'));
  try {
    const zero = join(dir, 'zero.wav');
    const dither = join(dir, 'dither.wav');
    await sh('sox', ['-D', '-n', '-r', '44100', '-c', '2', '-b', '16', zero, 'trim', '0', '10']);
    await sh('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', dither, 'synth', '10', 'whitenoise', 'gain', '-95']);
    for (const file of [zero, dither]) {
      const r = await runDj(['--analyze', file, '--cache', join(dir, 'cache')]);
      assert.equal(r.code, 0);
      const a = JSON.parse(r.stdout.toString());
      assert.deepEqual({ tempo: a.tempo, beats: a.beats, duration: a.duration }, { tempo: null, beats: [], duration: 10 }, file);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--beats 2 and --beats 3 crossmatch over 2 and 3 beats', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-cli-'));
  try {
    const a = await pulse(dir, 'a.wav', 12, 2);
    const b = await pulse(dir, 'b.wav', 12, 2.1, 330);
    for (const beats of [2, 3]) {
      const r = await runDj(['--cache', join(dir, 'cache'), '--beats', String(beats)], `${a}\n${b}\n`);
      assert.equal(r.code, 0);
      const events = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      assert.deepEqual(events.map((e) => e.action), ['fade-in', 'playback', 'crossmatch', 'playback', 'fade-out']);
      assert.equal(events[2].beats, beats);
      assert.ok(Math.abs(events[2].duration / beats - (60 / 120 + 60 / 126) / 2) < 0.03, `expected ${beats} beats of about 0.49 s, got ${events[2].duration} s`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('three tracks queued: no "waiting for a new track" before the third one is taken, then it waits and keeps playing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-cli-'));
  try {
    const a = await pulse(dir, 'a.wav', 90, 2);
    const b = await pulse(dir, 'b.wav', 20, 2.05, 330);
    const c = await pulse(dir, 'c.wav', 20, 2.1, 262);
    const r = start(['--cache', join(dir, 'cache')]);
    r.child.stdin.write(`${a}\n${b}\n${c}\n`);
    for (let i = 0; i < 600 && !r.stderr().includes('waiting for a new track'); i++) await new Promise((res) => setTimeout(res, 50));
    for (let i = 0; i < 600 && !r.stderr().includes('"from":"c.wav","to":"c.wav"'); i++) await new Promise((res) => setTimeout(res, 50));
    r.child.stdin.end();
    const done = await r.done;
    assert.equal(done.code, 0);
    const lines = done.stderr.trim().split('\n');
    const waiting = lines.indexOf('waiting for a new track');
    // c.wav is taken from the queue when the transition into it is planned, after the one into b.wav is heard.
    const intoB = lines.findIndex((l) => l.includes('"to":"b.wav"'));
    assert.ok(intoB > 0 && waiting > intoB, `expected "waiting" only once c.wav is taken, after the transition into b.wav (line ${intoB}), got it at line ${waiting}:\n${lines.slice(0, 8).join('\n')}`);
    const actions = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    assert.ok(actions.filter((e) => e.action === 'crossmatch' && e.from === 'c.wav' && e.to === 'c.wav').length >= 1, 'expected c.wav to go on (into itself) while stdin was open');
    assert.equal(actions[actions.length - 1].action, 'fade-out');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a "skip" line on the input starts the transition to the next track at the next beat', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-cli-'));
  try {
    const a = await pulse(dir, 'a.wav', 30, 2);
    const b = await pulse(dir, 'b.wav', 30, 2.1, 330);
    const r = start(['--cache', join(dir, 'cache'), '--beats', '4', '--fade-in', '0.5']);
    r.child.stdin.write(`${a}\n${b}\n`);
    let limit = 30;
    const played = playInRealTime(r.child.stdout, { bytesPerSecond: 44100 * 4, prebuffer: 0.5, buffer: 0.5, speed: 1, limit: () => limit });
    // A skip before b.wav is loaded is refused with a message: then ask again (a busy machine loads slowly).
    for (let i = 0; i < 10 && !/"action":"skip"/.test(r.stderr()); i++) {
      await new Promise((res) => setTimeout(res, 1500));
      r.child.stdin.write('skip\n');
    }
    for (let i = 0; i < 100 && !/"action":"crossmatch"/.test(r.stderr()); i++) await new Promise((res) => setTimeout(res, 50));
    limit = 0;
    await played;
    r.child.stdout.destroy();
    r.child.kill();
    const done = await r.done;
    const events = done.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const skip = events.find((e) => e.action === 'skip');
    const x = events.find((e) => e.action === 'crossmatch' || e.action === 'crossfade');
    assert.ok(skip && x, `expected a skip and a transition, got ${done.stderr}`);
    assert.equal(x.from, 'a.wav');
    assert.equal(x.to, 'b.wav');
    // a.wav's own outro starts 27.8 s in; the skip brings it to the next beat after the lead (1 s).
    assert.ok(skip.start < 20, `expected the skip within 20 s of output, got ${skip.start}`);
    assert.ok(x.start - skip.start > 1 && x.start - skip.start < 1.6, `expected the transition a lead (1 s) and at most a beat after the skip, got ${x.start} after ${skip.start}`);
    assert.equal(x.start, skip.transition);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
