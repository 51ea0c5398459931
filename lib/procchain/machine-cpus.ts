import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { AudiofsError } from '../base/errors.js';

/** The CPUs this process may run on (Linux: its affinity mask; elsewhere 0..N-1), as taskset lists them. */
export async function allowedCpus(): Promise<{ set: Set<number>; list: string }> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const list = /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1] ?? `0-${availableParallelism() - 1}`;
  return { set: cpuSet(list), list };
}

/** The CPUs of a taskset list such as `0-2,4`. */
export function cpuSet(list: string): Set<number> {
  const set = new Set<number>();
  for (const part of list.split(',')) {
    const [from, to = from] = part.split('-').map(Number);
    for (let cpu = from; cpu <= to && cpu - from < 4096; cpu++) set.add(cpu);
  }
  return set;
}

/** Refuses a `cpu LIST` sched line that names a CPU this machine does not let audiofs use. */
export async function checkCpuList(cpus: string, line: string, where: string): Promise<void> {
  for (const [, from, to] of cpus.matchAll(/(\d+)-(\d+)/g)) {
    if (Number(to) < Number(from)) throw new AudiofsError('EINVAL', 'write', where, `'${line}': range ${from}-${to} is backwards (expected FIRST-LAST)`);
  }
  const allowed = await allowedCpus();
  const missing = [...cpuSet(cpus)].filter((cpu) => !allowed.set.has(cpu));
  if (missing.length === 0) return;
  throw new AudiofsError('EINVAL', 'write', where,
    `'${line}': CPU ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''} is not available on this machine (expected CPUs from ${allowed.list})`);
}
