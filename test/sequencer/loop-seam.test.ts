import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loopPass } from '../../lib/sequencer/loop-seam.js';
import { pcmRegion } from '../../lib/sequencer/pcm-region.js';

const FORMAT = { rate: 44100, channels: 2 };

/** Stereo s16le: 441.7 Hz on the left, 1234.5 Hz on the right, both at 0.8 of full scale. */
function sines(frames: number): Buffer {
  const buf = Buffer.alloc(frames * 4);
  for (let f = 0; f < frames; f++) {
    buf.writeInt16LE(Math.round(26214 * Math.sin((2 * Math.PI * 441.7 * f) / 44100)), f * 4);
    buf.writeInt16LE(Math.round(26214 * Math.sin((2 * Math.PI * 1234.5 * f) / 44100 + 1)), f * 4 + 2);
  }
  return buf;
}

function largestJump(buf: Buffer): number {
  let max = 0;
  for (let i = 4; i < buf.length; i += 2) max = Math.max(max, Math.abs(buf.readInt16LE(i) - buf.readInt16LE(i - 4)));
  return max;
}

test('pcmRegion: frame-aligned byte offsets (hand computation), clamped to the last whole frame', () => {
  assert.deepEqual(pcmRegion(FORMAT, { from: 1, to: 2.5, size: 10_000_000 }), { start: 176400, end: 441000 });
  assert.deepEqual(pcmRegion(FORMAT, { from: 0.00001, size: 1003 }), { start: 0, end: 1000 });
  assert.deepEqual(pcmRegion({ rate: 48000, channels: 1 }, { from: 0.1000105, to: 10, size: 1_000_001 }), { start: 9602, end: 960000 });
  assert.throws(() => pcmRegion(FORMAT, { from: 2, to: 1, size: 10 }), { message: 'pcm region: expected to >= from (2), got 1' });
});

test('a loop over a sine that is not a whole number of periods: no jump at the seam larger than within the signal', () => {
  const signal = sines(3 * 44100);
  const limit = largestJump(signal);
  for (const [from, to] of [[0.5, 1.7373], [0.25, 0.61111], [1.0, 2.00013], [0.3, 1.3]]) {
    const region = pcmRegion(FORMAT, { from, to, size: signal.length });
    const raw = signal.subarray(region.start, region.end);
    const preRoll = signal.subarray(region.start - 4 * 441, region.start);
    const pass = loopPass(raw, FORMAT, { preRoll, fade: 0.005 });
    assert.equal(pass.length, raw.length);
    const looped = Buffer.concat([pass, pass, pass]);
    assert.ok(largestJump(looped) <= limit, `${from}-${to}: seam jump ${largestJump(looped)} > ${limit}`);
    assert.deepEqual(pass.subarray(0, raw.length - 4 * 221), raw.subarray(0, raw.length - 4 * 221), 'only the tail changes');
    if (to !== 1.3) assert.ok(largestJump(Buffer.concat([raw, raw])) > limit * 2, `${from}-${to}: the raw seam clicks`);
  }
});

test('a loop from the very start (no pre-roll) fades out and in, still with no click', () => {
  const signal = sines(44100);
  const raw = signal.subarray(0, 4 * 30_001);
  const pass = loopPass(raw, FORMAT, { fade: 0.003 });
  assert.ok(largestJump(Buffer.concat([pass, pass])) <= largestJump(signal));
  assert.ok(Math.abs(pass.readInt16LE(pass.length - 4)) < 100 && Math.abs(pass.readInt16LE(0)) < 100);
});
