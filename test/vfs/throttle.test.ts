import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Throttle } from '../../lib/vfs/throttle.js';
import { sleep } from '../helpers/mount.js';

test('a throttled task runs at once after a quiet spell, once per period while asked, and always after the last ask', async () => {
  const runs: number[] = [];
  const start = performance.now();
  const throttle = new Throttle(async () => void runs.push(performance.now() - start), 40);
  throttle.ask();
  assert.equal(runs.length, 1, 'the first ask runs at once');
  for (let i = 0; i < 5; i++) throttle.ask();
  assert.equal(runs.length, 1, 'asks within the period wait');
  await sleep(80);
  assert.equal(runs.length, 2, 'the asks within the period ran once, at its end');
  assert.ok(runs[1] >= 39, `the second run came a period after the first (${runs[1].toFixed(1)} ms)`);
  // Asked and flushed: runs now, not again at the end of the period.
  throttle.ask();
  throttle.ask();
  await throttle.flush();
  const flushed = runs.length;
  await sleep(80);
  assert.equal(runs.length, flushed, 'a flushed ask does not run again');
  throttle.ask();
  throttle.ask();
  throttle.cancel();
  await sleep(80);
  assert.equal(runs.length, flushed + 1, 'a cancelled ask never runs (the first ran at once)');
});
