import { resolve } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { startDaemon, type StartDaemonOptions, type StartedDaemon } from './start-daemon.js';
import { stopDaemon, type StoppedDaemon } from './stop-daemon.js';

/** How to restart a daemon: how to start it, and how long it gets to stop. */
export interface RestartDaemonOptions extends StartDaemonOptions {
  readonly stopTimeoutMs?: number;
}

/** Stops the daemon of a mount directory (if one runs) and starts it again; a bad config file fails before the stop. */
export async function restartDaemon(options: RestartDaemonOptions): Promise<{ stopped: StoppedDaemon; started: StartedDaemon }> {
  if (options.configFile !== undefined) {
    await loadConfig(options.configFile, { mountDir: resolve(options.mountDir), env: options.env });
  }
  const stopped = await stopDaemon({ mountDir: options.mountDir, stateDir: options.stateDir, timeoutMs: options.stopTimeoutMs });
  const started = await startDaemon(options);
  return { stopped, started };
}
