// The launcher's command: this process's Node, the node options of bin/audiofs's first line, the launcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launcherCommand } from '../../lib/cli/launcher.js';
import { ROOT } from '../helpers/mount.js';
import { withTempDir } from '../helpers/temp-dir.js';

test('bin/audiofs runs with this Node and the options of its first line', () => {
  const launcher = join(ROOT, 'bin/audiofs');
  assert.deepEqual(launcherCommand(launcher), [process.execPath, '--initial-old-space-size=64', '--single-threaded-gc', launcher]);
});

test('a launcher with no options runs as it is; one whose first line is not `#!/usr/bin/env [-S] node [OPTIONS]` is refused, naming what was expected', async () => {
  await withTempDir('audiofs-launcher', async (dir) => {
    const plain = join(dir, 'plain');
    await writeFile(plain, '#!/usr/bin/env node\n');
    assert.deepEqual(launcherCommand(plain), [process.execPath, plain], 'no options is a launcher too');
    const bad = join(dir, 'bad');
    await writeFile(bad, '#!/bin/sh\nexec node "$@"\n');
    assert.throws(() => launcherCommand(bad), /expected '#!\/usr\/bin\/env -S node OPTIONS'/);
  });
});
