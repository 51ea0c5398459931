// s16le bytes <-> float samples in -1..1, the working form of every DSP block (this host is little-endian).
import { endianness } from 'node:os';

const S16_SCALE = 32768;
if (endianness() !== 'LE') throw new Error(`pcm-codec: expected a little-endian host, got ${endianness()}`);

function int16View(bytes: Uint8Array): Int16Array {
  const samples = bytes.length >> 1;
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, samples);
  return new Int16Array(Uint8Array.prototype.slice.call(bytes, 0, samples * 2).buffer);
}

/** Decodes interleaved s16le bytes into floats (length = samples); `out` is reused when large enough. */
export function s16ToFloat(bytes: Uint8Array, out?: Float32Array): Float32Array {
  const src = int16View(bytes);
  const dst = out && out.length >= src.length ? out.subarray(0, src.length) : new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) dst[i] = src[i] / S16_SCALE;
  return dst;
}

/** Encodes floats as s16le, rounding and clipping to the 16-bit range; `out` is reused when large enough. */
export function floatToS16(samples: Float32Array, out?: Buffer): Buffer {
  const byteLength = samples.length * 2;
  const dst = out && out.length >= byteLength && out.byteOffset % 2 === 0 ? out.subarray(0, byteLength) : Buffer.alloc(byteLength);
  const view = new Int16Array(dst.buffer, dst.byteOffset, samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round(samples[i] * S16_SCALE);
    view[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return dst;
}
