import { readdir, readFile } from 'node:fs/promises';
import { readProcStat } from '../base/proc-stat.js';

/** Kernel functions a thread sleeps in while it reads a pipe or a socket pair (Node's child stdio). */
const READING = /pipe_read|pipe_wait|unix_stream_read/;

/** Kernel functions an event loop (Node, Python's asyncio, a poll/select loop) sleeps in while it has nothing to do. */
const IDLE_LOOP = /ep_poll|do_epoll_wait|do_sys_poll|poll_schedule_timeout|do_select|core_sys_select/;

/**
 * Whether a process is waiting for its input now (its stdin, for a stage), from Linux's /proc: its main
 * thread sleeps reading a pipe or a socket; or, with `idleLoop` (asked before the process has written
 * anything, when an idle event loop can only be waiting for its input), it is an event loop with nothing to
 * do (main thread idle in epoll/poll/select, no thread running or in uninterruptible sleep: a Node client
 * such as audiofs-synth waiting for the end of its input). A process computing (a thread running, as
 * audiofs-dj decoding in a worker) or sleeping on a timer is not. Where /proc cannot be read (another
 * system), true: the caller then treats the process as one waiting for its input.
 */
export async function waitsOnInput(pid: number, options: { idleLoop?: boolean } = {}): Promise<boolean> {
  let wchan: string;
  try {
    wchan = await readFile(`/proc/${pid}/wchan`, 'utf8');
  } catch {
    return true;
  }
  if (READING.test(wchan)) return true;
  if (!options.idleLoop || !IDLE_LOOP.test(wchan)) return false;
  return !(await anyThreadBusy(pid));
}

/** Whether a thread of the process is running or runnable (R) or in uninterruptible sleep (D, disk I/O). */
async function anyThreadBusy(pid: number): Promise<boolean> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const tid of tasks) {
    const state = (await readProcStat(`${pid}/task/${tid}`))?.state;
    if (state === 'R' || state === 'D') return true;
  }
  return false;
}
