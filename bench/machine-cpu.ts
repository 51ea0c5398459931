// The whole machine's CPU time: what a relay costs every process taking part (the stages, the reader, the mount),
// not only the mount. When a run keeps every CPU busy, its speed is the machine's CPU per byte, whoever spends it.
import { readFileSync } from 'node:fs';

/** Seconds of CPU the machine's CPUs have been busy since boot (user, nice, system, irq, softirq; /proc/stat). */
export function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq] = fields;
  return (user + nice + system + irq + softirq) / 100;
}
