// The threads of a process as /proc shows them: what each sleeps in, and on which condition variable.
import { readdir, readFile } from 'node:fs/promises';

/** The futex system call's number in /proc/PID/task/TID/syscall. */
const FUTEX = process.arch === 'arm64' ? '98' : '202';

export interface ThreadView {
  tid: number;
  /** The kernel function it sleeps in ('' when running). */
  wchan: string;
  /**
   * The condition variable it waits on, when it sleeps in futex: glibc's waiters sleep on one of two adjacent
   * words of it, so the word's 8-byte block names the variable.
   */
  cond: string | undefined;
}

export async function threadsOf(pid: number): Promise<ThreadView[]> {
  const tids = await readdir(`/proc/${pid}/task`);
  return Promise.all(tids.map(async (tid) => {
    const [call, word] = (await readFile(`/proc/${pid}/task/${tid}/syscall`, 'utf8').catch(() => '')).split(' ');
    return {
      tid: Number(tid),
      wchan: await readFile(`/proc/${pid}/task/${tid}/wchan`, 'utf8').catch(() => ''),
      cond: call === FUTEX && word?.startsWith('0x') ? (BigInt(word) >> 3n).toString(16) : undefined,
    };
  }));
}
