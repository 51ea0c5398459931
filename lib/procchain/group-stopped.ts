import { readdir, readFile } from 'node:fs/promises';

/**
 * Waits (at most `limitMs`) until every thread of every process in the process group `pgid` is stopped
 * (SIGSTOP has reached it) or gone; true when it is. kill(2) returns before the target has stopped: a
 * process in the middle of a write finishes that write first, and what it writes must not come after
 * the splice that took it out.
 */
export async function whenGroupStopped(pgid: number, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (await groupStopped(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function groupStopped(pgid: number): Promise<boolean> {
  const names = await readdir('/proc').catch(() => [] as string[]);
  const members = (await Promise.all(names.filter((n) => /^\d+$/.test(n)).map(async (n) => {
    const stat = await readFile(`/proc/${n}/stat`, 'utf8').catch(() => '');
    return fields(stat)?.pgrp === pgid ? n : undefined;
  }))).filter((n): n is string => n !== undefined);
  for (const pid of members) {
    const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
    for (const t of tasks) {
      const f = fields(await readFile(`/proc/${pid}/task/${t}/stat`, 'utf8').catch(() => ''));
      if (f && !'TtZX'.includes(f.state)) return false;
    }
  }
  return true;
}

/** The state letter and process group of a /proc/N/stat line (the command name may hold spaces and parentheses). */
function fields(stat: string): { state: string; pgrp: number } | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = stat.slice(close + 2).split(' ');
  return { state: rest[0], pgrp: Number(rest[2]) };
}
