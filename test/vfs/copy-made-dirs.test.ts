import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COPY_VIEW_MS, CopyMadeDirs } from '../../lib/vfs/copy-made-dirs.js';

test('a directory cp made looks empty to it until it creates each file; to others it never does', () => {
  let now = 0;
  const dirs = new CopyMadeDirs(() => now);
  dirs.add('/a', 100, ['in', 'ctl', 'mixer', 'out']);
  assert.equal(dirs.hides('/a', 'in', 100), true);
  assert.equal(dirs.hides('/a', 'notes.txt', 100), false, 'only audiofs\'s files');
  assert.equal(dirs.hides('/b', 'in', 100), false, 'only in the directory it made');
  dirs.created('/a', 'in');
  assert.equal(dirs.hides('/a', 'in', 100), false, 'created: there for it too');
  assert.equal(dirs.hides('/a', 'ctl', 200), false, 'another process sees it');
  assert.equal(dirs.hides('/a', 'ctl', 100), false, 'and from then on cp too (the kernel may hold the name)');
  assert.equal(dirs.hides('/a', 'mixer', 100), true);
  now = COPY_VIEW_MS + 1;
  assert.equal(dirs.hides('/a', 'mixer', 100), false, 'not after COPY_VIEW_MS');
});

test('rmdir forgets the directory and what was below it', () => {
  const dirs = new CopyMadeDirs(() => 0);
  dirs.add('/a', 100, ['in']);
  dirs.add('/a/s', 100, ['cmd']);
  dirs.add('/ab', 100, ['in']);
  dirs.removed('/a');
  assert.equal(dirs.hides('/a', 'in', 100), false);
  assert.equal(dirs.hides('/a/s', 'cmd', 100), false);
  assert.equal(dirs.hides('/ab', 'in', 100), true, 'a sibling whose name starts the same stays');
});
