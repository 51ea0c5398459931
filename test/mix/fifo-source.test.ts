// FifoSource without an engine: what is taken, in any sizes, is what was pushed, in any sizes, frame-aligned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FifoSource } from '../../lib/mix/fifo-source.js';
import { DEFAULT_FORMAT } from '../../lib/base/pcm-format.js';

/** A small deterministic generator (xorshift), so a failure can be reproduced from its seed. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

test('takes of random sizes from pushes of random sizes give back the pushed bytes in order, whole frames only', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const rnd = random(seed * 2654435761);
    const pushed = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31 + seed) & 0xff));
    const source = new FifoSource('s', DEFAULT_FORMAT);
    const taken: Buffer[] = [];
    let at = 0;
    while (at < pushed.length || source.available() > 0) {
      if (at < pushed.length && rnd() < 0.5) {
        const n = Math.min(pushed.length - at, 1 + Math.floor(rnd() * 5000));
        source.push(pushed.subarray(at, at + n));
        at += n;
      } else {
        const before = source.available();
        const want = Math.floor(rnd() * 6000);
        const got = source.take(want);
        assert.equal(got.length % 4, 0, `seed ${seed}: a take of ${got.length} bytes is not whole frames`);
        assert.equal(got.length, Math.min(before, want - (want % 4)), `seed ${seed}: took ${got.length} of ${want} with ${before} available`);
        taken.push(Buffer.from(got));
      }
      if (at === pushed.length && source.available() === 0) break;
    }
    const all = Buffer.concat(taken);
    assert.ok(all.equals(pushed.subarray(0, all.length)), `seed ${seed}: the bytes taken differ from those pushed`);
    assert.equal(all.length, pushed.length - (pushed.length % 4), `seed ${seed}: every whole frame is taken`);
  }
});
