// One mount per state directory: a live holder refuses a second, a dead one (kill -9, pid reused) does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AudiofsError } from '../../lib/base/errors.js';
import { LOCK_FILE, lockStateDir } from '../../lib/state/index.js';
import { withTempDir } from '../helpers/temp-dir.js';

function withRoot(body: (dir: string) => Promise<void>): Promise<void> {
  return withTempDir('audiofs-lock', body);
}

test('a live holder refuses a second taker with EBUSY naming it; release lets the next one in', async () => {
  await withRoot(async (root) => {
    // The holder is another live process (a sleeping child): its pid and start time are written as a mount's would be.
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const held = await lockStateDir(root, child.pid!);
      await assert.rejects(lockStateDir(root), (err: AudiofsError) => {
        assert.equal(err.code, 'EBUSY');
        assert.match(err.detail, new RegExp(`in use by audiofs process ${child.pid}`));
        return true;
      });
      await held.release();
      const mine = await lockStateDir(root);
      assert.match(await readFile(join(root, LOCK_FILE), 'utf8'), new RegExp(`^${process.pid} \\d+\\n$`));
      await mine.release();
      await assert.rejects(readFile(join(root, LOCK_FILE)), { code: 'ENOENT' });
    } finally {
      child.kill('SIGKILL');
    }
  });
});

test('a lock left by a process killed with -9 is taken over; so is one whose pid now belongs to another process', async () => {
  await withRoot(async (root) => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await lockStateDir(root, child.pid!);
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    const mine = await lockStateDir(root);
    await mine.release();
    // This test's own pid, with a start time it never had: a holder that died and whose pid came back.
    await writeFile(join(root, LOCK_FILE), `${process.pid === 1 ? 2 : 1} 1\n`);
    const again = await lockStateDir(root);
    await again.release();
  });
});

test('release leaves a lock that is no longer ours alone', async () => {
  await withRoot(async (root) => {
    const mine = await lockStateDir(root);
    await writeFile(join(root, LOCK_FILE), '999999 7\n');
    await mine.release();
    assert.equal(await readFile(join(root, LOCK_FILE), 'utf8'), '999999 7\n');
  });
});
