// One mount per state directory: two mounts restoring and saving the same project would each overwrite the other's.
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AudiofsError } from '../base/errors.js';
import { readProcStat } from '../base/proc-stat.js';

/** The lock's file name inside the state directory. */
export const LOCK_FILE = 'mount.lock';

/** Who holds a lock: a process, told apart from a later one with the same pid by when it started. */
interface Holder {
  pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks after boot); null where there is no /proc. */
  started: string | null;
}

/** A held lock; release() removes it if it is still this process's. */
export interface StateLock {
  release(): Promise<void>;
}

/**
 * Takes the state directory for this process: refused (EBUSY, naming the holder) while another live
 * process holds it; a lock left by a process that is gone (kill -9, a crash) is taken over.
 */
export async function lockStateDir(root: string, pid = process.pid): Promise<StateLock> {
  const file = join(root, LOCK_FILE);
  const me: Holder = { pid, started: await startTime(pid) };
  const text = `${me.pid} ${me.started ?? '-'}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return { release: () => releaseIfOurs(file, text) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = parseHolder(await readFile(file, 'utf8').catch(() => ''));
    if (holder && holder.pid !== pid && (await isSame(holder))) {
      throw new AudiofsError('EBUSY', 'mount', root, `state_dir is in use by audiofs process ${holder.pid} (expected one mount per state_dir: unmount it, or give this mount another state_dir)`);
    }
    // Left by a process that is gone (or by this one, before an exec): stale.
    await unlink(file).catch(() => undefined);
  }
  throw new AudiofsError('EBUSY', 'mount', root, 'state_dir lock: another mount keeps taking it (expected one mount per state_dir)');
}

async function releaseIfOurs(file: string, text: string): Promise<void> {
  const now = await readFile(file, 'utf8').catch(() => undefined);
  if (now === text) await unlink(file).catch(() => undefined);
}

function parseHolder(text: string): Holder | undefined {
  const m = /^(\d+) (\S+)\n?$/.exec(text);
  if (!m) return undefined;
  return { pid: Number(m[1]), started: m[2] === '-' ? null : m[2] };
}

/** Whether the holder is still the process that wrote the lock (alive, not a zombie, the same start time). */
async function isSame(holder: Holder): Promise<boolean> {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = await readProcStat(holder.pid);
  if (stat === undefined) return process.platform !== 'linux';
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return holder.started === null || stat.startTime === holder.started;
}

async function startTime(pid: number): Promise<string | null> {
  return (await readProcStat(pid))?.startTime ?? null;
}
