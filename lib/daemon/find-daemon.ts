// Finding the daemon of a mount directory from the directory alone, whatever config it was started with.
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { servesMountDir } from './daemon-status.js';

/** A running mount process found by its mount directory: its pid, state directory and config file. */
export interface FoundDaemon {
  readonly pid: number;
  readonly stateDir: string;
  readonly configFile: string | undefined;
}

/** The environment variable a daemon is started with that names its state directory (start-daemon). */
export const STATE_DIR_ENV = 'AUDIOFS_STATE_DIR';

/**
 * The audiofs process serving `mountDir` (`... audiofs mount DIR [--config FILE]`, a daemon or in the
 * foreground), found in /proc: its state directory from its environment (the daemon's AUDIOFS_STATE_DIR),
 * its config file from its argv. Undefined when none runs, or on a system without /proc.
 */
export async function findDaemon(mountDir: string): Promise<FoundDaemon | undefined> {
  if (process.platform !== 'linux') return undefined;
  const names = await readdir('/proc').catch(() => [] as string[]);
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const argv = await servesMountDir(pid, mountDir).catch(() => undefined);
    if (!argv) continue;
    const at = argv.indexOf('mount');
    if (at < 0 || !argv.slice(0, at).some((a) => /(^|\/)audiofs(\.js)?$/.test(a))) continue;
    const env = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    const stateDir = env.split('\0').find((v) => v.startsWith(`${STATE_DIR_ENV}=`))?.slice(STATE_DIR_ENV.length + 1);
    const c = argv.indexOf('--config', at);
    const configFile = c >= 0 && argv[c + 1] !== undefined && isAbsolute(argv[c + 1]) ? argv[c + 1] : undefined;
    if (stateDir && isAbsolute(stateDir)) return { pid, stateDir, configFile };
    // A foreground mount has no AUDIOFS_STATE_DIR: its config says where.
    if (configFile) {
      const { config } = await loadConfig(configFile, { mountDir }).catch(() => ({ config: undefined }));
      if (config) return { pid, stateDir: config.stateDir, configFile };
    }
  }
  return undefined;
}
