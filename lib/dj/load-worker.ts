// The worker thread that reads, decodes, resamples and analyses tracks, so none of it ever stalls the audio.
import { parentPort } from 'node:worker_threads';
import type { PcmFormat } from '../base/pcm-format.js';
import { AnalysisCache } from './analysis-cache.js';
import { loadTrack } from './load-track.js';

/** A job for the worker. */
export interface LoadRequest {
  id: number;
  path: string;
  format: PcmFormat;
  cacheDirectory?: string;
  target?: number;
}

/** The worker's answer: the track with its channels as transferred buffers, or the error's name and message. */
export type LoadReply =
  | { id: number; ok: true; name: string; cached: boolean; gain?: number; analysis: unknown; frames: number; channels: Array<{ buffer: ArrayBuffer; byteOffset: number; length: number }> }
  | { id: number; ok: false; errorName: string; message: string };

parentPort?.on('message', async (job: LoadRequest) => {
  try {
    const cache = job.cacheDirectory === undefined ? undefined : new AnalysisCache(job.cacheDirectory);
    const track = await loadTrack(job.path, { format: job.format, cache, target: job.target });
    const channels = track.pcm.channels.map((ch) => ({ buffer: ch.buffer as ArrayBuffer, byteOffset: ch.byteOffset, length: ch.length }));
    const transfer = [...new Set(channels.map((c) => c.buffer))];
    const reply: LoadReply = { id: job.id, ok: true, name: track.name, cached: track.cached, gain: track.gain, analysis: track.analysis, frames: track.pcm.frames, channels };
    parentPort!.postMessage(reply, transfer);
  } catch (err) {
    const e = err as Error;
    const reply: LoadReply = { id: job.id, ok: false, errorName: e?.name ?? 'Error', message: e?.message ?? String(err) };
    parentPort!.postMessage(reply);
  }
});
