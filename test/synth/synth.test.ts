import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Synth } from '../../lib/synth/synth.js';
import { floatToS16 } from '../../lib/dsp/pcm-codec.js';
import { LOAD_PCM, numpy } from '../dsp/numpy-oracle.js';

const FORMAT = { rate: 44100, channels: 2 };

function render(synth: Synth, seconds: number): Float32Array {
  const frames = Math.round(seconds * FORMAT.rate);
  const out = new Float32Array(frames * 2);
  synth.render(out, frames);
  return out;
}

async function peakHz(samples: Float32Array): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-synth-unit-'));
  try {
    const path = join(dir, 'x.raw');
    await writeFile(path, floatToS16(samples));
    return numpy<number>(`${LOAD_PCM}\nprint(json.dumps(peak_hz(load(sys.argv[1], 2).mean(axis=1), 44100)))`, [path]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function rms(x: Float32Array): number {
  let e = 0;
  for (const v of x) e += v * v;
  return Math.sqrt(e / Math.max(1, x.length));
}

test('pitch bend follows the RPN 0 bend range: +12 semitones at full bend turns A3 into A4', async () => {
  const synth = new Synth({ format: FORMAT });
  synth.handle(0xc0, 80, 0);
  for (const [cc, v] of [[101, 0], [100, 0], [6, 12], [38, 0]]) synth.handle(0xb0, cc, v);
  synth.handle(0xe0, 0x7f, 0x7f);
  synth.handle(0x90, 57, 100);
  render(synth, 0.05);
  const hz = await peakHz(render(synth, 0.3));
  assert.ok(Math.abs(1200 * Math.log2(hz / 440)) < 5, `bent A3 sounds at ${hz} Hz, expected 440`);
  synth.handle(0xe0, 0x00, 0x40);
  render(synth, 0.02);
  const centred = await peakHz(render(synth, 0.3));
  assert.ok(Math.abs(1200 * Math.log2(centred / 220)) < 5, `centred bend gives ${centred} Hz, expected 220`);
});

test('the sustain pedal holds released notes until it is lifted; then they fade out', () => {
  const synth = new Synth({ format: FORMAT });
  synth.handle(0xc0, 16, 0); // organ: sustains while held
  synth.handle(0xb0, 64, 127);
  synth.handle(0x90, 60, 100);
  render(synth, 0.1);
  synth.handle(0x80, 60, 0);
  const held = rms(render(synth, 0.5).subarray(-4410 * 2));
  assert.ok(held > 0.01, `still sounding under the pedal (rms ${held})`);
  synth.handle(0xb0, 64, 0);
  render(synth, 0.5);
  assert.equal(synth.activeVoices, 0);
});

test('at most 64 voices sound: the oldest are stolen and fade out quickly', () => {
  const synth = new Synth({ format: FORMAT });
  synth.handle(0xc0, 16, 0);
  for (let i = 0; i < 80; i++) synth.handle(0x90 | (i % 9), 30 + i, 80);
  assert.equal(synth.activeVoices, 80, 'the 16 stolen voices are still fading');
  render(synth, 0.05);
  assert.equal(synth.activeVoices, 64);
});

test('no clicks: note-on and note-off ramp, so no sample step is larger than in the steady tone', () => {
  const synth = new Synth({ format: FORMAT });
  synth.handle(0xc0, 72, 0); // pipe: a triangle
  const silence = render(synth, 0.01);
  synth.handle(0x90, 81, 127);
  const start = render(synth, 0.3);
  synth.handle(0x80, 81, 0);
  const end = render(synth, 0.3);
  const maxStep = (x: Float32Array, from: number, to: number): number => {
    let m = 0;
    for (let i = from + 2; i < to; i += 2) m = Math.max(m, Math.abs(x[i] - x[i - 2]));
    return m;
  };
  assert.ok(silence.every((v) => v === 0));
  const steady = maxStep(start, 0.2 * 44100 * 2, start.length);
  assert.ok(steady > 0);
  assert.ok(maxStep(start, 0, 0.005 * 44100 * 2) <= steady * 1.05, 'the attack steps no larger than the tone');
  assert.ok(maxStep(end, 0, end.length) <= steady * 1.05, 'the release steps no larger than the tone');
  assert.equal(synth.activeVoices, 0);
});
