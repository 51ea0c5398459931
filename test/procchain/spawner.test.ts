// Processes started from the spawning thread, with posix_spawn (native/spawn) and with Node's spawn (a fork):
// on descriptors this thread made, in groups of their own, with every signal at its default action (this
// process ignores SIGPIPE), their exits reported as the kernel gave them (checked against /proc and the
// shell's own exit status).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Socket } from 'node:net';
import { makeSocketPair } from '../../lib/procchain/kernel-pump.js';
import { posixSpawnAvailable } from '../../lib/procchain/native-spawn.js';
import { spawnOffThread, type SpawnOrder } from '../../lib/procchain/spawner.js';

/** The built tree this test runs from (dist/). */
const DIST = join(import.meta.dirname, '../..');
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

/** Runs a Node script (ES module text, this repo's dist importable as DIST) in a child process; its exit and stdout. */
async function nodeScript(source: string, options: { nofile?: number; env?: Record<string, string> } = {}): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-spawner-'));
  try {
    const file = join(dir, 'script.mjs');
    await writeFile(file, source.replaceAll('DIST', pathToFileURL(DIST).href));
    const argv = options.nofile === undefined ? [process.execPath, file] : ['prlimit', `--nofile=${options.nofile}`, process.execPath, file];
    const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.once('close', (c, s) => r([c, s])));
    return { code, signal, stdout, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Whether `pid` exists (a zombie too). */
const exists = (pid: number) => readFile(`/proc/${pid}/stat`, 'utf8').then(() => true, () => false);

for (const { how, fork, skip } of methods) {
  const start = (order: SpawnOrder) => spawnOffThread({ ...order, fork });

  test(`${how}: the process exits with its own code while a stage it started still runs (the spawning thread torn down with its watches), and the stage runs on`, { skip }, async () => {
    const r = await nodeScript(`
      import { spawnOffThread } from 'DIST/lib/procchain/spawner.js';
      const p = await spawnOffThread({ file: '/bin/sleep', args: ['30'], env: {}, cwd: '/', stdio: ['ignore', 'ignore', 'ignore'], fork: ${fork} });
      console.log(p.pid);
      process.exit(3);
    `);
    const pid = Number(r.stdout.trim());
    try {
      assert.deepEqual([r.code, r.signal], [3, null], r.stderr);
      assert.ok(await exists(pid), 'the stage outlives the process that started it, as a detached child does');
    } finally {
      if (pid > 0) process.kill(-pid, 'SIGKILL');
    }
  });

  test(`${how}: a process started while this thread makes socket pairs inherits none of them`, { skip: skip || (!pair && 'no addon here') }, async () => {
    let making = true;
    const burst = (async () => {
      while (making) {
        for (let i = 0; i < 50; i++) for (const fd of makeSocketPair()!) closeSync(fd);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const started: number[] = [];
    try {
      for (let i = 0; i < 60; i++) {
        const p = await start({ file: '/bin/sleep', args: ['5'], env: {}, cwd: '/', stdio: ['ignore', 'ignore', 'ignore'] });
        started.push(p.pid);
      }
    } finally {
      making = false;
      await burst;
    }
    try {
      for (const pid of started) {
        // Its stdio is /dev/null: a socket among its descriptors is one of the pairs made meanwhile.
        const fds = await readdir(`/proc/${pid}/fd`);
        const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
        assert.deepEqual(links.filter((l) => l.startsWith('socket:')), [], `process ${pid}: ${links.join(', ')}`);
      }
    } finally {
      for (const pid of started) process.kill(-pid, 'SIGKILL');
    }
  });

  test(`${how}: found as execvp finds it: a bare name in the child's PATH, with argv[0] as given; a script without '#!' run by /bin/sh`, { skip }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audiofs-spawner-'));
    try {
      const sleeper = await start({ file: 'sleep', args: ['5'], env: { PATH: `${dir}::/usr/bin:/bin` }, cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] });
      assert.equal(await readFile(`/proc/${sleeper.pid}/cmdline`, 'utf8'), ['sleep', '5', ''].join('\0'));
      process.kill(-sleeper.pid, 'SIGKILL');
      assert.deepEqual(await sleeper.exited, { code: null, signal: 'SIGKILL' });
      await writeFile(join(dir, 'plain'), 'exit 42\n', { mode: 0o755 });
      const plain = await start({ file: 'plain', args: [], env: { PATH: `/nonexistent:${dir}` }, cwd: '/', stdio: ['ignore', 'ignore', 'ignore'] });
      assert.deepEqual(await plain.exited, { code: 42, signal: null });
      await assert.rejects(start({ file: 'no-such-command', args: [], env: { PATH: dir }, cwd: '/', stdio: ['ignore', 'ignore', 'ignore'] }), /ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('posix_spawn: with no descriptor left for its pidfd, the start is refused and the process neither runs on nor stays a zombie', { skip: !posixSpawnAvailable() && 'no posix_spawn with pidfds here (native/spawn)' }, async () => {
  const r = await nodeScript(`
    import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
    import { spawnOffThread } from 'DIST/lib/procchain/spawner.js';
    // The spawning thread made first (a worker needs descriptors of its own).
    await (await spawnOffThread({ file: '/bin/true', args: [], env: {}, cwd: '/', stdio: ['ignore', 'ignore', 'ignore'] })).exited;
    // Its pidfd is closed on the worker's next turn, after the exit was reported: let it go first.
    await new Promise((r) => setTimeout(r, 200));
    const held = [];
    try { for (;;) held.push(openSync('/dev/null', 'r')); } catch {}
    let error = '';
    try {
      await spawnOffThread({ file: '/bin/sleep', args: ['30'], env: {}, cwd: '/', stdio: ['ignore', 'ignore', 'ignore'] });
    } catch (err) { error = err.message; }
    for (const fd of held) closeSync(fd);
    const children = readdirSync('/proc/self/task').flatMap((t) => readFileSync('/proc/self/task/' + t + '/children', 'utf8').trim().split(' ').filter(Boolean));
    console.log(JSON.stringify({ error, children }));
  `, { nofile: 64 });
  assert.equal(r.code, 0, r.stderr);
  const { error, children } = JSON.parse(r.stdout) as { error: string; children: string[] };
  assert.match(error, /pidfd_open: EMFILE/);
  assert.deepEqual(children, [], 'no child left: not running, not a zombie');
});

test('where the spawning thread cannot be made (refused at once, or failing as it starts), stages start from the calling thread: the output and exit as ever', { skip: !pair && 'no addon here' }, async () => {
  for (const how of ['throws', 'fails']) {
    const r = await nodeScript(`
      import { EventEmitter } from 'node:events';
      import { syncBuiltinESMExports } from 'node:module';
      import workerThreads from 'node:worker_threads';
      workerThreads.Worker = class extends EventEmitter {
        constructor() {
          super();
          if ('${how}' === 'throws') throw new Error('no threads here');
          setImmediate(() => { this.emit('error', new Error('could not start')); this.emit('exit', 1); });
        }
        postMessage() {}
        ref() {}
        unref() {}
      };
      syncBuiltinESMExports();
      const { StageProcess } = await import('DIST/lib/procchain/stage-process.js');
      for (let i = 0; i < 3; i++) {
        const p = await StageProcess.spawn({ file: '/bin/sh', args: ['-c', 'echo started $0; exit 5', 'run' + i], env: { PATH: '/bin' }, cwd: '/' });
        let out = '';
        p.stdout.on('data', (b) => (out += b));
        await new Promise((r) => p.stdout.once('end', r));
        await p.exited;
        console.log(out.trim(), p.exitCode);
      }
    `);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'started run0 5\nstarted run1 5\nstarted run2 5\n', how);
  }
});
