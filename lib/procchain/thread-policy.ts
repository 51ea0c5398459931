// Threads' scheduling policies, set with the system call itself (native/sched): chrt is a process, a fork of
// the mount each time. Also: threads raised for the length of each garbage collection.
import { createRequire } from 'node:module';

/** The policies audiofs gives threads: SCHED_FIFO (with a priority), SCHED_IDLE, SCHED_OTHER. */
export type ThreadPolicy = 'fifo' | 'idle' | 'other';

/** What the GC boost has done since the addon loaded. */
export interface GcBoostStats {
  /** Garbage collections seen while threads were named. */
  gcs: number;
  /** Raises to SCHED_FIFO and returns to SCHED_IDLE (one per thread per GC). */
  raised: number;
  lowered: number;
  /** Changes refused, and the errno name of the last one ('' for none). */
  failed: number;
  lastError: string;
  /** The first thread's policy right after the last raise (1: SCHED_FIFO). */
  raisedPolicy: number;
}

interface SchedAddon {
  available: boolean;
  setPolicy(tid: number, policy: ThreadPolicy, priority: number): void;
  policyOf(tid: number): { policy: ThreadPolicy | 'other-class'; priority: number };
  boostDuringGc(tids: number[], priority: number): void;
  gcBoostStats(): GcBoostStats;
}

let loaded: SchedAddon | null | undefined;
let loadProblem = '';

function addon(): SchedAddon | undefined {
  if (loaded === undefined) {
    try {
      const a = createRequire(import.meta.url)('../../../native/sched/build/Release/sched.node') as SchedAddon;
      loaded = a.available ? a : null;
      if (!a.available) loadProblem = 'no SCHED_IDLE on this system';
    } catch (err) {
      loaded = null;
      loadProblem = (err as Error).message.split('\n')[0];
    }
  }
  return loaded ?? undefined;
}

/** Why thread policies cannot be set here without chrt ('' when they can). */
export function threadPolicyProblem(): string {
  addon();
  return loadProblem;
}

/**
 * Sets a thread's policy (with SCHED_RESET_ON_FORK; priority 1-99 for 'fifo', 0 otherwise). Returns false
 * where the addon is missing; throws with the errno name when the system refuses (EPERM, ESRCH).
 */
export function setThreadPolicy(tid: number, policy: ThreadPolicy, priority = 0): boolean {
  const a = addon();
  if (!a) return false;
  a.setPolicy(tid, policy, priority);
  return true;
}

/** A thread's policy and priority now; undefined where the addon is missing. */
export function threadPolicyOf(tid: number): { policy: string; priority: number } | undefined {
  return addon()?.policyOf(tid);
}

/**
 * From now on, each garbage collection of this process puts `tids` in SCHED_FIFO `priority` and back in
 * SCHED_IDLE after it (V8 GC callbacks, on the JavaScript thread); boostDuringGc([]) stops. False where the
 * addon is missing.
 */
export function boostDuringGc(tids: number[], priority = 0): boolean {
  const a = addon();
  if (!a) return false;
  a.boostDuringGc(tids, priority);
  return true;
}

/** What the GC boost has done; undefined without the addon. */
export function gcBoostStats(): GcBoostStats | undefined {
  return addon()?.gcBoostStats();
}
