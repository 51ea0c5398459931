import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from '../../lib/dj/limiter.js';

test('the limiter keeps every sample under the ceiling, ramps into peaks and leaves the rest of the signal alone', () => {
  const rate = 44100;
  const frames = rate * 2;
  const input = [new Float32Array(frames), new Float32Array(frames)];
  for (let i = 0; i < frames; i++) {
    const tone = 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate);
    input[0][i] = tone;
    input[1][i] = -tone;
  }
  // A burst at 2x full scale in the left channel from 0.5 s to 0.52 s.
  for (let i = rate / 2; i < rate / 2 + 882; i++) input[0][i] *= 4;
  const limiter = new Limiter(2, { ceiling: 0.9, lookahead: 88, release: 8820 });
  const out: Float32Array[][] = [];
  for (let start = 0; start < frames; start += 1000) {
    const n = Math.min(1000, frames - start);
    out.push(limiter.push(input.map((ch) => ch.subarray(start, start + n)), n));
  }
  out.push(limiter.flush());
  const joined = [0, 1].map((c) => { const a = new Float32Array(frames); let o = 0; for (const p of out) { a.set(p[c], o); o += p[c].length; } return a; });
  assert.equal(out.reduce((s, p) => s + p[0].length, 0), frames);
  let peak = 0;
  let maxStep = 0;
  for (let i = 1; i < frames; i++) {
    for (const ch of joined) peak = Math.max(peak, Math.abs(ch[i]));
    const g0 = Math.abs(input[1][i - 1]) > 0.1 ? joined[1][i - 1] / input[1][i - 1] : undefined;
    const g1 = Math.abs(input[1][i]) > 0.1 ? joined[1][i] / input[1][i] : undefined;
    if (g0 !== undefined && g1 !== undefined) maxStep = Math.max(maxStep, Math.abs(g1 - g0));
  }
  assert.ok(peak <= 0.9 + 1e-6, `expected no sample over the 0.9 ceiling, got ${peak}`);
  assert.ok(maxStep < 0.02, `expected the gain to move smoothly (both channels get it), got a step of ${maxStep}`);
  // Before the burst's look-ahead and after its release the signal is untouched.
  for (const i of [1000, rate / 2 - 200, rate + rate / 2]) assert.equal(joined[1][i], input[1][i], `frame ${i}`);
});
