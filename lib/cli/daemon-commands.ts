import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { loadConfig } from '../config/load-config.js';
import { DaemonError } from '../daemon/daemon-error.js';
import { daemonStatus } from '../daemon/daemon-status.js';
import { findDaemon } from '../daemon/find-daemon.js';
import { restartDaemon } from '../daemon/restart-daemon.js';
import { startDaemon } from '../daemon/start-daemon.js';
import { stopDaemon } from '../daemon/stop-daemon.js';
import { launcherCommand } from './launcher.js';

/** What a daemon command needs: the mount directory, the config file, the audiofs launcher and where to print. */
export interface DaemonCommandOptions {
  dir: string;
  configFile?: string;
  /** bin/audiofs, run with this Node. */
  launcher: string;
  out: (text: string) => void;
}

/** The daemon a command is about: by `--config` when given, else the one running on the directory (whatever config it was started with), else the default config's. */
async function target(options: DaemonCommandOptions) {
  const mountDir = resolve(options.dir);
  const found = options.configFile === undefined ? await findDaemon(mountDir) : undefined;
  const configFile = options.configFile === undefined ? found?.configFile : resolve(options.configFile);
  const command = [...launcherCommand(options.launcher), 'mount', mountDir, ...(configFile ? ['--config', configFile] : [])];
  if (found) return { mountDir, configFile, stateDir: found.stateDir, command };
  const { config } = await loadConfig(configFile, { mountDir });
  return { mountDir, configFile, stateDir: config.stateDir, command };
}

/** audiofs start DIR: mounts as a daemon, returns once the mount is ready and prints the pid. */
export async function startCommand(options: DaemonCommandOptions): Promise<number> {
  const t = await target(options);
  try {
    const started = await startDaemon({ mountDir: t.mountDir, stateDir: t.stateDir, command: t.command, configFile: t.configFile });
    options.out(`${started.pid}\n`);
    return 0;
  } catch (err) {
    throw withLog(err);
  }
}

/** audiofs stop DIR: unmounts cleanly (every client ended, every encoder flushed). */
export async function stopCommand(options: DaemonCommandOptions): Promise<number> {
  const t = await target(options);
  const stopped = await stopDaemon({ mountDir: t.mountDir, stateDir: t.stateDir });
  if (!stopped.wasRunning) {
    options.out(`not running${stopped.forcedUnmount ? ' (a dead mount was cleared)' : ''}\n`);
    return 0;
  }
  options.out(`stopped ${stopped.pid}${stopped.forced ? ' (forced: SIGKILL)' : ''}\n`);
  return 0;
}

/** audiofs restart DIR: stop (if running), then start; prints the new pid. */
export async function restartCommand(options: DaemonCommandOptions): Promise<number> {
  const t = await target(options);
  try {
    const { started } = await restartDaemon({ mountDir: t.mountDir, stateDir: t.stateDir, command: t.command, configFile: t.configFile });
    options.out(`${started.pid}\n`);
    return 0;
  } catch (err) {
    throw withLog(err);
  }
}

/** audiofs status DIR: running or not, the pid, and (when running) the transport and chains from DIR/status; exit 3 when not running. */
export async function statusCommand(options: DaemonCommandOptions): Promise<number> {
  const t = await target(options);
  const s = await daemonStatus({ mountDir: t.mountDir, stateDir: t.stateDir });
  if (!s.running) {
    options.out(`not running${s.mount !== 'none' ? ` (mount: ${s.mount})` : ''}\nstate: ${t.stateDir}\n`);
    return 3;
  }
  const lines = [`running`, `pid: ${s.pid}`, `state: ${t.stateDir}`, `log: ${s.logFile}`];
  try {
    const st = yaml.load(await readFile(join(t.mountDir, 'status'), 'utf8')) as Record<string, unknown>;
    lines.push(`transport: ${st.transport} (${st.mode}) at ${st.position} s`);
    const chains = (st.chains ?? {}) as Record<string, { state: string; stages: Array<{ name: string; state: string }> }>;
    for (const [name, c] of Object.entries(chains)) {
      lines.push(`chain ${name}: ${c.state}${c.stages.length ? `: ${c.stages.map((x) => `${x.name} ${x.state}`).join(', ')}` : ''}`);
    }
  } catch (err) {
    lines.push(`status: unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  options.out(`${lines.join('\n')}\n`);
  return 0;
}

function withLog(err: unknown): unknown {
  if (err instanceof DaemonError && err.logTail) err.message += `\nlog:\n${err.logTail}`;
  return err;
}
