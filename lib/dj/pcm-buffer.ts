// Decoded audio held as float channels in the project format, and its conversion to s16le.
import type { Frames } from '../base/units.js';
import type { PcmFormat } from '../base/pcm-format.js';

/** Audio as one Float32Array per channel (samples in -1..1) at the format's rate. */
export interface PcmBuffer {
  readonly format: PcmFormat;
  readonly channels: Float32Array[];
  readonly frames: Frames;
}

/** The mono mix of a buffer (the mean of its channels). */
export function monoMix(pcm: PcmBuffer): Float32Array {
  const out = new Float32Array(pcm.frames);
  const scale = 1 / pcm.channels.length;
  for (const ch of pcm.channels) for (let i = 0; i < pcm.frames; i++) out[i] += ch[i] * scale;
  return out;
}

/** Interleaved s16le bytes of float channels, clipped once, here. */
export function toS16le(channels: Float32Array[], frames: Frames): Buffer {
  const n = channels.length;
  const out = Buffer.allocUnsafe(frames * n * 2);
  let o = 0;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < n; c++) {
      const v = Math.round(channels[c][i] * 32767);
      out.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v, o);
      o += 2;
    }
  }
  return out;
}
