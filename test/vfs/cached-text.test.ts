import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CachedText } from '../../lib/vfs/cached-text.js';

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
