// native/sched: threads' scheduling policies set with the system call, and raised for each garbage collection.
// Checked on a `sleep` process standing in for a thread (a thread id and a process id are the same kind of
// number), with the scheduler's own answer through another tool (chrt) as the oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { boostDuringGc, gcBoostStats, setThreadPolicy, threadPolicyOf, threadPolicyProblem } from '../../lib/procchain/thread-policy.js';
import { run } from '../helpers/mount.js';

const root = process.getuid?.() === 0;
const linux = process.platform === 'linux';

/** What chrt says of a thread: 'SCHED_IDLE|SCHED_RESET_ON_FORK 0'. */
async function chrtOf(pid: number): Promise<string> {
  const { stdout } = await run('chrt', ['-p', String(pid)], { timeout: 10_000 });
  const [policy, priority] = stdout.trim().split('\n').map((l) => l.replace(/^.*: /, ''));
  return `${policy} ${priority}`;
}

/** Makes garbage: enough young objects for a few scavenges. */
function churn(): number {
  let kept = 0;
  for (let round = 0; round < 20; round++) {
    const xs: Array<{ i: number; s: string }> = [];
    for (let i = 0; i < 50_000; i++) xs.push({ i, s: `x${i}` });
    kept += xs.length;
  }
  return kept;
}

async function withSleeper(body: (pid: number, child: ChildProcess) => Promise<void>): Promise<void> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    await body(child.pid!, child);
  } finally {
    child.kill('SIGKILL');
  }
}

test('a thread is put in SCHED_IDLE, SCHED_FIFO and back in SCHED_OTHER, as chrt then reads it', { skip: !linux && 'Linux only' }, async () => {
  assert.equal(threadPolicyProblem(), '', 'the addon is built and loads (make build)');
  await withSleeper(async (pid) => {
    assert.equal(await chrtOf(pid), 'SCHED_OTHER 0');
    assert.equal(setThreadPolicy(pid, 'idle'), true);
    assert.equal(await chrtOf(pid), 'SCHED_IDLE|SCHED_RESET_ON_FORK 0');
    assert.deepEqual(threadPolicyOf(pid), { policy: 'idle', priority: 0 });
    if (root) {
      setThreadPolicy(pid, 'fifo', 9);
      assert.equal(await chrtOf(pid), 'SCHED_FIFO|SCHED_RESET_ON_FORK 9');
      assert.deepEqual(threadPolicyOf(pid), { policy: 'fifo', priority: 9 });
    } else {
      assert.throws(() => setThreadPolicy(pid, 'fifo', 9), { code: 'EPERM' });
    }
    setThreadPolicy(pid, 'other');
    assert.equal(await chrtOf(pid), 'SCHED_OTHER|SCHED_RESET_ON_FORK 0');
  });
});

test('what is not a thread, a policy or its priority is refused with the errno name', { skip: !linux && 'Linux only' }, async () => {
  assert.throws(() => setThreadPolicy(0, 'idle'), { code: 'EINVAL' });
  assert.throws(() => setThreadPolicy(1.5, 'idle'), { code: 'EINVAL' });
  assert.throws(() => setThreadPolicy(process.pid, 'rr' as never), { code: 'EINVAL' });
  assert.throws(() => setThreadPolicy(process.pid, 'fifo', 0), { code: 'EINVAL' }, 'SCHED_FIFO needs a priority');
  assert.throws(() => setThreadPolicy(process.pid, 'idle', 5), { code: 'EINVAL' }, 'SCHED_IDLE has none');
  assert.throws(() => setThreadPolicy(process.pid, 'fifo', 100), { code: 'EINVAL' });
  await withSleeper(async (pid, child) => {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.throws(() => setThreadPolicy(pid, 'idle'), { code: 'ESRCH' }, 'a thread gone');
  });
});

test('threads named for the GC boost run SCHED_FIFO during each garbage collection and SCHED_IDLE after it', { skip: (!linux || !root) && 'Linux, as root' }, async () => {
  await withSleeper(async (pid, child) => {
    setThreadPolicy(pid, 'idle');
    try {
      assert.equal(boostDuringGc([pid], 9), true);
      const before = gcBoostStats()!;
      churn();
      const after = gcBoostStats()!;
      const gcs = after.gcs - before.gcs;
      assert.ok(gcs >= 3, `garbage collections seen: ${gcs}`);
      assert.equal(after.raised - before.raised, gcs, 'raised once for each GC');
      assert.equal(after.lowered - before.lowered, gcs, 'and let down after each');
      assert.equal(after.failed, before.failed);
      assert.equal(after.raisedPolicy, 1, 'SCHED_FIFO (1) right after a raise, as sched_getscheduler says');
      // Read on this thread, where no collection can be under way now (threadPolicyOf asks the kernel, checked
      // against chrt above); chrt, a process of its own, read it during a collection of this one now and then.
      assert.deepEqual(threadPolicyOf(pid), { policy: 'idle', priority: 0 }, 'idle-class between collections');
      // A thread gone (its id may come back for another): a raise refused is counted, and nothing throws.
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      churn();
      const gone = gcBoostStats()!;
      assert.ok(gone.failed > after.failed && gone.lastError === 'ESRCH', `a thread gone: ${JSON.stringify(gone)}`);
    } finally {
      boostDuringGc([]);
    }
    const stopped = gcBoostStats()!;
    churn();
    assert.equal(gcBoostStats()!.raised, stopped.raised, 'boostDuringGc([]) stops raising');
  });
});
