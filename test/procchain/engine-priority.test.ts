import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import { Logger } from '../../lib/base/logger.js';
import { raiseEngine } from '../../lib/procchain/engine-priority.js';
import { clientsOf, mountAudiofs, run, waitFor } from '../helpers/mount.js';
import { posixSpawnAvailable } from '../../lib/procchain/native-spawn.js';
import { threadsOf } from '../helpers/threads.js';

/** The scheduling policy chrt reports for a thread (SCHED_FIFO, SCHED_OTHER, ...), with its reset-on-fork flag. */
async function policy(pid: number): Promise<string> {
  const { stdout } = await run('chrt', ['-p', String(pid)], { timeout: 10_000 });
  return stdout.split('\n')[0].replace(/^.*: /, '');
}

const root = process.getuid?.() === 0;

test('the mount\'s mix thread runs SCHED_FIFO (as root) and its stages the ordinary policy; /log says which', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('idle never-exits');
    await m.ctl('play');
    const st = await waitFor(async () => {
      const s = yaml.load(await readFile(m.path('status'), 'utf8')) as any;
      return s.chains.idle.stages[0].pid && s;
    }, 'the stage running');
    const log = await readFile(m.path('log'), 'utf8');
    if (root) {
      assert.equal(await policy(m.proc.pid!), 'SCHED_FIFO|SCHED_RESET_ON_FORK');
      assert.match(log, /engine: realtime priority \(SCHED_FIFO 10\) for the mix\n/);
    } else {
      assert.match(log, /engine: no realtime priority for the mix/);
    }
    assert.equal(await policy(st.chains.idle.stages[0].pid), 'SCHED_OTHER', 'a stage does not inherit the realtime policy');
    await m.ctl('stop');
  } finally {
    await m.close();
  }
});

test('when the system refuses the realtime policy, the engine goes on and the log says why and what would allow it', async () => {
  const logger = new Logger({ level: 'info' });
  // No such process: chrt fails as it would without the privilege, and nothing is thrown.
  assert.equal(await raiseEngine({ logger, pid: 2 ** 22 + 1 }), false);
  const lines = logger.recent().join('\n');
  assert.match(lines, /engine: no realtime priority for the mix \(.+\); it runs at the ordinary priority .*\(expected root, CAP_SYS_NICE or an rtprio limit: ulimit -r\)/);
});

test('with the mix thread SCHED_FIFO, V8\'s compiler threads run SCHED_FIFO just below it while the mix runs and SCHED_IDLE while it does not; not the FUSE threads or the libuv pool', async () => {
  const m = await mountAudiofs();
  try {
    const pid = m.proc.pid!;
    const log = await readFile(m.path('log'), 'utf8');
    if (!root) {
      assert.match(log, /engine: V8's compiler threads keep the ordinary priority, as the mix does/);
      return;
    }
    const named = /engine: V8's compiler threads \(([\d, ]+)\) run SCHED_FIFO 9 while the mix runs \(it waits for them\), SCHED_IDLE while it does not/.exec(log);
    assert.ok(named, `the log names them: ${log}`);
    const placed = named[1].split(', ').map(Number);
    assert.equal(placed.length, 1, 'the pool of one the launcher asks for (--v8-pool-size=1)');
    const look = async () => Promise.all((await threadsOf(pid)).map(async (t) => ({ ...t, policy: await policy(t.tid) })));
    // Looked at between garbage collections (during one they run SCHED_FIFO 9: looked at again).
    type Rows = Awaited<ReturnType<typeof look>>;
    const idle = (await waitFor(async () => {
      const ts = await look();
      return ts.every((t) => !placed.includes(t.tid) || t.policy === 'SCHED_IDLE|SCHED_RESET_ON_FORK') && ts;
    }, 'the compiler threads idle-class while the mix does not run')) as Rows;
    assert.deepEqual(idle.filter((t) => t.policy.startsWith('SCHED_IDLE')).map((t) => t.tid).sort(), [...placed].sort(), 'the threads named, and no other, are SCHED_IDLE');
    assert.deepEqual(idle.filter((t) => t.policy.startsWith('SCHED_FIFO')).map((t) => t.tid), [pid], 'the mix thread alone is SCHED_FIFO');
    await m.ctl('hum audiofs-tone 220');
    await m.ctl('play');
    const threads = (await waitFor(async () => {
      const ts = await look();
      return ts.filter((t) => placed.includes(t.tid)).every((t) => t.policy === 'SCHED_FIFO|SCHED_RESET_ON_FORK') && ts;
    }, 'the compiler threads SCHED_FIFO while the mix runs')) as Rows;
    for (const tid of placed) {
      const { stdout } = await run('chrt', ['-p', String(tid)], { timeout: 10_000 });
      assert.match(stdout, /priority: 9\b/, `thread ${tid}: ${stdout}`);
    }
    // The thread that starts stages (made at the first spawn): with posix_spawn, the ordinary policy (no fork
    // holds the mount); with a fork, SCHED_FIFO 8 with reset-on-fork (spawner.test.ts and bench/spawn).
    const log2 = await readFile(m.path('log'), 'utf8');
    const spawning = /engine: the thread that starts stages \((\d+)\) (keeps the ordinary policy|runs SCHED_FIFO 8)/.exec(log2);
    assert.ok(spawning, `the log names the thread that starts stages: ${log2}`);
    const spawner = Number(spawning[1]);
    const forks = spawning[2] !== 'keeps the ordinary policy';
    assert.equal(forks, !posixSpawnAvailable(), 'SCHED_FIFO exactly where stages start with a fork');
    assert.equal(threads.find((t) => t.tid === spawner)?.policy, forks ? 'SCHED_FIFO|SCHED_RESET_ON_FORK' : 'SCHED_OTHER');
    const fifo = threads.filter((t) => t.policy.startsWith('SCHED_FIFO'));
    assert.deepEqual(fifo.map((t) => t.tid).sort(), [pid, ...placed, ...(forks ? [spawner] : [])].sort(), 'the mix thread and the threads named, and no other, are SCHED_FIFO');
    // A second look at who they are: V8's workers sleep on one condition variable of their own (the libuv
    // pool's 16 on another), the FUSE threads in the kernel's fuse read.
    const conds = new Set(threads.filter((t) => placed.includes(t.tid) && t.cond).map((t) => t.cond));
    assert.equal(conds.size, 1, 'the compiler threads wait on one condition variable');
    const cond = [...conds][0];
    assert.ok(threads.filter((t) => t.cond === cond).every((t) => placed.includes(t.tid)), 'no other thread waits on it (not the libuv pool)');
    const fuse = threads.filter((t) => /fuse/.test(t.wchan));
    assert.ok(fuse.length > 0 && fuse.every((t) => t.policy === 'SCHED_OTHER'), 'the FUSE threads keep the ordinary policy');
    const stages = await clientsOf(m.tmp);
    assert.ok(stages.length > 0 && (await Promise.all(stages.map(policy))).every((p) => p === 'SCHED_OTHER'), 'the stages (forked by the SCHED_FIFO spawning thread) run at the ordinary policy');
    assert.equal(await policy(pid), 'SCHED_FIFO|SCHED_RESET_ON_FORK');
    await m.ctl('stop');
    await waitFor(async () => (await Promise.all(placed.map(policy))).every((p) => p === 'SCHED_IDLE|SCHED_RESET_ON_FORK'), 'idle-class again once stopped');
  } finally {
    await m.close();
  }
});

test('stages started with a fork (AUDIOFS_SPAWN=fork): beside a SCHED_FIFO mix the thread that starts them runs SCHED_FIFO 8 with reset-on-fork, and the stages at the ordinary policy', { skip: !root && 'needs root for SCHED_FIFO' }, async () => {
  const m = await mountAudiofs({ env: { AUDIOFS_SPAWN: 'fork' } });
  try {
    await m.ctl('hum audiofs-tone 220');
    await m.ctl('play');
    const spawning = (await waitFor(async () => /engine: the thread that starts stages \((\d+)\) runs SCHED_FIFO 8/.exec(await readFile(m.path('log'), 'utf8')), 'the log names the thread'))!;
    assert.equal(await policy(Number(spawning[1])), 'SCHED_FIFO|SCHED_RESET_ON_FORK');
    assert.match((await run('chrt', ['-p', spawning[1]], { timeout: 10_000 })).stdout, /priority: 8\b/);
    const stages = (await waitFor(async () => { const p = await clientsOf(m.tmp); return p.length > 0 && p; }, 'the stage runs')) as number[];
    assert.deepEqual(await Promise.all(stages.map(policy)), stages.map(() => 'SCHED_OTHER'));
  } finally {
    await m.close();
  }
});
