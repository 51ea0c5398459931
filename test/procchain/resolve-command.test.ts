import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RECENT_MS, resolveCommand } from '../../lib/procchain/resolve-command.js';
import { withTempDir } from '../helpers/temp-dir.js';

test('a command is found in PATH order; found again within RECENT_MS without looking, looked for again after', async () => {
  await withTempDir('audiofs-resolve', async (dir) => {
    const [first, second] = [join(dir, 'first'), join(dir, 'second')];
    await mkdir(first);
    await mkdir(second);
    const program = async (at: string) => {
      await writeFile(join(at, 'tool'), '#!/bin/sh\n');
      await chmod(join(at, 'tool'), 0o755);
    };
    await program(second);
    const options = { path: `${first}:${second}`, cwd: dir };
    assert.equal(await resolveCommand('tool', options), join(second, 'tool'));
    await program(first);
    assert.equal(await resolveCommand('tool', options), join(second, 'tool'), 'what was found a moment ago');
    await new Promise((r) => setTimeout(r, RECENT_MS + 100));
    assert.equal(await resolveCommand('tool', options), join(first, 'tool'), 'then PATH order again');
    await assert.rejects(resolveCommand('missing-tool', options), /program 'missing-tool' not found in PATH/);
  });
});
