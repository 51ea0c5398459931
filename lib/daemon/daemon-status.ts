import { resolve } from 'node:path';
import { StateDir } from '../state/state-dir.js';
import { canonicalMountPath, probeMount, type MountState } from './mounts.js';
import { readPidFile } from './pid-file.js';
import { isAlive, readCmdline } from './proc-info.js';

/** Which daemon: the mount directory it serves and the state directory holding its pid and log files. */
export interface DaemonTarget {
  readonly mountDir: string;
  readonly stateDir: string;
}

/** What is known about the daemon of a mount directory. */
export interface DaemonStatus {
  /** A live process from the pid file whose argv names the mount directory. */
  readonly running: boolean;
  /** The running daemon's pid, else null. */
  readonly pid: number | null;
  /** A pid file names a process that is gone or is not ours (a recycled pid). */
  readonly stalePidFile: boolean;
  /** What is mounted at the directory: none, live, stale (server dead), hung (no answer). */
  readonly mount: MountState;
  /** The running daemon's argv. */
  readonly cmdline: string[] | null;
  readonly pidFile: string;
  readonly logFile: string;
}

/** Whether a process's argv names the mount directory: how a recycled pid is told from ours. */
export async function servesMountDir(pid: number, mountDir: string): Promise<string[] | undefined> {
  if (!(await isAlive(pid))) return undefined;
  const argv = await readCmdline(pid);
  if (argv === undefined) return undefined;
  const wanted = new Set([resolve(mountDir), await canonicalMountPath(mountDir)]);
  return argv.slice(1).some((a) => a.startsWith('/') && wanted.has(resolve(a))) ? argv : undefined;
}

/** Reads the pid file, checks the process and probes the mount; changes nothing. */
export async function daemonStatus(target: DaemonTarget): Promise<DaemonStatus> {
  const state = new StateDir(target.stateDir);
  const pid = await readPidFile(state.pidFile);
  const cmdline = pid === undefined ? undefined : await servesMountDir(pid, target.mountDir);
  const mount = await probeMount(target.mountDir);
  return {
    running: cmdline !== undefined,
    pid: cmdline !== undefined && pid !== undefined ? pid : null,
    stalePidFile: pid !== undefined && cmdline === undefined,
    mount,
    cmdline: cmdline ?? null,
    pidFile: state.pidFile,
    logFile: state.logFile,
  };
}
