// CPU time, as the benchmarks report it: a process's (all its threads), one thread's, and the whole machine's
// (what a relay costs every process taking part: the stages, the reader, the mount; when a run keeps every CPU
// busy, its speed is the machine's CPU per byte, whoever spends it). Linux /proc.
import { readFileSync } from 'node:fs';

/** utime + stime of a /proc stat file, in seconds (the fields after the command name, which may hold spaces). */
function statCpuSeconds(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds the process `pid` has used (all its threads). */
export function processCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** CPU seconds the thread `tid` of process `pid` has used. */
export function threadCpuSeconds(pid: number, tid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${tid}/stat`);
}

/** Seconds of CPU the machine's CPUs have been busy since boot (user, nice, system, irq, softirq; /proc/stat). */
export function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq] = fields;
  return (user + nice + system + irq + softirq) / 100;
}
