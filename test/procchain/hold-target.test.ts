import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HoldTarget } from '../../lib/procchain/hold-target.js';
import type { Target } from '../../lib/procchain/target.js';

/** A target that keeps what it is given, in order. */
function collector(): Target & { got: string[]; ended: boolean } {
  const c = {
    got: [] as string[],
    ended: false,
    write: (b: Buffer) => { c.got.push(b.toString()); return true; },
    whenWritable: () => Promise.resolve(),
    end: () => { c.ended = true; },
  };
  return c;
}

test('a hold hands on what the leaving stage gave last (ahead), then what it held, then everything after, in order', () => {
  const hold = new HoldTarget();
  // Upstream writes while the splice is made: held, and told to wait.
  assert.equal(hold.write(Buffer.from('u1')), false);
  assert.equal(hold.write(Buffer.from('u2')), false);
  // The stopped stage's last output comes after, yet goes first: it is taken at once.
  assert.equal(hold.ahead.write(Buffer.from('s1')), true);
  assert.equal(hold.ahead.write(Buffer.from('s2')), true);
  const next = collector();
  hold.release(next);
  assert.deepEqual(next.got, ['s1', 's2', 'u1', 'u2']);
  hold.write(Buffer.from('u3'));
  hold.ahead.write(Buffer.from('s3'));
  assert.deepEqual(next.got, ['s1', 's2', 'u1', 'u2', 'u3', 's3']);
});

test('a process replacing the stage gets only what was held; what the old one gave last goes to the stage after it', () => {
  const hold = new HoldTarget();
  hold.write(Buffer.from('u1'));
  hold.ahead.write(Buffer.from('s1'));
  const replacement = collector();
  const after = collector();
  hold.release(replacement, after);
  hold.write(Buffer.from('u2'));
  hold.ahead.write(Buffer.from('s2'));
  assert.deepEqual(replacement.got, ['u1', 'u2']);
  assert.deepEqual(after.got, ['s1', 's2']);
});

test('the end of the upstream is held too, and passed on after the held data; a waiting writer is woken by the release', async () => {
  const hold = new HoldTarget();
  hold.write(Buffer.from('u1'));
  let woken = false;
  const waiting = hold.whenWritable().then(() => { woken = true; });
  hold.end();
  await new Promise((r) => setImmediate(r));
  assert.equal(woken, false, 'a writer waits while the hold holds');
  const next = collector();
  hold.release(next);
  await waiting;
  assert.deepEqual(next.got, ['u1']);
  assert.equal(next.ended, true);
});

test('what the leaving stage gives ahead is held in memory up to a bound; past it its writer waits for the release', async () => {
  const hold = new HoldTarget();
  const mib = Buffer.alloc(1 << 20);
  let accepted = 0;
  while (hold.ahead.write(mib)) accepted++;
  assert.equal(accepted, 3, 'the fourth MiB reaches the bound');
  let woken = false;
  const waiting = hold.ahead.whenWritable().then(() => { woken = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(woken, false);
  const next = collector();
  hold.release(next);
  await waiting;
  assert.equal(next.got.length, 4, 'all of it handed on at the release');
});
