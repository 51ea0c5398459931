import type { Bytes, Frames } from '../base/units.js';
import { bytesToFrames, type PcmFormat } from '../base/pcm-format.js';
import { isComplete, type MixSource } from './source.js';

/** Periods mixed at once in export mode, at most. */
const EXPORT_BATCH = 32;

/** Whether every source has `want` bytes ready or will get no more (what export mode and the start gate wait for). */
export function allReady(sources: Iterable<MixSource>, want: Bytes): boolean {
  for (const source of sources) {
    if (source.available() < want && !isComplete(source)) return false;
  }
  return true;
}

/** The sources that have less than `want` bytes ready and will get more (named when the start gate times out). */
export function notReady(sources: Iterable<MixSource>, want: Bytes): MixSource[] {
  return [...sources].filter((source) => !isComplete(source) && source.available() < want);
}

/** Frames of the next export step: at least a period, the last partial one once every source is complete, 0 when all drained. */
export function exportFrames(sources: Iterable<MixSource>, options: { period: Frames; format: PcmFormat }): Frames {
  // No clock in export mode: mix all that every unfinished source has ready (at least a period, since the
  // engine waited for allReady(); at most EXPORT_BATCH periods), so the per-step cost does not bound the
  // throughput, and a chain's chunks are taken whole, as they came, without being copied together.
  const cap = options.period * EXPORT_BATCH;
  let ready = cap;
  let longest: Frames = 0;
  let unfinished = false;
  for (const source of sources) {
    const available = bytesToFrames(source.available(), options.format);
    if (!isComplete(source)) {
      unfinished = true;
      ready = Math.min(ready, available);
    } else {
      longest = Math.max(longest, available);
    }
  }
  return unfinished ? ready : Math.min(longest, cap);
}
