import { readdir, readFile } from 'node:fs/promises';

/**
 * The variable every stage process is started with: its value is unique to that process, and every
 * descendant inherits it, even one that left the stage's process group with setsid.
 */
export const LINEAGE_VAR = 'AUDIOFS_LINEAGE';

let next = 0;

/** A new lineage value for a process about to be started. */
export function newLineage(): string {
  return `${process.pid}.${++next}`;
}

/** The pids of the processes started with that lineage (read from /proc/PID/environ). */
export async function processesOf(lineage: string): Promise<number[]> {
  const entry = Buffer.from(`${LINEAGE_VAR}=${lineage}\0`);
  const inner = Buffer.concat([Buffer.from([0]), entry]);
  const pids: number[] = [];
  const names = await readdir('/proc').catch(() => [] as string[]);
  await Promise.all(names.filter((n) => /^\d+$/.test(n)).map(async (n) => {
    const env = await readFile(`/proc/${n}/environ`).catch(() => undefined);
    if (env && (env.subarray(0, entry.length).equals(entry) || env.includes(inner))) pids.push(Number(n));
  }));
  return pids;
}

/** Kills every process of a lineage with SIGKILL (after SIGCONT, so a stopped one goes too); returns how many. */
export async function killLineage(lineage: string): Promise<number> {
  const pids = (await processesOf(lineage)).filter((p) => p !== process.pid);
  for (const pid of pids) {
    for (const sig of ['SIGKILL', 'SIGCONT'] as const) {
      try {
        process.kill(pid, sig);
      } catch {
        // gone already
      }
    }
  }
  return pids.length;
}
