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
  const found = new Map<string, number[]>();
  for (const { pid, env } of await environments()) {
    const value = envValue(env, LINEAGE_VAR);
    if (value !== undefined) found.set(value, [...(found.get(value) ?? []), pid]);
  }
  return found;
}

/** Every process's environment block (those this user may read). */
async function environments(): Promise<Array<{ pid: number; env: Buffer }>> {
  const names = await readdir('/proc').catch(() => [] as string[]);
  const all = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map(async (n) => {
    const env: Buffer | undefined = await readFile(`/proc/${n}/environ`).catch(() => undefined);
    return env ? [{ pid: Number(n), env }] : [];
  }));
  return all.flat();
}

/** One variable of an environment block (NUL-separated NAME=value). */
function envValue(env: Buffer, name: string): string | undefined {
  const key = Buffer.from(`${name}=`);
  for (let at = env.indexOf(key); at >= 0; at = env.indexOf(key, at + 1)) {
    if (at > 0 && env[at - 1] !== 0) continue;
    const end = env.indexOf(0, at);
    return env.subarray(at + key.length, end < 0 ? env.length : end).toString();
  }
  return undefined;
}

/**
 * Ends (SIGKILL) the processes a previous mount of the same state directory left: stages and their
 * descendants carry a lineage and the state directory in their environment, and a mount that holds the
 * state directory's lock knows that no live mount started them. Returns their pids.
 */
export async function killOrphans(stateVar: string, stateDir: string): Promise<number[]> {
  const mine = `${process.pid}.`;
  const pids = (await environments())
    .filter(({ pid, env }) => {
      if (pid === process.pid) return false;
      const lineage = envValue(env, LINEAGE_VAR);
      return lineage !== undefined && !lineage.startsWith(mine) && envValue(env, stateVar) === stateDir;
    })
    .map(({ pid }) => pid);
  for (const pid of pids) {
    for (const sig of ['SIGKILL', 'SIGCONT'] as const) {
      try {
        process.kill(pid, sig);
      } catch {
        // gone already
      }
    }
  }
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
