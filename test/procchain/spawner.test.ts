// Processes started from the spawning thread: on descriptors this thread made, in groups of their own, with
// their exits reported as the kernel gave them (checked against /proc and the shell's own exit status).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { makeSocketPair } from '../../lib/procchain/kernel-pump.js';
import { spawnOffThread } from '../../lib/procchain/spawner.js';

const skip = makeSocketPair() === undefined && 'no addon here';

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

test('a process started on the spawning thread reads and writes the descriptors it was given, leads its own group, and its exit code is the shell\'s', { skip }, async () => {
  const [inOurs, inTheirs] = makeSocketPair()!;
  const [outOurs, outTheirs] = makeSocketPair()!;
  const p = await spawnOffThread({ file: '/bin/sh', args: ['-c', 'read line; echo "got $line from $$"; exit 7'], env: { PATH: '/usr/bin:/bin' }, cwd: '/', stdio: [inTheirs, outTheirs, 'ignore'] });
  closeSync(inTheirs);
  closeSync(outTheirs);
  assert.equal(await processGroup(p.pid), p.pid, 'its own process group');
  const stdin = new Socket({ fd: inOurs, readable: false, writable: true });
  const stdout = new Socket({ fd: outOurs, readable: true, writable: false });
  stdin.end('hello\n');
  assert.equal(await readAll(stdout), `got hello from ${p.pid}\n`);
  assert.deepEqual(await p.exited, { code: 7, signal: null });
  stdin.destroy();
});

test('a process killed by a signal is reported with that signal, and many at once each get their own exit', { skip }, async () => {
  const many = await Promise.all(Array.from({ length: 12 }, (_, i) => spawnOffThread({ file: '/bin/sh', args: ['-c', `exit ${i}`], env: {}, cwd: '/', stdio: ['ignore', 'ignore', 'ignore'] })));
  assert.deepEqual(await Promise.all(many.map((p) => p.exited)), many.map((_, i) => ({ code: i, signal: null })));
  const sleeper = await spawnOffThread({ file: '/bin/sleep', args: ['30'], env: {}, cwd: '/', stdio: ['ignore', 'ignore', 'ignore'] });
  process.kill(-sleeper.pid, 'SIGKILL');
  assert.deepEqual(await sleeper.exited, { code: null, signal: 'SIGKILL' });
});

test('what cannot be started is refused with the reason: a missing file, a directory that is not there', { skip }, async () => {
  await assert.rejects(spawnOffThread({ file: '/nonexistent/prog', args: [], env: {}, cwd: '/', stdio: ['ignore', 'ignore', 'ignore'] }), /ENOENT/);
  await assert.rejects(spawnOffThread({ file: '/bin/true', args: [], env: {}, cwd: '/nonexistent-dir', stdio: ['ignore', 'ignore', 'ignore'] }), /ENOENT/);
  // And the spawner still works after refusals.
  const ok = await spawnOffThread({ file: '/bin/true', args: [], env: {}, cwd: '/', stdio: ['ignore', 'ignore', 'ignore'] });
  assert.deepEqual(await ok.exited, { code: 0, signal: null });
});
