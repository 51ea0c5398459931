import { spawn } from 'node:child_process';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateDir } from '../state/state-dir.js';
import { loadConfig } from '../config/load-config.js';
import { DaemonError } from './daemon-error.js';
import { daemonStatus, type DaemonTarget } from './daemon-status.js';
import { logTail } from './log-tail.js';
import { forceUnmount } from './mounts.js';
import { removePidFile, writePidFile } from './pid-file.js';
import { endProcessTree } from './end-process-tree.js';

/** How to start a daemon. */
export interface StartDaemonOptions extends DaemonTarget {
  /** The foreground mount command, argv[0] first; it must name mountDir by its absolute path. */
  readonly command: readonly string[];
  /** The config file the command names (`--config FILE`): checked before anything starts, so a bad one fails here. */
  readonly configFile?: string;
  /** How long to wait for MOUNTDIR/ctl; default 15 s. */
  readonly timeoutMs?: number;
  /** The daemon's environment; default process.env. AUDIOFS_DAEMON=1 and AUDIOFS_STATE_DIR are added. */
  readonly env?: NodeJS.ProcessEnv;
  /** The daemon's working directory; default the caller's. */
  readonly cwd?: string;
}

/** A started daemon and what had to be cleared first. */
export interface StartedDaemon {
  readonly pid: number;
  readonly pidFile: string;
  readonly logFile: string;
  /** A pid file of a dead (or recycled) process was removed. */
  readonly clearedStalePidFile: boolean;
  /** A dead FUSE mount was detached from the directory. */
  readonly clearedStaleMount: boolean;
}

const POLL_MS = 50;

/**
 * Starts the mount command as a daemon (own session, stdin /dev/null, stdout and stderr appended
 * to the log file), writes the pid file and resolves once MOUNTDIR/ctl appears. Refuses when a daemon
 * already serves the directory or something else is mounted there; clears a stale mount and pid file first.
 */
export async function startDaemon(options: StartDaemonOptions): Promise<StartedDaemon> {
  const mountDir = resolve(options.mountDir);
  if (!options.command.includes(mountDir)) {
    throw new TypeError(`startDaemon: command: expected an argument naming ${mountDir}, got ${JSON.stringify(options.command)}`);
  }
  if (options.configFile !== undefined) await loadConfig(options.configFile, { mountDir, env: options.env });
  const state = await new StateDir(options.stateDir).ensure();
  const status = await daemonStatus({ mountDir, stateDir: state.root });
  if (status.running) {
    throw new DaemonError('already-running', mountDir, `already served by a running daemon (pid ${status.pid})`, { pid: status.pid });
  }
  if (status.mount === 'live' || status.mount === 'hung') {
    throw new DaemonError('mount-busy', mountDir, `expected no FUSE mount, got a ${status.mount} one not started from ${state.pidFile}`);
  }
  if (status.stalePidFile) await removePidFile(state.pidFile);
  if (status.mount === 'stale') await forceUnmount(mountDir);

  const ctl = join(mountDir, 'ctl');
  const before = await stat(ctl).catch(() => undefined);
  await mkdir(state.root, { recursive: true });
  const log = await open(state.logFile, 'a', 0o600);
  let pid: number;
  let exit: { code: number | null; signal: string | null } | undefined;
  try {
    await log.write(`${new Date().toISOString()} info daemon: starting ${options.command.join(' ')}\n`);
    const child = await spawnDetached(options, log, state.root);
    pid = child.pid;
    child.process.on('exit', (code, sig) => { exit = { code, signal: sig }; });
    child.process.unref();
  } finally {
    await log.close();
  }
  await writePidFile(state.pidFile, pid);

  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    if (exit !== undefined) {
      await removePidFile(state.pidFile);
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with ${exit.code}`;
      throw new DaemonError('exited', mountDir, `the daemon (pid ${pid}) ${how} before ${ctl} appeared`, {
        pid, exitCode: exit.code, signal: exit.signal, logTail: await logTail(state.logFile),
      });
    }
    const now = await stat(ctl).catch(() => undefined);
    if (now && (before === undefined || now.ino !== before.ino || now.dev !== before.dev)) break;
    if (Date.now() >= deadline) {
      const tail = await logTail(state.logFile);
      await endProcessTree(pid, { graceMs: 1000 });
      await removePidFile(state.pidFile);
      throw new DaemonError('not-ready', mountDir, `expected ${ctl} within ${options.timeoutMs ?? 15_000} ms, it never appeared; the daemon (pid ${pid}) was stopped`, {
        pid, logTail: tail,
      });
    }
    await sleep(POLL_MS);
  }
  return {
    pid,
    pidFile: state.pidFile,
    logFile: state.logFile,
    clearedStalePidFile: status.stalePidFile,
    clearedStaleMount: status.mount === 'stale',
  };
}

async function spawnDetached(options: StartDaemonOptions, log: FileHandle, stateRoot: string) {
  const [file, ...args] = options.command;
  const child = spawn(file, args, {
    detached: true,
    stdio: ['ignore', log.fd, log.fd],
    cwd: options.cwd ?? process.cwd(),
    env: { ...(options.env ?? process.env), AUDIOFS_DAEMON: '1', AUDIOFS_STATE_DIR: stateRoot },
  });
  await new Promise<void>((done, fail) => {
    child.once('spawn', done);
    child.once('error', (err) => fail(new DaemonError('spawn-failed', resolve(options.mountDir),
      `cannot run ${file}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { cause: err })));
  });
  return { process: child, pid: child.pid as number };
}
