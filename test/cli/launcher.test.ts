// The launcher's command: this process's Node, the node options of bin/audiofs's first line, the launcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launcherCommand } from '../../lib/cli/launcher.js';
import { mountAudiofs, ROOT } from '../helpers/mount.js';
import { withTempDir } from '../helpers/temp-dir.js';
import { threadsOf } from '../helpers/threads.js';

test('bin/audiofs runs with this Node and the environment and options of its first line', () => {
  const launcher = join(ROOT, 'bin/audiofs');
  assert.deepEqual(launcherCommand(launcher), ['/usr/bin/env', 'UV_THREADPOOL_SIZE=16', process.execPath, '--v8-pool-size=1', '--initial-old-space-size=128', '--max-semi-space-size=1', '--single-threaded-gc', '--no-lazy', '--always-sparkplug', '--interrupt-budget=202752', launcher]);
});

test('the environment of the first line is there before Node starts: the mount runs 16 libuv pool threads, not 4', async () => {
  const m = await mountAudiofs();
  try {
    // The pool's threads all wait on one condition variable when idle: the largest group of threads asleep on
    // one. One may be busy at a given look (the mount's first save), so it looks again until all are asleep.
    let largest = 0;
    let seen = '';
    const deadline = Date.now() + 5000;
    do {
      const waits = new Map<string, number>();
      for (const t of await threadsOf(m.proc.pid!)) if (t.cond) waits.set(t.cond, (waits.get(t.cond) ?? 0) + 1);
      largest = Math.max(...waits.values());
      seen = JSON.stringify([...waits]);
      assert.ok(largest <= 16, `more than 16 threads asleep on one condition variable: ${seen}`);
      if (largest < 16) await new Promise((r) => setTimeout(r, 100));
    } while (largest < 16 && Date.now() < deadline);
    assert.equal(largest, 16, `threads asleep on one condition variable, by variable: ${seen}`);
  } finally {
    await m.close();
  }
});

test('a launcher with no options runs as it is; one whose first line is not `#!/usr/bin/env [-S] node [OPTIONS]` is refused, naming what was expected', async () => {
  await withTempDir('audiofs-launcher', async (dir) => {
    const plain = join(dir, 'plain');
    await writeFile(plain, '#!/usr/bin/env node\n');
    assert.deepEqual(launcherCommand(plain), [process.execPath, plain], 'no options is a launcher too');
    const bad = join(dir, 'bad');
    await writeFile(bad, '#!/bin/sh\nexec node "$@"\n');
    assert.throws(() => launcherCommand(bad), /expected '#!\/usr\/bin\/env -S \[NAME=VALUE \.\.\.\] node OPTIONS'/);
  });
});
