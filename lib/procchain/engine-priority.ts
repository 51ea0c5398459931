import { readdir, readFile } from 'node:fs/promises';
import { execa, type Options } from 'execa';
import type { Logger } from '../base/logger.js';
import { guardedStdio } from './spawn-guard.js';

/** The SCHED_FIFO priority of the mix's thread: above every ordinary process, below the kernel's own and JACK's (70+). */
export const ENGINE_RT_PRIORITY = 10;

/** Options of raiseEngine. */
export interface EnginePriorityOptions {
  logger: Logger;
  /** The thread to raise (default: this process's main thread, where the engine mixes). */
  pid?: number;
  priority?: number;
}

/**
 * Puts the engine's thread (the main thread: the mix, its clock and the pipes between stages) in SCHED_FIFO, so
 * that on a busy machine it runs as soon as its clock wakes it, not after hundreds of stages' scheduling groups
 * (each stage starts in a session, hence an autogroup, of its own). With reset-on-fork, processes started from
 * it (stages, tools) run with the ordinary policy. When the system refuses (no root, no CAP_SYS_NICE, no rtprio
 * limit), /log says so and the engine runs at the ordinary priority. Resolves true when raised.
 */
export async function raiseEngine(options: EnginePriorityOptions): Promise<boolean> {
  const pid = options.pid ?? process.pid;
  const priority = options.priority ?? ENGINE_RT_PRIORITY;
  try {
    await execa('chrt', ['--reset-on-fork', '--fifo', '--pid', String(priority), String(pid)], tool());
    options.logger.info(`engine: realtime priority (SCHED_FIFO ${priority}) for the mix`);
    return true;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const why = (e.stderr?.trim().split('\n').pop() || e.message.split('\n')[0]).replace(/^chrt: /, '');
    options.logger.warn(`engine: no realtime priority for the mix (${why}); it runs at the ordinary priority and may fall behind on a busy machine (expected root, CAP_SYS_NICE or an rtprio limit: ulimit -r)`);
    return false;
  }
}

/** V8's worker threads when no --v8-pool-size says otherwise (Node's default). */
const V8_POOL_SIZE = 4;

/** The SCHED_FIFO priority of V8's compiler threads: just below the mix's, which waits for them. */
export const COMPILER_RT_PRIORITY = ENGINE_RT_PRIORITY - 1;

/**
 * Puts V8's worker threads (its optimizing compiler's: with --single-threaded-gc they do nothing else) in
 * SCHED_FIFO just below the mix's thread, when the mix's thread got SCHED_FIFO (`engineRaised`). The mix's
 * thread waits for them: every garbage collection first brings each compile under way to a safepoint. They
 * were SCHED_IDLE (so that a request to the mount never waited for a CPU they held), and beside a busy
 * machine (128 realtime chains, two CPU hogs) the FIFO mix then slept on V8's condition variable until an
 * idle-class thread got a CPU: 7 waits over 10 ms in 45 s, up to 62 ms, woken by those threads (a scheduler
 * trace); 2 trials of 10 ended with a late skip of 0.25 s, and GC pauses over 50 ms came 0-4 times a trial. At
 * FIFO 9: no wait over 2.3 ms, 10 trials of 10 without a late skip or a GC pause over 50 ms. Without
 * realtime priority they keep the ordinary policy: an idle-class thread the mix waits for is the same trap.
 * Node makes them before any JavaScript runs, right after its delayed-task thread (the first thread after
 * the main one): they are found by the order the threads were made in, and nothing is changed when the
 * threads are not what that order says. Resolves the threads changed.
 */
export async function placeCompilerThreads(options: { logger: Logger; engineRaised: boolean }): Promise<number[]> {
  const { logger } = options;
  if (process.platform !== 'linux') return [];
  if (!options.engineRaised) {
    logger.info('engine: V8\'s compiler threads keep the ordinary priority, as the mix does');
    return [];
  }
  const size = v8PoolSize();
  const tids = (await readdir('/proc/self/task')).map(Number).filter((t) => t !== process.pid);
  // In the order they were made (their start times, then their ids): the delayed-task thread, then V8's pool.
  const started = await Promise.all(tids.map(async (tid) => ({ tid, start: await startTime(tid) })));
  started.sort((a, b) => a.start - b.start || a.tid - b.tid);
  const delayed = started[0]?.tid;
  const workers = started.slice(1, 1 + size).map((t) => t.tid);
  const wchan = delayed === undefined ? '' : await readFile(`/proc/self/task/${delayed}/wchan`, 'utf8').catch(() => '');
  if (size === 0 || workers.length < size || !/epoll/.test(wchan)) {
    logger.warn(`engine: V8's compiler threads not found (expected Node's delayed-task thread waiting in epoll, then ${size || 'a known number of'} workers); they run at the ordinary priority, and the mix may wait for them on a busy machine`);
    return [];
  }
  try {
    for (const tid of workers) await execa('chrt', ['--reset-on-fork', '--fifo', '--pid', String(COMPILER_RT_PRIORITY), String(tid)], tool());
  } catch (err) {
    logger.warn(`engine: V8's compiler threads stay at the ordinary priority (${(err as Error).message.split('\n')[0]}); the mix may wait for them on a busy machine`);
    return [];
  }
  logger.info(`engine: V8's compiler threads (${workers.join(', ')}) run SCHED_FIFO ${COMPILER_RT_PRIORITY}, just below the mix, which waits for them at every garbage collection`);
  return workers;
}

/** The size of V8's thread pool this Node was started with (0: Node chooses). */
function v8PoolSize(): number {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  let size = V8_POOL_SIZE;
  for (const a of args) {
    const m = /^--v8-pool-size=(\d+)$/.exec(a);
    if (m) size = Number(m[1]);
  }
  return size;
}

/** When a thread of this process started (clock ticks since boot: /proc's stat, field 22). */
async function startTime(tid: number): Promise<number> {
  const stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8').catch(() => '');
  // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[22 - 3] ?? Infinity);
}

function tool(): Options {
  return { stdio: guardedStdio() as unknown as Options['stdio'], cleanup: false, timeout: 5000 };
}
