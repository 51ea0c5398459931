// Shared by the daemon tests: a temporary mount directory and state directory, and the fixture programs.
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readPidFile } from '../../lib/daemon/pid-file.js';
import { killTree } from '../../lib/daemon/end-process-tree.js';
import { forceUnmount, fuseMountAt } from '../../lib/daemon/mounts.js';
import { isAlive } from '../../lib/daemon/proc-info.js';

/** The path of a fixture program in fixtures/daemon. */
export function fixture(name: string): string {
  return resolve(import.meta.dirname, '../../../fixtures/daemon', name);
}

/** A temporary place for one daemon: the mount directory, the state directory, an environment whose HOME is inside. */
export interface Place {
  readonly root: string;
  readonly mountDir: string;
  readonly stateDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** The mount command running `program` from fixtures/daemon. */
  command(program: string, ...extra: string[]): string[];
  /** Kills whatever the pid file names and any extra pids, detaches any mount, removes the directory. */
  cleanup(...pids: number[]): Promise<void>;
}

/** Makes a Place; `mountName` may contain spaces to exercise escaping in /proc/mounts. */
export async function makePlace(mountName = 'studio'): Promise<Place> {
  const root = await mkdtemp(join(tmpdir(), 'audiofs-daemon-'));
  const mountDir = join(root, mountName);
  const stateDir = join(root, 'state');
  await mkdir(mountDir);
  const env = { ...process.env, HOME: root, XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'xdg-state') };
  return {
    root,
    mountDir,
    stateDir,
    env,
    command: (program, ...extra) => [process.execPath, fixture(program), 'mount', mountDir, ...extra],
    async cleanup(...pids) {
      const pid = await readPidFile(join(stateDir, 'audiofs.pid'));
      for (const p of [...pids, ...(pid === undefined ? [] : [pid])]) {
        if (await isAlive(p)) await killTree(p);
      }
      if (await fuseMountAt(mountDir)) await forceUnmount(mountDir);
      await rm(root, { recursive: true, force: true });
    },
  };
}
