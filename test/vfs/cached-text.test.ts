import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CachedText } from '../../lib/vfs/cached-text.js';
import { SnapshotFile } from '../../lib/vfs/snapshot-file.js';

test('CachedText is made once per version, and again past its age when it has one', () => {
  let version = 1;
  let now = 1000;
  let made = 0;
  const text = new CachedText(() => `text ${++made}`, { version: () => version, maxAgeMs: 25, now: () => now });
  assert.equal(text.get().toString(), 'text 1');
  assert.equal(text.size(), 6);
  now += 24;
  assert.equal(text.get().toString(), 'text 1', 'the same version within its age: not made again');
  version++;
  assert.equal(text.get().toString(), 'text 2', 'a new version: made again');
  now += 25;
  assert.equal(text.get().toString(), 'text 3', 'too old: made again');
  text.invalidate();
  assert.equal(text.get().toString(), 'text 4');
  assert.equal(made, 4);
  const forever = new CachedText(() => Buffer.from(`b${++made}`), { version: () => version, now: () => now });
  now += 1e9;
  assert.equal(forever.get().toString(), 'b5');
  assert.equal(forever.get().toString(), 'b5', 'without an age only the version counts');
});

test('CachedText with a cost factor is kept that many times as long as it took to make, past its age', () => {
  let now = 0;
  let made = 0;
  const text = new CachedText(() => {
    made++;
    now += 10; // each making takes 10 ms
    return 'x';
  }, { version: () => 1, maxAgeMs: 25, costFactor: 4, now: () => now });
  text.get();
  now += 39;
  text.get();
  assert.equal(made, 1, 'kept 4 x 10 ms, past its 25 ms');
  now += 1;
  text.get();
  assert.equal(made, 2);
});

test('a SnapshotFile reports the size of the text its last open took while that is open, of the text now otherwise', async () => {
  let n = 0;
  let version = 0;
  const file = new SnapshotFile(() => 'x'.repeat(++n), { version: () => version });
  const mode = { read: true, write: false, nonblocking: false, nofollow: false, append: false, truncate: false };
  assert.equal(file.size(), 1);
  // An open right after a stat reads the text that stat saw (tar stats, opens and reads that many bytes).
  const a = await file.open(mode);
  assert.equal(a.size?.(), 1);
  assert.equal(file.size(), 1, 'by path, while open: what the open took');
  assert.equal((await a.read(0, 100)).length, 1);
  // After a change of the project, an open takes the text now.
  version++;
  const b = await file.open(mode);
  assert.equal(b.size?.(), 2, 'the stat\'s text is not read after a change');
  assert.equal(file.size(), 2, 'by path: the last open\'s text while one is open');
  await b.release();
  await b.release();
  assert.equal(file.size(), 2, 'a released twice counts once: a is still open');
  await a.release();
  assert.equal(file.size(), 3, 'none open: the text now');
});
