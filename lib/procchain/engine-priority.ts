import { readdir, readFile } from 'node:fs/promises';
import { execa, type Options } from 'execa';
import type { Logger } from '../base/logger.js';
import { readProcStat } from '../base/proc-stat.js';
import { guardedStdio } from './spawn-guard.js';
import { posixSpawnAvailable } from './native-spawn.js';
import { spawnMethod, watchSpawningThread } from './spawner.js';
import { boostDuringGc, setThreadPolicy, threadPolicyProblem } from './thread-policy.js';

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

/** The SCHED_FIFO priority of the thread that starts stages with a fork: below the mix and V8's compiler threads. */
export const SPAWNER_RT_PRIORITY = ENGINE_RT_PRIORITY - 2;

/**
 * Puts the thread that starts stages (spawner.ts) in SCHED_FIFO when the mix's thread got it (`engineRaised`) and
 * stages are started with a fork, with reset-on-fork (the stages run at the ordinary policy). A fork holds the
 * mount's address space for writing while it copies the page tables: at the ordinary policy beside a busy
 * machine, the forking thread was preempted in the middle and the mix, faulting on a page, waited for it to get
 * a CPU again. posix_spawn (native/spawn) copies nothing and holds nothing: there the thread keeps the ordinary
 * policy, below the FUSE threads' equals.
 */
export function placeSpawningThread(options: { logger: Logger; engineRaised: boolean }): void {
  if (!options.engineRaised) return;
  watchSpawningThread((tid) => {
    if (posixSpawnAvailable() && spawnMethod() === 'posix') {
      options.logger.info(`engine: the thread that starts stages (${tid}) keeps the ordinary policy (posix_spawn: no fork holds the mount)`);
      return;
    }
    try {
      if (setThreadPolicy(tid, 'fifo', SPAWNER_RT_PRIORITY)) options.logger.info(`engine: the thread that starts stages (${tid}) runs SCHED_FIFO ${SPAWNER_RT_PRIORITY}`);
    } catch (err) {
      options.logger.warn(`engine: the thread that starts stages stays at the ordinary priority (${(err as Error).message}); starting stages may delay the mix on a busy machine`);
    }
  });
}

/** V8's worker threads when no --v8-pool-size says otherwise (Node's default). */
const V8_POOL_SIZE = 4;

/** The SCHED_FIFO priority of V8's compiler threads: just below the mix's, which waits for them. */
export const COMPILER_RT_PRIORITY = ENGINE_RT_PRIORITY - 1;

/** What placeCompilerThreads follows: the engine's state ('running' while it mixes). */
export interface EngineStates {
  readonly state: string;
  on(event: 'state', listener: (state: string) => void): unknown;
}

/**
 * Places V8's worker threads (its optimizing compiler's: with --single-threaded-gc they do nothing else) when
 * the mix's thread got SCHED_FIFO (`engineRaised`): SCHED_FIFO just below the mix while the engine runs,
 * SCHED_IDLE while it does not (native/sched; without it, SCHED_FIFO throughout).
 *
 * While the mix runs, it waits for them: every garbage collection first brings each compile under way to a
 * safepoint, and V8's locks are shared. Idle-class beside a busy machine (128 realtime chains, two CPU hogs),
 * the FIFO mix slept on V8's condition variable until one of them got a CPU: 7 waits over 10 ms in 45 s, up to
 * 62 ms; 2 realtime trials of 10 ended with a late skip. Idle-class but raised for each GC (a V8 GC callback):
 * 1 of 10, late skips up to 1.67 s with no GC pause over 50 ms (a lock held by an idle-class thread). At FIFO 9:
 * no wait over 2.3 ms, 10 trials of 10.
 *
 * While it does not run, a compile job (3-15 ms, as the code a ctl line runs becomes hot) at FIFO 9 held a CPU
 * that an ordinary thread woken on it waited for: the shell's own, and the disk's completion work (raising
 * every other thread of the mount changed nothing; nice 19 or the ordinary policy, the same). Idle-class they
 * give way to everything, and for the length of each GC (which waits for them) they are raised to FIFO 9 (a
 * V8 GC callback, native/sched). Lines 1,001-1,500 of a project: p99 3.3-4.7 ms at FIFO, 1.0-2.8 ms
 * idle-class (beside two hogs: 5.2-8.8 ms either way).
 *
 * Without realtime priority they keep the ordinary policy: an idle-class thread the mix waits for is the same
 * trap. Node makes them before any JavaScript runs, right after its delayed-task thread (the first thread
 * after the main one): they are found by the order the threads were made in, and nothing is changed when the
 * threads are not what that order says. Resolves the threads changed.
 */
export async function placeCompilerThreads(options: { logger: Logger; engineRaised: boolean; engine?: EngineStates }): Promise<number[]> {
  const { logger, engine } = options;
  if (process.platform !== 'linux') return [];
  if (!options.engineRaised) {
    logger.info('engine: V8\'s compiler threads keep the ordinary priority, as the mix does');
    return [];
  }
  const workers = await compilerThreads(logger);
  if (workers.length === 0) return [];
  if (engine && followEngine(workers, engine, logger)) return workers;
  try {
    for (const tid of workers) await execa('chrt', ['--reset-on-fork', '--fifo', '--pid', String(COMPILER_RT_PRIORITY), String(tid)], tool());
  } catch (err) {
    logger.warn(`engine: V8's compiler threads stay at the ordinary priority (${(err as Error).message.split('\n')[0]}); the mix may wait for them on a busy machine`);
    return [];
  }
  logger.info(`engine: V8's compiler threads (${workers.join(', ')}) run SCHED_FIFO ${COMPILER_RT_PRIORITY}, just below the mix, which waits for them at every garbage collection`);
  return workers;
}

/**
 * Keeps `workers` SCHED_FIFO COMPILER_RT_PRIORITY while the engine runs and SCHED_IDLE while it does not
 * (native/sched: a system call a change, no process). False (nothing changed) where that cannot be done.
 */
function followEngine(workers: number[], engine: EngineStates, logger: Logger): boolean {
  let following = true;
  const apply = (state: string): boolean => {
    const running = state === 'running';
    try {
      if (running && !boostDuringGc([])) return false;
      for (const tid of workers) {
        if (!setThreadPolicy(tid, running ? 'fifo' : 'idle', running ? COMPILER_RT_PRIORITY : 0)) return false;
      }
      if (!running) boostDuringGc(workers, COMPILER_RT_PRIORITY);
      return true;
    } catch (err) {
      following = false;
      logger.warn(`engine: V8's compiler threads could not be ${running ? `raised to SCHED_FIFO ${COMPILER_RT_PRIORITY}` : 'put in SCHED_IDLE'} (${(err as Error).message}); they stay as they are`);
      return true;
    }
  };
  if (!apply(engine.state)) {
    logger.info(`engine: V8's compiler threads cannot follow the mix here (${threadPolicyProblem()})`);
    return false;
  }
  engine.on('state', (state) => {
    if (following) apply(state);
  });
  logger.info(`engine: V8's compiler threads (${workers.join(', ')}) run SCHED_FIFO ${COMPILER_RT_PRIORITY} while the mix runs (it waits for them), SCHED_IDLE while it does not (SCHED_FIFO ${COMPILER_RT_PRIORITY} for each garbage collection, which waits for them)`);
  return true;
}

/** V8's worker threads, found by the order threads were made in; [] (and a warning) when they are not what it says. */
async function compilerThreads(logger: Logger): Promise<number[]> {
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
  const stat = await readProcStat(`self/task/${tid}`);
  return stat ? Number(stat.startTime) : Infinity;
}

function tool(): Options {
  return { stdio: guardedStdio() as unknown as Options['stdio'], cleanup: false, timeout: 5000 };
}
