// /proc stat lines parsed in one place: checked against ps (another reader of the same kernel data) for real
// processes, including one whose command name holds spaces and parentheses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProcStat, readProcStat } from '../../lib/base/proc-stat.js';
import { run } from '../helpers/mount.js';

const linux = process.platform === 'linux';

/** What ps says of a process: state letter, ppid, pgid, sid. */
async function psOf(pid: number): Promise<{ state: string; ppid: number; pgrp: number; session: number }> {
  const { stdout } = await run('ps', ['-o', 'stat=,ppid=,pgid=,sid=', '-p', String(pid)], { timeout: 10_000 });
  const [stat, ppid, pgrp, session] = stdout.trim().split(/\s+/);
  return { state: stat[0], ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session) };
}

test('a process\'s stat fields are what ps reads, whatever its command name holds', { skip: !linux && 'Linux only' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-proc-stat-'));
  // The kernel's command name is the file's name (15 bytes at most): spaces and a ") S 1 2 (" in it.
  const odd = join(dir, 'a) S 1 (b c');
  await copyFile('/bin/sleep', odd);
  const child = spawn(odd, ['30'], { stdio: 'ignore', detached: true });
  try {
    await new Promise((r) => setTimeout(r, 100));
    const stat = await readProcStat(child.pid!);
    assert.ok(stat, 'read');
    const { state, ppid, pgrp, session, startTime } = stat;
    assert.deepEqual({ state, ppid, pgrp, session }, await psOf(child.pid!));
    assert.equal(ppid, process.pid);
    assert.equal(pgrp, child.pid, 'detached: a group of its own');
    assert.match(startTime, /^\d+$/);
    assert.notEqual(startTime, (await readProcStat(process.pid))!.startTime, 'a start time of its own');
    const self = await readProcStat(`${process.pid}/task/${process.pid}`);
    assert.equal(self?.pgrp, (await psOf(process.pid)).pgrp, 'a thread\'s line too');
  } finally {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(await readProcStat(2 ** 22 + 1), undefined, 'no such process');
});

test('text that is not a stat line gives nothing', () => {
  assert.equal(parseProcStat(''), undefined);
  assert.equal(parseProcStat('12 (cat'), undefined);
  assert.equal(parseProcStat('12 (cat) S 1 2'), undefined, 'too few fields');
});
