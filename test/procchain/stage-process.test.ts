// A stage's process: its stdout on a real pipe (export mode), read as the shell's would be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kernelPumpAvailable } from '../../lib/procchain/kernel-pump.js';
import { StageProcess } from '../../lib/procchain/stage-process.js';

const MiB = 1024 * 1024;

for (const method of ['posix', 'fork', 'here']) test(`stdout on a pipe (stages started by ${method}): writes of every size come out whole and in order, read up to a pipe at a time into chunks that stay as they were`, { skip: !kernelPumpAvailable() && 'no pipe addon here' }, async () => {
  // AUDIOFS_SPAWN is read at each start: posix_spawn or a fork on the spawning thread, or execa on this one.
  process.env.AUDIOFS_SPAWN = method;
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-stage-process-'));
  try {
    const file = join(dir, 'data');
    const data = randomBytes(6 * MiB);
    await writeFile(file, data);
    // dd from one shared descriptor reads exactly a block a time from a regular file: writes of 1 byte up to
    // 300,000 bytes, then cat's 128 KiB for the rest.
    const script = 'for bs in 1 7 4096 65536 65537 300000 3; do dd bs=$bs count=3 status=none; done; cat';
    const proc = await StageProcess.spawn({ file: '/bin/sh', args: ['-c', `{ ${script}; } < '${file}'`], env: process.env, cwd: dir, stdoutPipe: MiB });
    const chunks: Buffer[] = [];
    proc.stdout.on('data', (b: Buffer) => {
      chunks.push(b);
      // Now and then nobody reads for a while: the pipe fills, and the next read takes much of it at once.
      if (chunks.length % 3 === 0) {
        proc.stdout.pause();
        void sleep(15).then(() => proc.stdout.resume());
      }
    });
    await new Promise((r) => proc.stdout.once('end', r));
    await proc.exited;
    // Every chunk kept until the end: one that a later read had written over would differ here.
    assert.ok(Buffer.concat(chunks).equals(data), 'the bytes read are the file');
    assert.ok(Math.max(...chunks.map((c) => c.length)) > 64 * 1024, 'some read took more than Node\'s 64 KiB');
    assert.equal(proc.exitCode, 0);
  } finally {
    delete process.env.AUDIOFS_SPAWN;
    await rm(dir, { recursive: true, force: true });
  }
});
