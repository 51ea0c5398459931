import { Worker } from 'node:worker_threads';
import type { SpawnReply, SpawnRequest } from './spawn-worker.js';

/** How a process ended: its exit code, or the signal that killed it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process the spawner started: its pid, and its exit once it is reaped. */
export interface SpawnedProcess {
  pid: number;
  exited: Promise<ProcessExit>;
}

/** The spawning thread ended (or never ran) before it started the process: nothing was started. */
export class SpawningThreadLost extends Error {
  constructor(why: string) {
    super(`the spawning thread ended before the start (${why})`);
  }
}

/** What to start: like SpawnRequest, without the id the spawner gives it. */
export type SpawnOrder = Omit<SpawnRequest, 'id'>;

interface Pending {
  started: (p: SpawnedProcess) => void;
  failed: (err: Error) => void;
  exit?: (e: ProcessExit) => void;
}

/**
 * Starts processes from a worker thread (spawn-worker.ts), so that the fork and the wait for the child's exec
 * never hold the thread that answers FUSE requests and mixes. The worker is made at the first spawn and lives
 * as long as the process; as Node's own children do, a process starting or running keeps the process alive.
 */
class Spawner {
  private worker: Worker | undefined;
  private serial = 0;
  private readonly pending = new Map<number, Pending>();
  private tid: number | undefined;
  /** The worker said it runs (its first message). */
  private running = false;
  /** Why the worker could not run, if it never did: every start is made another way from then on. */
  private broken: string | undefined;
  private readonly threadWatchers: Array<(tid: number) => void> = [];

  /** Calls `watcher` with the spawning thread's id once it runs (at once if it does), and for any later one. */
  watchThread(watcher: (tid: number) => void): void {
    this.threadWatchers.push(watcher);
    if (this.tid !== undefined) watcher(this.tid);
  }

  spawn(order: SpawnOrder): Promise<SpawnedProcess> {
    // A worker that could not run once will not run the next time either (its module, the system's threads).
    if (this.broken !== undefined) return Promise.reject(new SpawningThreadLost(this.broken));
    let worker: Worker;
    try {
      worker = this.worker ?? this.start();
    } catch (err) {
      this.broken = (err as Error).message;
      return Promise.reject(new SpawningThreadLost(this.broken));
    }
    const id = ++this.serial;
    return new Promise((started, failed) => {
      this.pending.set(id, { started, failed });
      worker.ref();
      worker.postMessage({ ...order, id } satisfies SpawnRequest);
    });
  }

  private start(): Worker {
    const worker = new Worker(new URL('./spawn-worker.js', import.meta.url));
    worker.on('message', (r: SpawnReply) => this.reply(r));
    // The worker fails only if it cannot start (or a bug): what waits on it is not left waiting; a start it had
    // not made fails with SpawningThreadLost (the caller may start it another way), and a next spawn makes
    // another worker.
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      if (!this.running) this.broken = why;
      this.worker = undefined;
      this.running = false;
      this.tid = undefined;
      for (const p of this.pending.values()) {
        if (p.exit) p.exit({ code: null, signal: null });
        else p.failed(new SpawningThreadLost(why));
      }
      this.pending.clear();
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private reply(r: SpawnReply): void {
    if (r.kind === 'thread') {
      this.running = true;
      this.tid = r.tid;
      if (r.tid !== undefined) for (const w of this.threadWatchers) w(r.tid);
      return;
    }
    const p = this.pending.get(r.id);
    if (!p) return;
    if (r.kind === 'failed') {
      this.pending.delete(r.id);
      p.failed(new Error(r.message));
    } else if (r.kind === 'started') {
      p.started({ pid: r.pid, exited: new Promise((resolve) => (p.exit = resolve)) });
    } else {
      this.pending.delete(r.id);
      p.exit?.({ code: r.code, signal: r.signal });
    }
    if (this.pending.size === 0) this.worker?.unref();
  }
}

const spawner = new Spawner();

/** Calls `watcher` with the spawning thread's id once it runs, and again if it is ever made anew. */
export function watchSpawningThread(watcher: (tid: number) => void): void {
  spawner.watchThread(watcher);
}

/**
 * How stages start: from the spawning thread with posix_spawn where the addon runs ('posix', the default), from
 * it with Node's spawn, a fork ('fork': AUDIOFS_SPAWN=fork), or from the calling thread with Node's spawn
 * ('here': AUDIOFS_SPAWN=here, as before). The last two are the benchmark's baselines.
 */
export function spawnMethod(): 'posix' | 'fork' | 'here' {
  const v = process.env.AUDIOFS_SPAWN;
  return v === 'fork' || v === 'here' ? v : 'posix';
}

/** Starts a process from the spawning thread; rejects with the reason when it cannot be started. */
export function spawnOffThread(order: SpawnOrder): Promise<SpawnedProcess> {
  return spawner.spawn({ ...order, fork: order.fork ?? spawnMethod() === 'fork' });
}
