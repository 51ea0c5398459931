import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateDir } from '../state/state-dir.js';
import { daemonStatus, type DaemonTarget } from './daemon-status.js';
import { killTree } from './end-process-tree.js';
import { forceUnmount, probeMount } from './mounts.js';
import { removePidFile } from './pid-file.js';
import { isAlive, signal } from './proc-info.js';

/** How to stop a daemon. */
export interface StopDaemonOptions extends DaemonTarget {
  /** How long SIGTERM gets before SIGKILL and `fusermount -uz`; default 10 s. */
  readonly timeoutMs?: number;
}

/** What stopping did. */
export interface StoppedDaemon {
  /** A daemon was running. */
  readonly wasRunning: boolean;
  readonly pid: number | null;
  /** SIGTERM was not enough within the timeout: SIGKILL went to the daemon and everything under it. */
  readonly forced: boolean;
  /** The pids that were SIGKILLed. */
  readonly killedPids: number[];
  /** A mount was left behind (dead, or still there after the daemon ended) and was detached with fusermount -uz. */
  readonly forcedUnmount: boolean;
  /** A pid file of a dead or recycled process was removed. */
  readonly clearedStalePidFile: boolean;
}

const POLL_MS = 50;

/**
 * Stops the daemon serving a mount directory: SIGTERM, then waits for the process to exit and the mount
 * to go; after `timeoutMs`, SIGKILL (daemon, descendants, session) and `fusermount -uz`. Clears a stale
 * pid file and a stale mount when no daemon is running.
 */
export async function stopDaemon(options: StopDaemonOptions): Promise<StoppedDaemon> {
  const mountDir = resolve(options.mountDir);
  const state = new StateDir(options.stateDir);
  const status = await daemonStatus({ mountDir, stateDir: state.root });
  if (!status.running || status.pid === null) {
    if (status.stalePidFile) await removePidFile(state.pidFile);
    const stale = status.mount === 'stale';
    if (stale) await forceUnmount(mountDir);
    return { wasRunning: false, pid: null, forced: false, killedPids: [], forcedUnmount: stale, clearedStalePidFile: status.stalePidFile };
  }
  const pid = status.pid;
  signal(pid, 'SIGTERM');
  signal(pid, 'SIGCONT');
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let ended = false;
  while (Date.now() < deadline) {
    if (!(await isAlive(pid)) && (await probeMount(mountDir, { timeoutMs: 500 })) === 'none') {
      ended = true;
      break;
    }
    await sleep(POLL_MS);
  }
  let killedPids: number[] = [];
  let forcedUnmount = false;
  if (!ended) {
    if (await isAlive(pid)) killedPids = (await killTree(pid)).killedPids;
    if ((await probeMount(mountDir, { timeoutMs: 500 })) !== 'none') {
      await forceUnmount(mountDir);
      forcedUnmount = true;
    }
  }
  await removePidFile(state.pidFile);
  return { wasRunning: true, pid, forced: killedPids.length > 0, killedPids, forcedUnmount, clearedStalePidFile: false };
}
