// What the kernel says about a process: alive or not, its argv, its children (Linux /proc; `ps` elsewhere).
import { readFile, readdir } from 'node:fs/promises';
import { execa } from 'execa';
import { readProcStat, type ProcStatFields } from '../base/proc-stat.js';

const HAS_PROC = process.platform === 'linux';

/** Whether a process exists and is not a zombie. */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = await readStat(pid);
  return stat === undefined ? !HAS_PROC : stat.state !== 'Z' && stat.state !== 'X';
}

/** A process's argv as it was exec'd, or undefined when it is gone. */
export async function readCmdline(pid: number): Promise<string[] | undefined> {
  if (HAS_PROC) {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
    if (raw === undefined || raw === '') return undefined;
    return raw.replace(/\0$/, '').split('\0');
  }
  const ps = await execa('ps', ['-o', 'command=', '-p', String(pid)], { reject: false });
  return ps.exitCode === 0 && ps.stdout.trim() !== '' ? ps.stdout.trim().split(/\s+/) : undefined;
}

/** A process's /proc/PID/stat fields (lib/base/proc-stat.ts), with its id. */
export interface ProcStat extends ProcStatFields {
  readonly pid: number;
}

/** Reads /proc/PID/stat (undefined when it is gone or there is no /proc). */
export async function readStat(pid: number): Promise<ProcStat | undefined> {
  if (!HAS_PROC) return undefined;
  const stat = await readProcStat(pid);
  return stat && { pid, ...stat };
}

/** Every process that descends from `pid` or shares its session, not counting `pid` itself. */
export async function descendants(pid: number): Promise<number[]> {
  if (!HAS_PROC) return [];
  const names = await readdir('/proc').catch(() => [] as string[]);
  const stats = (await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => readStat(Number(n)))))
    .filter((s): s is ProcStat => s !== undefined);
  const found = new Set<number>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of stats) {
      if (s.pid === pid || found.has(s.pid)) continue;
      if (s.ppid === pid || found.has(s.ppid) || s.session === pid) {
        found.add(s.pid);
        grew = true;
      }
    }
  }
  return [...found];
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
