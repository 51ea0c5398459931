import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { delimiter } from 'node:path';
import { Logger, type LogLevel } from '../base/logger.js';
import type { Config } from '../config/config-types.js';
import { StateDir } from '../state/state-dir.js';
import type { StateLock } from '../state/state-lock.js';
import { LiveConfig } from '../studio/live-config.js';
import { configFile } from './config-file.js';
import { LogFile } from './log-file.js';
import { Access } from './access.js';
import { FuseMount } from './fuse-adapter.js';
import { SavedInputs, VersionedInput } from '../studio/saved-inputs.js';
import { StateSaver } from '../studio/state-saver.js';
import { removeStaleSpills } from '../studio/stale-spills.js';
import { killOrphans } from '../procchain/descendants.js';
import { EXPORTS_DIR, removeStaleExports } from '../mix/sinks/file-export.js';
import { Project } from '../studio/project.js';
import { Tree } from './tree.js';
import { placeCompilerThreads, placeSpawningThread, raiseEngine } from '../procchain/engine-priority.js';

/** The directory of audiofs's own programs (audiofs-synth, ...), appended to every client's PATH. */
export const BIN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin');

/** The variable every client is started with: the state directory of its mount (how orphans are told). */
const STATE_DIR_VAR = 'AUDIOFS_STATE_DIR';

/** Options of a served mount. */
export interface ServeOptions {
  mountpoint: string;
  config: Config;
  debug?: boolean;
  logLevel?: LogLevel;
  /** Where log lines also go (the foreground daemon: stderr). */
  echo?: (line: string) => void;
  allowOther?: boolean;
  /** The config file to watch (the --config file, or the default one when it exists). */
  configFile?: string;
}

/** A running audiofs: the project, its tree and the mount. */
export interface Served {
  project: Project;
  /** Resolves when the mount is taken away from outside (fusermount -u, umount): close() then ends the rest. */
  takenAway: Promise<void>;
  close(): Promise<void>;
}

/** Mounts a new project at a directory and serves it until close(). */
export async function serve(options: ServeOptions): Promise<Served> {
  const { config } = options;
  const logger = new Logger({ level: options.debug ? 'debug' : options.logLevel ?? config.log.level, echo: options.echo });
  const state = new StateDir(config.stateDir);
  const lock = await state.lock();
  try {
    return await serveLocked(options, logger, await state.ensure(), lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** What a crashed mount of this state directory left: its clients still running, its exports' temporary files. */
async function removeLeftovers(stateDir: string, spillDir: string, logger: Logger): Promise<void> {
  const orphans = await killOrphans(STATE_DIR_VAR, stateDir);
  if (orphans.length > 0) logger.warn(`start: ended ${orphans.length} processes a previous mount left running (pids ${orphans.join(' ')})`);
  for (const temp of await removeStaleExports(join(spillDir, EXPORTS_DIR))) {
    logger.warn(`start: removed ${temp}, the unfinished file of an export a previous mount was writing`);
  }
}

/** serve() once the state directory is this mount's. */
async function serveLocked(options: ServeOptions, logger: Logger, state: StateDir, lock: StateLock): Promise<Served> {
  const { config } = options;
  const spillDir = state.spillDir;
  await removeStaleSpills(spillDir);
  await removeLeftovers(config.stateDir, spillDir, logger);
  const inputs = new SavedInputs(join(spillDir, 'saved'));
  await inputs.ensure();
  let stores = 0;
  let saver: StateSaver | undefined;
  const logFile = new LogFile();
  for (const line of logger.recent()) logFile.append(line);
  logger.follow((line) => logFile.append(line));
  const path = [process.env.PATH ?? '/usr/bin:/bin', BIN_DIR].join(delimiter);
  const project = new Project({
    format: { rate: config.rate, channels: config.channels },
    period: config.period,
    logger,
    makeStore: () => new VersionedInput({ spillDir, name: `in-${++stores}` }),
    spillDir,
    cwd: process.cwd(),
    path,
    env: { ...process.env, PATH: path, [STATE_DIR_VAR]: config.stateDir },
    trace: options.debug ? (m) => logger.debug(m) : undefined,
  });
  const mountpoint = resolve(options.mountpoint);
  const live = new LiveConfig(config, { mountDir: mountpoint }, project.outputs, logger);
  const tree = new Tree(project, logFile, { config: configFile(live) });
  await project.outputs.apply(config);
  saver = new StateSaver(project, state, inputs, logger);
  await saver.restore();
  project.onChange = () => saver?.schedule();
  project.persist = (options) => saver?.commit(options) ?? Promise.resolve();
  // Watched before the mount is ready, so an edit made once ctl appears is never taken for the initial text.
  if (options.configFile) live.watch(options.configFile);
  const access = new Access({ ownerUid: process.getuid?.() ?? 0, ownerGid: process.getgid?.() ?? 0, group: config.group });
  const allowOther = options.allowOther ?? config.allowOther;
  const fuse = new FuseMount(mountpoint, tree, logger, { debug: options.debug, allowOther, access });
  // Before the mount serves anything: what a first request logs comes after this.
  const engineRaised = await raiseEngine({ logger });
  await placeCompilerThreads({ logger, engineRaised, engine: project.engine });
  placeSpawningThread({ logger, engineRaised });
  await fuse.mount();
  logger.info(`audiofs mounted at ${mountpoint}${allowOther ? `; other users may read what the mode bits allow${config.group !== null ? `, group ${config.group} may steer the transport and mixers` : ''}` : ''}`);
  let closing: Promise<void> | undefined;
  return {
    project,
    takenAway: fuse.takenAway,
    close: () => (closing ??= (async () => {
      logger.info('unmounting');
      live.close();
      await saver?.close();
      await project.shutdown();
      await fuse.unmount();
      await lock.release();
    })()),
  };
}
