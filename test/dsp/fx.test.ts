import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBin } from './run-program.js';
import { whiteNoise } from './noise.js';

const MONO_8K = { AUDIOFS_RATE: '8000', AUDIOFS_CHANNELS: '1' };
const STEREO = { AUDIOFS_RATE: '44100', AUDIOFS_CHANNELS: '2' };

function samples(b: Buffer): number[] {
  return Array.from(new Int16Array(b.buffer, b.byteOffset, b.length >> 1));
}

test('echo: an impulse comes back every SECONDS, each repeat FEEDBACK times the last, until below one LSB', async () => {
  const frames = 8000;
  const input = Buffer.alloc(frames * 2);
  input.writeInt16LE(20000, 100 * 2);
  const r = await runBin('audiofs-fx', ['-echo', '0.25', '0.6'], { input, env: MONO_8K });
  assert.equal(r.code, 0, r.stderr);
  const out = samples(r.stdout);
  const delay = 0.25 * 8000;
  // y[n] = x[n] + 0.6 y[n - 2000]: 20000 * 0.6^k at 100 + 2000 k, silence elsewhere.
  const repeats = Math.ceil(Math.log(1 / 65536) / Math.log(0.6));
  assert.equal(out.length, frames + repeats * delay, 'the repeats play out after the input ends');
  for (let n = 0; n < out.length; n++) {
    const k = (n - 100) / delay;
    const want = Number.isInteger(k) && k >= 0 ? 20000 * Math.pow(0.6, k) : 0;
    assert.ok(Math.abs(out[n] - want) <= 1, `frame ${n}: got ${out[n]}, expected ${want.toFixed(2)}`);
  }
});

test('gain: -gain DB multiplies every sample by 10^(DB/20)', async () => {
  const input = whiteNoise(44100, 2, 0.4);
  for (const db of [-6, 3.5, -20]) {
    const r = await runBin('audiofs-fx', ['-gain', String(db)], { input, env: STEREO });
    assert.equal(r.code, 0, r.stderr);
    const x = samples(input);
    const y = samples(r.stdout);
    assert.equal(y.length, x.length);
    const g = Math.pow(10, db / 20);
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(y[i] - x[i] * g));
    assert.ok(worst <= 0.5 + 1e-3, `-gain ${db}: worst error ${worst} LSB (rounding only)`);
  }
});

test('pan: P > 0 scales left by cos(P pi/2), P < 0 scales right by cos(-P pi/2), 0 leaves both; effects apply in order', async () => {
  const input = whiteNoise(22050, 2, 0.5);
  const x = samples(input);
  for (const p of [0, 0.5, -0.3, 1, -1]) {
    const r = await runBin('audiofs-fx', ['-pan', String(p), '-gain', '-6'], { input, env: STEREO });
    assert.equal(r.code, 0, r.stderr);
    const y = samples(r.stdout);
    assert.equal(y.length, x.length);
    const left = (p > 0 ? Math.cos((p * Math.PI) / 2) : 1) * Math.pow(10, -6 / 20);
    const right = (p < 0 ? Math.cos((-p * Math.PI) / 2) : 1) * Math.pow(10, -6 / 20);
    for (let i = 0; i < x.length; i += 2) {
      assert.ok(Math.abs(y[i] - x[i] * left) <= 0.5 + 1e-3 && Math.abs(y[i + 1] - x[i + 1] * right) <= 0.5 + 1e-3,
        `pan ${p} frame ${i / 2}: got ${y[i]},${y[i + 1]} from ${x[i]},${x[i + 1]}`);
    }
  }
});

test('reverb: the dry impulse passes, a tail follows and decays, nothing clips', async () => {
  const input = Buffer.alloc(44100 * 4);
  input.writeInt16LE(16000, 0);
  input.writeInt16LE(16000, 2);
  const r = await runBin('audiofs-fx', ['-reverb', '0.7'], { input, env: STEREO });
  assert.equal(r.code, 0, r.stderr);
  const y = samples(r.stdout);
  assert.ok(y.length > input.length / 2, 'the decay plays out after the input');
  assert.deepEqual([y[0], y[1]], [16000, 16000]);
  const energy = (from: number, to: number): number => {
    let e = 0;
    for (let i = from * 2; i < to * 2; i++) e += y[i] * y[i];
    return e;
  };
  const early = energy(2000, 12000);
  const late = energy(40000, 50000);
  assert.ok(early > 0 && late < early / 10, `the tail decays: early ${early}, late ${late}`);
  assert.ok(y.slice(2).every((v) => Math.abs(v) < 16000), 'no sample louder than the impulse');
});
