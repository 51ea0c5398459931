// Test helper: reproducible white noise as s16le.

/** `frames` frames of uniform white noise with peak `amplitude` (0..1) on every channel, from a fixed seed. */
export function whiteNoise(frames: number, channels: number, amplitude: number, seed = 12345): Buffer {
  const out = Buffer.alloc(frames * channels * 2);
  let s = seed >>> 0;
  for (let i = 0; i < frames * channels; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.writeInt16LE(Math.round(((s / 4294967296) * 2 - 1) * amplitude * 32767), i * 2);
  }
  return out;
}
