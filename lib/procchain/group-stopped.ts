import { readdir } from 'node:fs/promises';
import { readProcStat } from '../base/proc-stat.js';

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
    return (await readProcStat(n))?.pgrp === pgid ? n : undefined;
  }))).filter((n): n is string => n !== undefined);
  for (const pid of members) {
    const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
    for (const t of tasks) {
      const f = await readProcStat(`${pid}/task/${t}`);
      if (f && !'TtZX'.includes(f.state)) return false;
    }
  }
  return true;
}

