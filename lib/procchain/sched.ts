import { setPriority } from 'node:os';
import { execa, type Options } from 'execa';
import { guardedStdio } from './spawn-guard.js';
import { AudiofsError } from '../base/errors.js';

/** One scheduling instruction of a `sched` file. */
export type SchedLine =
  | { kind: 'nice'; value: number }
  | { kind: 'rt'; policy: 'fifo' | 'rr'; priority: number }
  | { kind: 'cpu'; cpus: string };

const EXPECTED = "expected 'nice N' (-20..19), 'rt fifo|rr P' (1..99) or 'cpu LIST' (e.g. 1 or 0-2,4)";

/** Parses one line of a `sched` file. */
export function parseSchedLine(line: string, where: string): SchedLine {
  const words = line.trim().split(/\s+/);
  const bad = (): never => {
    throw new AudiofsError('EINVAL', 'write', where, `'${line}': ${EXPECTED}`);
  };
  switch (words[0]) {
    case 'nice': {
      const v = Number(words[1]);
      if (words.length !== 2 || !Number.isInteger(v) || v < -20 || v > 19) bad();
      return { kind: 'nice', value: v };
    }
    case 'rt': {
      const p = Number(words[2]);
      if (words.length !== 3 || (words[1] !== 'fifo' && words[1] !== 'rr') || !Number.isInteger(p) || p < 1 || p > 99) bad();
      return { kind: 'rt', policy: words[1] as 'fifo' | 'rr', priority: p };
    }
    case 'cpu':
      if (words.length !== 2 || !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(words[1])) bad();
      return { kind: 'cpu', cpus: words[1] };
    default:
      return bad();
  }
}

/** Applies sched lines to a running process (nice through setpriority, rt through chrt, cpu through taskset). */
export async function applySched(pid: number, lines: readonly string[]): Promise<void> {
  for (const text of lines) {
    const line = parseSchedLine(text, 'sched');
    switch (line.kind) {
      case 'nice':
        setPriority(pid, line.value);
        break;
      case 'rt':
        await execa('chrt', [line.policy === 'fifo' ? '-f' : '-r', '-p', String(line.priority), String(pid)], tool());
        break;
      case 'cpu':
        await execa('taskset', ['-a', '-p', '-c', line.cpus, String(pid)], tool());
        break;
    }
  }
}

function tool(): Options {
  // execa's exit cleanup would re-raise a SIGTERM that arrives meanwhile and cut audiofs's own shutdown short.
  return { stdio: guardedStdio() as unknown as Options['stdio'], cleanup: false };
}
