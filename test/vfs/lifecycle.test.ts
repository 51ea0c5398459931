import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, open, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { alive, clientsOf, exists, mountAudiofs, run, soxSignal, waitFor, type TestMount, openReader } from '../helpers/mount.js';

interface StageStatus { name: string; pid: number | null; state: string; exit_code?: number | null; signal?: string | null; stopped_by_audiofs?: boolean }
interface Status { transport: string; chains: Record<string, { state: string; stages: StageStatus[] }> }

async function status(m: TestMount): Promise<Status> {
  return yaml.load(await readFile(m.path('status'), 'utf8')) as Status;
}

/** Every pid /status shows now. */
async function pidsOf(m: TestMount): Promise<number[]> {
  const s = await status(m);
  return Object.values(s.chains).flatMap((c) => c.stages.map((st) => st.pid)).filter((p): p is number => p !== null);
}

/** A reader started as a separate process; resolves with what it read, its exit code and signal. */
function reader(args: string[]): { child: ChildProcess; sofar: () => Buffer; done: Promise<{ out: Buffer; code: number | null; signal: string | null }> } {
  const child = spawn(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const parts: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => parts.push(b));
  const done = new Promise<{ out: Buffer; code: number | null; signal: string | null }>((r) => child.once('close', (code, signal) => r({ out: Buffer.concat(parts), code, signal })));
  return { child, sofar: () => Buffer.concat(parts), done };
}

/** Wall time of an async action, in ms. */
async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

/**
 * Bounds for behaviour, not speed: an operation that hangs would wait for the 15 s FUSE timeout or for
 * ever, so 5 s (10 s for a whole process) holds on a loaded 2-core machine and still catches a hang.
 * Speed figures for the same operations are in bench/tools.bench.ts.
 */
const HANG_MS = 5000;
const PROCESS_HANG_MS = 10_000;

/** Resolves to `p`'s value, or to a message saying what is still waiting after `ms`. */
function within<T>(p: Promise<T>, what: string, ms = PROCESS_HANG_MS): Promise<T | string> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<string>((r) => { timer = setTimeout(() => r(`${what} still waiting after ${ms} ms`), ms); })])
    .finally(() => clearTimeout(timer));
}

/** Waits until process `pid` sits in read(2) (x86_64 syscall 0): the reader is really blocked on the mount. */
async function blockedInRead(pid: number, what: string): Promise<void> {
  await waitFor(async () => (await readFile(`/proc/${pid}/syscall`, 'utf8').catch(() => '')).startsWith('0 '), `${what} to block in read(2)`);
}

/** What an O_NONBLOCK reader gets now. */
async function readNow(path: string): Promise<Buffer> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try { return await fh.readFile(); } finally { await fh.close(); }
}

/** Asserts that none of these processes remain (not even as zombies) and that no client of the mount remains. */
async function noneLeft(m: TestMount, pids: number[]): Promise<void> {
  await waitFor(async () => (await Promise.all(pids.map(alive))).every((a) => !a), `pids ${pids.join(' ')} to go`, 5000);
  for (const p of pids) assert.equal(await exists(`/proc/${p}`), false, `pid ${p} is gone, not a zombie`);
  assert.deepEqual(await clientsOf(m.tmp), []);
}

test('crashing clients show their exit code or signal and their stderr; a chain playing beside them is not disturbed', async () => {
  const m = await mountAudiofs();
  try {
    const input = await readFile(await soxSignal(m.tmp, 'in.raw', ['3', 'sine', '440']));
    await m.ctl('three passthrough | exits-with-3');
    await m.ctl('segv passthrough | crash-segv');
    await m.ctl('good passthrough | passthrough');
    for (const c of ['three', 'segv', 'good']) await writeFile(m.path(c, 'in'), input);
    const out = (await openReader(m.path('good/out'))).all;
    await m.ctl('play');
    const got = await out;
    assert.equal(got.length, input.length);
    assert.ok(got.equals(input), 'the good chain\'s output is its input, complete');
    await waitFor(async () => {
      const s = await status(m);
      return s.chains.three.stages[1].state === 'exited 3' && s.chains.segv.stages[1].state === 'killed by SIGSEGV'
        && s.chains.good.stages.every((st) => st.pid === null);
    }, 'both crashes in /status, and the good chain\'s stages gone');
    const s = await status(m);
    assert.deepEqual(s.chains.three.stages[1], { ...s.chains.three.stages[1], pid: null, state: 'exited 3', exit_code: 3, signal: null });
    assert.deepEqual(s.chains.segv.stages[1], { ...s.chains.segv.stages[1], pid: null, state: 'killed by SIGSEGV', exit_code: null, signal: 'SIGSEGV', stopped_by_audiofs: false });
    // The good chain's stages ended by themselves at the end of their input: they exited 0, nobody killed them.
    for (const st of s.chains.good.stages) assert.deepEqual([st.state, st.exit_code, st.signal], ['exited 0', 0, null]);
    assert.equal(await readFile(m.path('three/exits-with-3/err'), 'utf8'), 'exits-with-3: giving up on purpose\n');
    assert.equal(await readFile(m.path('segv/crash-segv/err'), 'utf8'), 'crash-segv: about to crash\n');
    const log = (await readNow(m.path('log'))).toString();
    assert.match(log, / warn three\/exits-with-3: exited with 3; stderr: exits-with-3: giving up on purpose\n/);
    assert.deepEqual(await clientsOf(m.tmp), []);
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('a stage killed by a signal it was not sent is logged as a warning with its stderr', {
}, async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('segv passthrough | crash-segv');
    await writeFile(m.path('segv/in'), Buffer.alloc(4096));
    await m.ctl('play');
    await waitFor(async () => (await status(m)).chains.segv.stages[1].state === 'killed by SIGSEGV', 'the crash in /status');
    assert.match((await readNow(m.path('log'))).toString(), / warn segv\/crash-segv: killed by SIGSEGV; stderr: crash-segv: about to crash\n/);
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('rm -r of running stages and of a running chain (realtime) leaves no process and no zombie', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('busy slow-writer | never-exits | flooder | slow-writer');
    await m.ctl('other flooder | never-exits');
    await m.ctl('play');
    await waitFor(async () => (await pidsOf(m)).length === 6, 'six processes running');
    const s = await status(m);
    const pid = (chain: string, stage: string) => s.chains[chain].stages.find((x) => x.name === stage)!.pid!;
    const all = await pidsOf(m);
    for (const p of all) assert.ok(await alive(p));
    await run('rm', ['-r', m.path('busy/never-exits')]);
    await noneLeftOf([pid('busy', 'never-exits')]);
    assert.deepEqual((await readdir(m.path('busy'))).filter((n) => !['in', 'out', 'ctl', 'mixer'].includes(n)).sort(), ['flooder', 'slow-writer', 'slow-writer-2']);
    await run('rm', ['-r', m.path('busy/flooder')]);
    await noneLeftOf([pid('busy', 'flooder')]);
    const ticks = reader(['head', '-c', '10', m.path('busy/out')]);
    assert.equal((await ticks.done).out.toString(), 'tick\ntick\n', 'the chain still runs after the gaps closed');
    await run('rm', ['-r', m.path('busy')]);
    await run('rm', ['-r', m.path('other')]);
    assert.deepEqual((await readdir(m.dir)).filter((n) => n === 'busy' || n === 'other'), [], 'both chains gone');
    await noneLeft(m, all);
  } finally {
    assert.equal(await m.close(), 0);
  }
});

async function noneLeftOf(pids: number[]): Promise<void> {
  await waitFor(async () => (await Promise.all(pids.map(alive))).every((a) => !a), `pids ${pids.join(' ')} to go`, 5000);
  for (const p of pids) assert.equal(await exists(`/proc/${p}`), false, `pid ${p} is reaped`);
}

test('a blocked reader of out does not block ls, cat status or a ctl write, and gets EOF on unmount', async () => {
  const m = await mountAudiofs();
  let atUnmount: ReturnType<typeof reader> | undefined;
  try {
    await m.ctl('idle passthrough');
    const blocked = reader(['cat', m.path('idle/out')]);
    await blockedInRead(blocked.child.pid!, 'cat of idle/out');
    for (const [what, f] of [
      ['ls', () => run('ls', ['-la', m.dir, m.path('idle'), m.path('idle/passthrough')])],
      ['cat status', () => run('cat', [m.path('status')])],
      ['ctl write', () => appendFile(m.path('ctl'), 'second passthrough\n')],
      ['cat ctl', () => run('cat', [m.path('ctl')])],
    ] as const) {
      const ms = await timed(f);
      assert.ok(ms < HANG_MS, `${what} took ${ms.toFixed(0)} ms with a reader blocked (expected under ${HANG_MS}: not held by the reader)`);
    }
    assert.equal(blocked.child.exitCode, null, 'the reader is still waiting');
    atUnmount = blocked;  } finally {
    assert.equal(await m.close(), 0);
  }
  assert.deepEqual(await atUnmount!.done, { out: Buffer.alloc(0), code: 0, signal: null }, 'unmount answers with end of file');
});

test('while readers are blocked on a chain\'s out and a stage\'s out, mkdir, cmd, rm -r of the stage and of the chain complete and each reader gets EOF', async () => {
  const m = await mountAudiofs();
  const done = { out: Buffer.alloc(0), code: 0, signal: null };
  try {
    await m.ctl('idle passthrough | passthrough');
    const onChain = reader(['cat', m.path('idle/out')]);
    const onStage = reader(['cat', m.path('idle/passthrough/out')]);
    await blockedInRead(onChain.child.pid!, 'the reader of idle/out');
    await blockedInRead(onStage.child.pid!, 'the reader of idle/passthrough/out');
    assert.deepEqual(await within(reader(['mkdir', m.path('idle/extra')]).done, 'mkdir'), done);
    assert.equal(await within(writeFile(m.path('idle/extra/cmd'), 'passthrough\n'), 'the write of cmd'), undefined);
    assert.deepEqual(await within(reader(['rm', '-r', m.path('idle/passthrough')]).done, 'rm -r of the stage'), done);
    assert.deepEqual(await within(onStage.done, 'the reader of the removed stage'), done);
    assert.deepEqual(await within(reader(['rm', '-r', m.path('idle')]).done, 'rm -r of the chain'), done);
    assert.deepEqual(await within(onChain.done, 'the reader of the removed chain'), done);
    assert.equal(await exists(m.path('idle')), false);
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('a writer held on the live in of a chain that is not playing gets EPIPE after 5 s, with a line in /log, and rm -r then completes', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('live passthrough');
    await m.ctl('realtime on', 'live/ctl');
    const writer = spawn('dd', ['if=/dev/zero', `of=${m.path('live/in')}`, 'bs=64k', 'count=100'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    writer.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const ended = new Promise<number | null>((r) => writer.once('close', (code) => r(code)));
    // 256 KiB are taken, then the next write is held.
    await waitFor(async () => (await stat(m.path('live/in'))).size >= 256 * 1024, 'the live input to fill');
    const start = performance.now();
    // The write in flight holds the kernel's lock on live/in: the unlink of rm -r waits for its answer.
    assert.equal((await reader(['rm', '-r', m.path('live')]).done).code, 0);
    const took = performance.now() - start;
    // It waits for the writer's 5 s stall (less the time it took to see the input full), and no longer than a hang bound.
    assert.ok(took > 2000 && took < 5000 + PROCESS_HANG_MS, `rm -r took ${took.toFixed(0)} ms (expected the rest of the 5 s stall, under ${5000 + PROCESS_HANG_MS})`);
    assert.equal(await ended, 1);
    assert.match(err, /Broken pipe/);
    assert.match((await readNow(m.path('log'))).toString(), /warn \/live\/in: nothing took from this live input for 5 s \(the chain is not playing\): write refused/);
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('a mount whose stderr reader went away serves on (no spin on EPIPE), and SIGHUP unmounts cleanly', async () => {
  const m = await mountAudiofs();
  try {
    m.proc.stderr!.destroy();
    m.proc.stdout!.destroy();
    // Refused lines are echoed to stderr: each write there now fails with EPIPE.
    for (let i = 0; i < 3; i++) await assert.rejects(m.ctl('plya'), { code: 'EINVAL' });
    const cpu = async () => {
      const f = (await readFile(`/proc/${m.proc.pid}/stat`, 'utf8')).split(') ')[1].split(' ');
      return Number(f[11]) + Number(f[12]);
    };
    // A spin on EPIPE takes what CPU it can get: on a loaded 2-core machine still well over half a core.
    const before = await cpu();
    await new Promise((r) => setTimeout(r, 2000));
    const used = (await cpu()) - before;
    assert.ok(used < 30, `${used * 10} ms of CPU in 2 s while idle (expected under 300: no spin)`);
    const ms = await timed(() => readFile(m.path('status')));
    assert.ok(ms < HANG_MS, `cat status took ${ms.toFixed(0)} ms (expected under ${HANG_MS})`);
    const exited = new Promise<number | null>((r) => m.proc.once('exit', (code) => r(code)));
    m.proc.kill('SIGHUP');
    assert.equal(await exited, 0);
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('a reader blocked on out of a chain that is not playing gets EOF on stop', {
}, async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('idle passthrough');
    const blocked = reader(['cat', m.path('idle/out')]);
    await blockedInRead(blocked.child.pid!, 'cat of idle/out');
    await m.ctl('stop');
    const r = await within(blocked.done, 'the blocked reader');
    assert.deepEqual(r, { out: Buffer.alloc(0), code: 0, signal: null });
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('a reader blocked on out of a playing chain gets what was played and EOF on stop', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('ticker slow-writer');
    const blocked = reader(['cat', m.path('ticker/out')]);
    await blockedInRead(blocked.child.pid!, 'cat of ticker/out');
    await m.ctl('play');
    await waitFor(() => blocked.sofar().length >= 10, 'two ticks');
    await m.ctl('stop');
    const r = await blocked.done;
    assert.equal(r.code, 0);
    assert.match(r.out.toString(), /^(tick\n){2,}$/);
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('O_NONBLOCK readers of out and /log get what is there and EOF at once; tar of the mount finishes while chains play', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('ticker slow-writer');
    await m.ctl('play');
    await waitFor(async () => (await pidsOf(m)).length === 1, 'slow-writer running');
    const ms = await timed(async () => {
      const { stdout, stderr } = await run('dd', [`if=${m.path('ticker/out')}`, 'iflag=nonblock', 'of=/dev/null']);
      assert.equal(stdout, '');
      assert.match(stderr, /^0\+0 records in\n0\+0 records out\n0 bytes copied/);
    });
    assert.ok(ms < PROCESS_HANG_MS, `dd iflag=nonblock took ${ms.toFixed(0)} ms (expected under ${PROCESS_HANG_MS}: it never waits)`);
    const log = await readNow(m.path('log'));
    assert.match(log.toString(), /^\S+ info audiofs mounted at .*$/m);
    assert.match(log.toString(), /^\S+ info chain ticker made: slow-writer$/m);
    assert.match(log.toString(), /\n$/);
    const tarMs = await timed(() => run('tar', ['cf', `${m.tmp}/all.tar`, '-C', m.dir, '.']));
    assert.ok(tarMs < PROCESS_HANG_MS, `tar cf took ${tarMs.toFixed(0)} ms (expected under ${PROCESS_HANG_MS}: no stream holds it)`);
    const { stdout } = await run('tar', ['tf', `${m.tmp}/all.tar`]);
    assert.ok(stdout.split('\n').includes('./ticker/slow-writer/out'));
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('SIGTERM to the mount process while chains run unmounts cleanly and leaves no client', async () => {
  const m = await mountAudiofs();
  await m.ctl('a never-exits | flooder');
  await m.ctl('b slow-writer | passthrough');
  await m.ctl('play');
  await waitFor(async () => (await pidsOf(m)).length === 4, 'four processes');
  const pids = await pidsOf(m);
  const tmp = m.tmp;
  assert.equal(await m.close(), 0, 'exit code 0');
  assert.ok(!(await readFile('/proc/mounts', 'utf8')).includes(` ${m.dir} `), 'the mount is gone');
  for (const p of pids) assert.equal(await alive(p), false, `pid ${p} is gone`);
  assert.deepEqual(await clientsOf(tmp), []);
  assert.match(m.output(), /info unmounting\n/);
});

/** Resolves with the mount process's exit code once it exits; rejects if it is still running after `ms`. */
function exitOf(m: TestMount, ms: number): Promise<number | null> {
  if (m.proc.exitCode !== null) return Promise.resolve(m.proc.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`audiofs at ${m.dir} still runs ${ms} ms after its mount was taken away`)), ms);
    m.proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

test('fusermount -u from outside ends the mount process as SIGTERM does: clients ended, project saved, exit code 0', async () => {
  const m = await mountAudiofs();
  const tmp = m.tmp;
  try {
    await m.ctl('a never-exits | flooder');
    await m.ctl('b slow-writer | passthrough');
    await m.ctl('play');
    await waitFor(async () => (await pidsOf(m)).length === 4, 'four processes');
    const pids = await pidsOf(m);
    await run('fusermount', ['-u', m.dir], { timeout: 10_000 });
    assert.equal(await exitOf(m, 10_000), 0, 'exit code 0');
    for (const p of pids) assert.equal(await alive(p), false, `pid ${p} is gone`);
    assert.deepEqual(await clientsOf(tmp), []);
    assert.match(m.output(), /warn fuse: .* was unmounted from outside/);
    assert.match(m.output(), /info unmounting\n/);
    const stateDir = join(tmp, 'state', 'audiofs');
    const [name] = await readdir(stateDir);
    const saved = JSON.parse(await readFile(join(stateDir, name, 'project.json'), 'utf8'));
    assert.deepEqual(saved.chains.map((c: { name: string }) => c.name), ['a', 'b'], 'the project was folded into its snapshot');
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('a lazy unmount (fusermount -uz) while a reader holds out open: the reader reads on, and the mount process ends once it closes', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('a slow-writer');
    await m.ctl('play');
    const r = reader(['timeout', '20', 'cat', m.path('a', 'out')]);
    await waitFor(() => r.sofar().length > 0, 'the reader getting bytes');
    await run('fusermount', ['-uz', m.dir], { timeout: 10_000 });
    const at = r.sofar().length;
    await waitFor(() => r.sofar().length > at, 'the reader getting more after the lazy unmount');
    assert.equal(m.proc.exitCode, null, 'the mount serves its open file');
    r.child.kill('SIGTERM');
    await r.done;
    assert.equal(await exitOf(m, 10_000), 0, 'exit code 0 once the last open file closed');
    assert.deepEqual(await clientsOf(m.tmp), []);
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('--debug traces FUSE operations and spawned command lines', async () => {
  const m = await mountAudiofs({ args: ['--debug'] });
  try {
    await m.ctl('dbg passthrough -u');
    await m.ctl('play');
    await waitFor(() => /spawn dbg\/passthrough: /.test(m.output()), 'the spawn trace');
    const out = m.output();
    assert.match(out, / debug fuse: getattr \/ctl -> 0\n/);
    assert.match(out, / debug fuse: write \/ctl -> \d+\n/);
    assert.match(out, / debug spawn dbg\/passthrough: ".*\/fixtures\/bin\/passthrough" "-u"\n/);
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('a stage ended by stop shows it was stopped by audiofs, not that it crashed; one that ended by itself shows its exit code', { timeout: 60_000 }, async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('idle passthrough | never-exits');
    await m.ctl('done passthrough');
    await writeFile(m.path('done', 'in'), Buffer.alloc(4096, 1));
    await m.ctl('play');
    await waitFor(async () => (await status(m)).chains.done.stages[0].state === 'exited 0', 'the passthrough stage that ran out of input exits 0');
    await m.ctl('stop');
    await waitFor(async () => (await status(m)).chains.idle.stages[1].pid === null, 'the never-exiting stage stopped');
    const s = await status(m);
    assert.deepEqual(s.chains.idle.stages[1], { ...s.chains.idle.stages[1], state: 'stopped by audiofs (SIGTERM)', exit_code: null, signal: 'SIGTERM', stopped_by_audiofs: true });
    assert.deepEqual([s.chains.done.stages[0].state, s.chains.done.stages[0].exit_code], ['exited 0', 0]);
    assert.doesNotMatch((await readNow(m.path('log'))).toString(), / warn idle\//, 'a stop is not a failure');
    assert.deepEqual(await clientsOf(m.tmp), []);
  } finally {
    assert.equal(await m.close(), 0);
  }
});
