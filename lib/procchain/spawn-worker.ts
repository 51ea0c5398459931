// The worker thread that starts stage processes, off the thread that answers FUSE requests and mixes: Node's
// spawn forks (the kernel copies the mount's page tables meanwhile) and then waits until the child has exec'd,
// which on a busy machine waits for a CPU: 10 ms and more a stage, every request and the mix's clock held.
// Here only this thread waits; and where the addon runs (native-spawn.ts) it starts them with posix_spawn,
// which copies nothing of the mount. The child's descriptors are the main thread's (numbers are the
// process's): this thread owns no stream of a child, it only starts it and reports when it exited.
import { spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { posixSpawn, posixSpawnAvailable } from './native-spawn.js';

/** What the main thread asks: start `file` with these descriptors as its stdio (0, 1, 2, then any more; "ignore": closed). */
export interface SpawnRequest {
  id: number;
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  stdio: Array<number | 'ignore'>;
  /** Node's spawn (a fork of the whole process) instead of posix_spawn: the benchmark's middle row. */
  fork?: boolean;
}

/** What the worker answers, per request: started (with its pid) or not, and later its exit; first, that it runs. */
export type SpawnReply =
  | { id: 0; kind: 'thread'; tid: number | undefined }
  | { id: number; kind: 'started'; pid: number }
  | { id: number; kind: 'failed'; message: string }
  | { id: number; kind: 'exit'; code: number | null; signal: NodeJS.Signals | null };

const port = parentPort!;

// First, that it runs, with its thread id where the system tells it (/proc/thread-self is /proc/PID/task/TID),
// for its scheduling policy (engine-priority.ts).
let tid: number | undefined;
try {
  tid = Number(/\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1]) || undefined;
} catch {
  // Not Linux: no thread id to give.
}
port.postMessage({ id: 0, kind: 'thread', tid } satisfies SpawnReply);

port.on('message', (r: SpawnRequest) => {
  const post = (reply: SpawnReply) => port.postMessage(reply);
  if (!r.fork && posixSpawnAvailable()) {
    let pid: number;
    try {
      pid = posixSpawn(r, (exit) => post({ id: r.id, kind: 'exit', ...exit }));
    } catch (err) {
      post({ id: r.id, kind: 'failed', message: (err as Error).message });
      return;
    }
    post({ id: r.id, kind: 'started', pid });
    return;
  }
  let child;
  try {
    // detached: a process group (and session) of its own, which bypass and removal signal as a whole.
    child = spawn(r.file, r.args, { cwd: r.cwd, env: r.env, stdio: r.stdio, detached: true });
  } catch (err) {
    post({ id: r.id, kind: 'failed', message: (err as Error).message });
    return;
  }
  if (child.pid === undefined) {
    child.once('error', (err) => post({ id: r.id, kind: 'failed', message: err.message }));
    return;
  }
  child.once('error', () => undefined);
  post({ id: r.id, kind: 'started', pid: child.pid });
  child.once('exit', (code, signal) => post({ id: r.id, kind: 'exit', code, signal }));
});
