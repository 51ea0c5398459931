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
  return (await nextScan()).get(lineage) ?? [];
}

let scanning: Promise<Map<string, number[]>> | undefined;

/**
 * One reading of /proc for every request made until it starts (stopping a project ends all its stages at
 * once: one pass over the machine's processes serves them all, not one pass each).
 */
function nextScan(): Promise<Map<string, number[]>> {
  scanning ??= new Promise((resolve) => setImmediate(() => {
    scanning = undefined;
    resolve(lineages());
  }));
  return scanning;
}

/** Every process that carries a lineage, by lineage. */
async function lineages(): Promise<Map<string, number[]>> {
  const key = Buffer.from(`${LINEAGE_VAR}=`);
  const found = new Map<string, number[]>();
  const names = await readdir('/proc').catch(() => [] as string[]);
  await Promise.all(names.filter((n) => /^\d+$/.test(n)).map(async (n) => {
    const env = await readFile(`/proc/${n}/environ`).catch(() => undefined);
    if (!env) return;
    for (let at = env.indexOf(key); at >= 0; at = env.indexOf(key, at + 1)) {
      if (at > 0 && env[at - 1] !== 0) continue;
      const end = env.indexOf(0, at);
      const value = env.subarray(at + key.length, end < 0 ? env.length : end).toString();
      found.set(value, [...(found.get(value) ?? []), Number(n)]);
      break;
    }
  }));
  return found;
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
