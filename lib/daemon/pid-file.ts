import { readFile, unlink } from 'node:fs/promises';
import { writeFileAtomic } from '../state/write-file-atomic.js';

/** The pid in a pid file, or undefined when there is none or it holds no number. */
export async function readPidFile(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const pid = text === undefined ? NaN : Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Writes a pid file (one line), atomically. */
export async function writePidFile(file: string, pid: number): Promise<void> {
  await writeFileAtomic(file, `${pid}\n`, { mode: 0o644 });
}

/** Removes a pid file if it is there. */
export async function removePidFile(file: string): Promise<void> {
  await unlink(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
