import { bytesPerFrame, secondsToBytes, type PcmFormat } from '../base/pcm-format.js';
import type { Bytes, Seconds } from '../base/units.js';

/** A byte range of raw PCM, both ends on a frame boundary; `end` is exclusive. */
export interface ByteRange {
  start: Bytes;
  end: Bytes;
}

/** Options of pcmRegion: the region in seconds, and the stored size it is clamped to. */
export interface PcmRegionOptions {
  from: Seconds;
  to?: Seconds;
  /** Bytes of PCM stored; the range never passes its last whole frame. */
  size: Bytes;
}

/** The frame-aligned byte range of a region of raw PCM (each end at the nearest frame). */
export function pcmRegion(format: PcmFormat, options: PcmRegionOptions): ByteRange {
  const { from, to, size } = options;
  if (!(from >= 0)) throw new RangeError(`pcm region: expected from >= 0 seconds, got ${from}`);
  if (to !== undefined && !(to >= from)) throw new RangeError(`pcm region: expected to >= from (${from}), got ${to}`);
  const frame = bytesPerFrame(format);
  const lastWhole = size - (size % frame);
  const start = Math.min(secondsToBytes(from, format), lastWhole);
  const end = to === undefined ? lastWhole : Math.min(secondsToBytes(to, format), lastWhole);
  return { start, end };
}
