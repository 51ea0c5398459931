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

function tool(): Options {
  return { stdio: guardedStdio() as unknown as Options['stdio'], cleanup: false, timeout: 5000 };
}
