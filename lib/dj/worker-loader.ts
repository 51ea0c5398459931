// Tracks loaded on a worker thread: the audio thread only receives finished tracks (their samples are transferred, not copied).
import { Worker } from 'node:worker_threads';
import type { PcmFormat } from '../base/pcm-format.js';
import type { TrackAnalysis } from './analyze.js';
import { TrackDecodeError } from './decode.js';
import type { LoadedTrack } from './load-track.js';
import type { LoadReply, LoadRequest } from './load-worker.js';

/** Loads tracks one at a time on one worker thread, started on the first load and stopped by close(). */
export class WorkerLoader {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (t: LoadedTrack) => void; reject: (e: Error) => void; path: string }>();

  constructor(private readonly options: { format: PcmFormat; cacheDirectory?: string; target?: number }) {}

  /** Reads, decodes and analyses a track on the worker; rejects with TrackDecodeError as loadTrack does. */
  load(path: string): Promise<LoadedTrack> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, path });
      const job: LoadRequest = { id, path, format: { ...this.options.format }, cacheDirectory: this.options.cacheDirectory, target: this.options.target };
      worker.postMessage(job);
    });
  }

  /** Stops the worker (pending loads are rejected). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./load-worker.js', import.meta.url));
    worker.on('message', (reply: LoadReply) => this.answer(reply));
    const fail = (err: Error): void => {
      for (const p of this.pending.values()) p.reject(new TrackDecodeError(p.path, `the loader thread stopped: ${err.message}`));
      this.pending.clear();
      if (this.worker === worker) this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private answer(reply: LoadReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (!reply.ok) {
      const err = reply.errorName === 'TrackDecodeError' ? Object.assign(new Error(reply.message), { name: 'TrackDecodeError' }) : new Error(reply.message);
      p.reject(err);
      return;
    }
    const channels = reply.channels.map((c) => new Float32Array(c.buffer, c.byteOffset, c.length));
    p.resolve({ path: p.path, name: reply.name, cached: reply.cached, gain: reply.gain, analysis: reply.analysis as TrackAnalysis, pcm: { format: this.options.format, channels, frames: reply.frames } });
  }
}
