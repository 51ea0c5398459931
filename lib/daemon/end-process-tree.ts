import { setTimeout as sleep } from 'node:timers/promises';
import { descendants, isAlive, signal } from './proc-info.js';

/** How a process tree ended. */
export interface EndedTree {
  /** SIGKILL was needed. */
  readonly killed: boolean;
  /** Every process that was SIGKILLed (the root and what descended from it or shared its session). */
  readonly killedPids: number[];
}

/**
 * Ends a process: SIGTERM (and SIGCONT, so a stopped one sees it), then after `graceMs` SIGKILL
 * to it and to everything that descends from it or shares its session.
 */
export async function endProcessTree(pid: number, options: { graceMs: number; pollMs?: number }): Promise<EndedTree> {
  signal(pid, 'SIGTERM');
  signal(pid, 'SIGCONT');
  const deadline = Date.now() + options.graceMs;
  while (Date.now() < deadline) {
    if (!(await isAlive(pid))) return { killed: false, killedPids: [] };
    await sleep(options.pollMs ?? 50);
  }
  return killTree(pid);
}

/** SIGKILLs a process and everything that descends from it or shares its session, and waits until they are gone. */
export async function killTree(pid: number): Promise<EndedTree> {
  const targets = [pid, ...(await descendants(pid))];
  for (const p of targets) signal(p, 'SIGKILL');
  for (let i = 0; i < 100; i++) {
    const alive = await Promise.all(targets.map(isAlive));
    if (!alive.some(Boolean)) break;
    await sleep(20);
  }
  return { killed: true, killedPids: targets };
}
