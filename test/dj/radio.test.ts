import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aubioBeats, midiBeats, renderMidi, sh, writeGroove } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/audiofs-dj', import.meta.url));

/** Runs audiofs-dj with the given stdin, returning its PCM, its stderr lines and exit code. */
async function runDj(stdin: string, args: string[]): Promise<{ pcm: Int16Array; lines: string[]; code: number | null }> {
  const child = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, AUDIOFS_STATE_DIR: '' }, timeout: 120_000 });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => (err += b));
  child.stdin.end(stdin);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const buf = Buffer.concat(out);
  return { pcm: new Int16Array(buf.buffer, buf.byteOffset, buf.length >> 1), lines: err.trim().split('\n'), code };
}

/** How far a time is from the nearest of the beats, in beats (0 on a beat, 0.5 on an off-beat). */
function beatPhase(t: number, beats: number[]): number {
  const i = Math.max(1, Math.min(beats.length - 1, beats.findIndex((b) => b > t)));
  const x = (t - beats[i - 1]) / (beats[i] - beats[i - 1]);
  return Math.min(Math.abs(x), Math.abs(1 - x));
}

function maxJump(pcm: Int16Array, from: number, to: number): number {
  let m = 0;
  for (let i = Math.max(2, from * 2); i < Math.min(pcm.length, to * 2); i++) m = Math.max(m, Math.abs(pcm[i] - pcm[i - 2]));
  return m;
}

test('two timidity tracks become one stream with one crossmatch whose beats stay regular (aubiotrack)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-radio-'));
  try {
    const a = await renderMidi('beat', dir, 35);
    const b = await renderMidi('230_bpm_multitrack', dir, 35);
    const { pcm, lines, code } = await runDj(`${a}\n${b}\n`, ['--cache', join(dir, 'cache')]);
    assert.equal(code, 0);
    const events = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.action), ['fade-in', 'playback', 'crossmatch', 'playback', 'fade-out']);
    const x = events[2];
    assert.equal(x.from, 'beat.wav');
    assert.equal(x.to, '230_bpm_multitrack.wav');
    for (let i = 1; i < events.length; i++) {
      const prev = events[i - 1].action === 'fade-in' ? events[i - 1] : events[i - 1];
      assert.ok(Math.abs(prev.start + prev.duration - events[i].start) < 0.002, `expected ${events[i].action} to start where ${prev.action} ends`);
    }
    const last = events[events.length - 1];
    assert.ok(Math.abs(pcm.length / 2 / 44100 - (last.start + last.duration)) < 0.001, 'expected the stream to end with the fade-out');
    const raw = join(dir, 'out.raw');
    const wav = join(dir, 'out.wav');
    await writeFile(raw, pcm);
    await sh('sox', ['-t', 'raw', '-r', '44100', '-e', 'signed', '-b', '16', '-c', '2', raw, wav]);
    const beats = await aubioBeats(wav);
    const dA = 60 / (await midiBeats('beat', 35)).tempo;
    const dB = 2 * (60 / (await midiBeats('230_bpm_multitrack', 35)).tempo);
    // Up to 2 s after the transition: further on aubiotrack itself loses the 230 BPM track (F 0.47 against the MIDI beats).
    const region = beats.filter((t) => t > x.start - 4 && t < x.start + x.duration + 2);
    console.log(`aubiotrack beats: ${region.map((v) => v.toFixed(2)).join(" ")}`);
    const ibis = region.slice(1).map((t, i) => t - region[i]);
    console.log(`crossmatch ${x.start}..${x.start + x.duration} s; aubiotrack intervals: ${ibis.map((v) => v.toFixed(3)).join(' ')}`);
    assert.ok(ibis.length >= 16, `expected at least 16 beats around the transition, got ${ibis.length}`);
    for (const ibi of ibis) {
      assert.ok(ibi > 0.75 * Math.min(dA, dB) && ibi < 1.25 * Math.max(dA, dB), `expected beat intervals between ${dB.toFixed(3)} and ${dA.toFixed(3)} s (+-25%), got ${ibi.toFixed(3)} (a gap or a jump)`);
    }
    const early = ibis.slice(0, 4).reduce((s, v) => s + v, 0) / 4;
    const late = ibis.slice(-4).reduce((s, v) => s + v, 0) / 4;
    assert.ok(Math.abs(early - dA) < 0.05 * dA && Math.abs(late - dB) < 0.05 * dB, `expected the intervals to go from ${dA} to ${dB}, got ${early.toFixed(3)} to ${late.toFixed(3)}`);
    const frames = pcm.length / 2;
    const typical = maxJump(pcm, 0, frames);
    for (const e of events) {
      for (const t of [e.start, e.start + e.duration]) {
        const at = Math.round(t * 44100);
        const j = maxJump(pcm, at - 441, at + 441);
        assert.ok(j <= typical, `expected no click at ${t}s: jump ${j} against the stream's largest ${typical}`);
      }
    }
    assert.ok(Math.abs(pcm[0]) <= 1 && Math.abs(pcm[pcm.length - 1]) <= 1, 'expected the stream to start and end at silence');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('sine tracks (WAV 44.1 kHz, WAV 48 kHz mono, MP3) join with no sample jump beyond a sine\'s own slope', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-sine-'));
  try {
    const files = [join(dir, 'a.wav'), join(dir, 'b.wav'), join(dir, 'c.mp3')];
    await sh('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', files[0], 'synth', '14', 'sine', '220', 'tremolo', '2', '80', 'gain', '-6']);
    await sh('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', files[1], 'synth', '14', 'sine', '330', 'tremolo', '2.2', '80', 'gain', '-6']);
    const cWav = join(dir, 'c.wav');
    await sh('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', cWav, 'synth', '14', 'sine', '262', 'tremolo', '1.8', '80', 'gain', '-6']);
    await sh('lame', ['--quiet', '-b', '192', cWav, files[2]]);
    const { pcm, lines, code } = await runDj(files.join('\n') + '\n', ['--cache', join(dir, 'cache'), '--beats', '8']);
    assert.equal(code, 0);
    const actions = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l).action);
    assert.equal(actions.filter((a) => a === 'crossmatch' || a === 'crossfade').length, 2, `expected two transitions, got ${actions.join(', ')}`);
    // The steepest slope of a sine of peak A at f Hz is 2 pi f A / rate; two voices add at most sqrt(2) of it.
    const bound = Math.SQRT2 * ((2 * Math.PI * 330 * 32767) / 44100) * 1.1;
    const jump = maxJump(pcm, 0, pcm.length / 2);
    assert.ok(jump < bound, `expected no sample-to-sample jump above ${bound.toFixed(0)}, got ${jump}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a crossmatch into an off-beat-heavy groove starts on a beat of both tracks (MIDI ground truth)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-radio-'));
  try {
    const a = await renderMidi('beat', dir, 30);
    const disco = await writeGroove(join(dir, 'disco.mid'), { beats: 80, tempos: [[0, 112]] });
    const b = await renderMidi(disco, dir, 40);
    const { lines, code } = await runDj(`${a}\n${b}\n`, ['--cache', join(dir, 'cache'), '--beats', '8']);
    assert.equal(code, 0);
    const x = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((e) => e.action === 'crossmatch');
    assert.ok(x, `expected a crossmatch, got ${lines.join('\n')}`);
    // beat.wav plays at its own speed from output time 0, so the transition's start is a time of beat.wav.
    const outgoing = { phase: beatPhase(x.start, (await midiBeats('beat', 30)).beats) };
    const incoming = { phase: beatPhase(x.offset, (await midiBeats(disco, 40)).beats) };
    assert.ok(outgoing.phase < 0.1, `expected the crossmatch to start on a beat of beat.wav, got ${outgoing.phase.toFixed(2)} beat off at ${x.start} s`);
    assert.ok(incoming.phase < 0.1, `expected disco.wav to enter on its beat, got ${incoming.phase.toFixed(2)} beat off at input ${x.offset} s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('out of a track that changed tempo (104 -> 128 BPM) the crossmatch keeps to its new tempo, on the beats of both tracks', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-radio-'));
  try {
    const changing = await writeGroove(join(dir, 'change.mid'), { beats: 96, tempos: [[0, 104], [40, 128]] });
    const steady = await writeGroove(join(dir, 'steady.mid'), { beats: 64, tempos: [[0, 122]] });
    const a = await renderMidi(changing, dir, 45);
    const b = await renderMidi(steady, dir, 30);
    const { lines, code } = await runDj(`${a}\n${b}\n`, ['--cache', join(dir, 'cache'), '--beats', '8']);
    assert.equal(code, 0);
    const x = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((e) => e.action === 'crossmatch' || e.action === 'crossfade');
    assert.equal(x?.action, 'crossmatch', `expected a crossmatch (128 and 122 BPM are close), got ${JSON.stringify(x)}`);
    assert.ok(Math.abs(x.tempoFrom - 128) < 2 && x.beats === 8, `expected 8 beats out of the 128 BPM part, got ${JSON.stringify(x)}`);
    // Eight beats that ramp from 128 to 122 BPM last about 8 x 0.48 s.
    assert.ok(Math.abs(x.duration - 8 * (60 / 125)) < 0.15, `expected about ${(8 * 60 / 125).toFixed(2)} s, got ${x.duration}`);
    assert.ok(beatPhase(x.start, (await midiBeats(changing, 45)).beats) < 0.1, `expected the crossmatch to start on a beat of change.wav (${x.start} s)`);
    assert.ok(beatPhase(x.offset, (await midiBeats(steady, 30)).beats) < 0.1, `expected steady.wav to enter on its beat (${x.offset} s)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
