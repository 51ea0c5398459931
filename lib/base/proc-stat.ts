// A process's or thread's line in /proc (Linux): the fields audiofs reads, parsed in one place.
import { readFile } from 'node:fs/promises';

/** The fields of a /proc/PID/stat (or /proc/PID/task/TID/stat) line that audiofs reads. */
export interface ProcStatFields {
  /** The state letter: R running, S sleeping, D disk wait, T/t stopped, Z zombie, X dead. */
  readonly state: string;
  readonly ppid: number;
  /** Process group and session. */
  readonly pgrp: number;
  readonly session: number;
  /** When it started, in clock ticks since boot (field 22), as written: a process's identity with its id. */
  readonly startTime: string;
}

/**
 * Parses a stat line. The command name (field 2, in parentheses) may hold spaces and parentheses itself: the
 * fields after it follow the last ')'. Undefined for text that is not such a line.
 */
export function parseProcStat(text: string): ProcStatFields | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  if (f.length < 20 || f[0] === '') return undefined;
  return { state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]), session: Number(f[3]), startTime: f[19] };
}

/**
 * Reads /proc/WHERE/stat: WHERE a process id, 'self', or 'PID/task/TID'. Undefined when it is gone or there
 * is no /proc.
 */
export async function readProcStat(where: number | string): Promise<ProcStatFields | undefined> {
  const text = await readFile(`/proc/${where}/stat`, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseProcStat(text);
}
