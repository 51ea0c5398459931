// Comparing decoded (lossy) audio against its oracle: find the offset, then the signal-to-noise ratio over the whole overlap.

/** Interleaved s16le stereo PCM as samples. */
export function samples(pcm: Buffer): Int16Array {
  const out = new Int16Array(pcm.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = pcm.readInt16LE(i * 2);
  return out;
}

/** The result of a comparison: `test` frame i matches `ref` frame i + lag; SNR in dB over `frames` frames. */
export interface Match {
  lag: number;
  snrDb: number;
  frames: number;
}

/**
 * Finds the lag in [minLag, maxLag] (frames) at which `test` best matches `ref` (normalised correlation of
 * the left channel over `window` frames from `probe`), then measures the SNR of both channels of `test`
 * against `ref` over their whole overlap, skipping `edge` frames at each end (codec priming and flush).
 */
export function compareAudio(refPcm: Buffer, testPcm: Buffer, options: { minLag: number; maxLag: number; window?: number; probe?: number; edge?: number }): Match {
  const ref = samples(refPcm);
  const test = samples(testPcm);
  const refFrames = ref.length >> 1;
  const testFrames = test.length >> 1;
  const window = options.window ?? 4096;
  const edge = options.edge ?? 2304;
  const probe = options.probe ?? edge;
  let best = { lag: options.minLag, score: -Infinity };
  for (let lag = options.minLag; lag <= options.maxLag; lag++) {
    let dot = 0;
    let rr = 0;
    for (let i = probe; i < probe + window; i++) {
      const j = i + lag;
      if (j < 0 || j >= refFrames || i >= testFrames) continue;
      const r = ref[j * 2];
      dot += r * test[i * 2];
      rr += r * r;
    }
    const score = rr > 0 ? dot / Math.sqrt(rr) : -Infinity;
    if (score > best.score) best = { lag, score };
  }
  const lag = best.lag;
  const from = Math.max(edge, edge - lag);
  const to = Math.min(testFrames, refFrames - lag) - edge;
  let signal = 0;
  let noise = 0;
  for (let i = from; i < to; i++) {
    for (let c = 0; c < 2; c++) {
      const r = ref[(i + lag) * 2 + c];
      const d = test[i * 2 + c] - r;
      signal += r * r;
      noise += d * d;
    }
  }
  const snrDb = noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
  return { lag, snrDb, frames: Math.max(0, to - from) };
}
