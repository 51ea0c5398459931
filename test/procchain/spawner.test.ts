// Processes started from the spawning thread, with posix_spawn (native/spawn) and with Node's spawn (a fork):
// on descriptors this thread made, in groups of their own, with every signal at its default action (this
// process ignores SIGPIPE), their exits reported as the kernel gave them (checked against /proc and the
// shell's own exit status).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { makeSocketPair } from '../../lib/procchain/kernel-pump.js';
import { posixSpawnAvailable } from '../../lib/procchain/native-spawn.js';
import { spawnOffThread, type SpawnOrder } from '../../lib/procchain/spawner.js';

const pair = makeSocketPair();
for (const fd of pair ?? []) closeSync(fd);
const methods: Array<{ how: string; fork: boolean; skip?: string | false }> = [
  { how: 'posix_spawn', fork: false, skip: !posixSpawnAvailable() && 'no posix_spawn with pidfds here (native/spawn)' },
  { how: 'Node\'s spawn', fork: true },
];

/** The process group of `pid` (/proc/PID/stat, the field after the parent's pid). */
async function processGroup(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/** Everything a socket gives until its end. */
async function readAll(s: Socket): Promise<string> {
  const parts: Buffer[] = [];
  for await (const b of s) parts.push(b as Buffer);
  return Buffer.concat(parts).toString();
}

for (const { how, fork, skip } of methods) {
  const start = (order: SpawnOrder) => spawnOffThread({ ...order, fork });

  test(`${how}: a process started on the spawning thread reads and writes the descriptors it was given, leads its own group, and its exit code is the shell's, its signals at their defaults`, { skip: skip || (!pair && 'no addon here') }, async () => {
    const [inOurs, inTheirs] = makeSocketPair()!;
    const [outOurs, outTheirs] = makeSocketPair()!;
    const p = await start({ file: '/bin/sh', args: ['-c', 'read line; echo "got $line from $$"; grep -E "^Sig(Ign|Blk)" /proc/self/status; exit 7'], env: { PATH: '/usr/bin:/bin' }, cwd: '/', stdio: [inTheirs, outTheirs, 'ignore'] });
    closeSync(inTheirs);
    closeSync(outTheirs);
    assert.equal(await processGroup(p.pid), p.pid, 'its own process group');
    const stdin = new Socket({ fd: inOurs, readable: false, writable: true });
    const stdout = new Socket({ fd: outOurs, readable: true, writable: false });
    stdin.end('hello\n');
    // grep's own signals: none blocked, none of 1-31 ignored (this process ignores SIGPIPE). glibc's posix_spawn
    // leaves its two internal signals (32, 33: below SIGRTMIN, not for programs) ignored; a glibc program
    // takes them back as it starts.
    const [said, blocked, ignored] = (await readAll(stdout)).split('\n');
    assert.equal(said, `got hello from ${p.pid}`);
    assert.equal(blocked, 'SigBlk:\t0000000000000000');
    assert.equal(BigInt(`0x${ignored.replace('SigIgn:\t', '')}`) & 0x7fffffffn, 0n, ignored);
    assert.deepEqual(await p.exited, { code: 7, signal: null });
    stdin.destroy();
  });

  test(`${how}: a process killed by a signal is reported with that signal, and many at once each get their own exit`, { skip }, async () => {
    const many = await Promise.all(Array.from({ length: 12 }, (_, i) => start({ file: '/bin/sh', args: ['-c', `exit ${i}`], env: {}, cwd: '/', stdio: ['ignore', 'ignore', 'ignore'] })));
    assert.deepEqual(await Promise.all(many.map((p) => p.exited)), many.map((_, i) => ({ code: i, signal: null })));
    const sleeper = await start({ file: '/bin/sleep', args: ['30'], env: {}, cwd: '/', stdio: ['ignore', 'ignore', 'ignore'] });
    process.kill(-sleeper.pid, 'SIGKILL');
    assert.deepEqual(await sleeper.exited, { code: null, signal: 'SIGKILL' });
  });

  test(`${how}: what cannot be started is refused with the reason: a missing file, a directory that is not there`, { skip }, async () => {
    await assert.rejects(start({ file: '/nonexistent/prog', args: [], env: {}, cwd: '/', stdio: ['ignore', 'ignore', 'ignore'] }), /ENOENT/);
    await assert.rejects(start({ file: '/bin/true', args: [], env: {}, cwd: '/nonexistent-dir', stdio: ['ignore', 'ignore', 'ignore'] }), /ENOENT/);
    // And the spawner still works after refusals.
    const ok = await start({ file: '/bin/true', args: [], env: {}, cwd: '/', stdio: ['ignore', 'ignore', 'ignore'] });
    assert.deepEqual(await ok.exited, { code: 0, signal: null });
  });
}
