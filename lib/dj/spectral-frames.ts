// One STFT pass over a mono signal: the log-mel spectrogram, per-frame chroma and the onset strength envelope.
import type { Hz } from '../base/units.js';
import { RealFft } from './fft.js';

/** What the analysis reads from the spectrum, one row per hop. */
export interface SpectralFrames {
  /** Frames per second of every envelope here. */
  readonly frameRate: Hz;
  /** Spectral flux of the log-mel spectrogram (half-wave rectified, mean over bands). */
  readonly onset: Float64Array;
  /** The same flux over the bands under LOW_BAND_HZ only: kick drum and bass, where the beat usually is. */
  readonly lowOnset: Float64Array;
  /** 12 pitch-class energies per frame. */
  readonly chroma: Float64Array[];
  /** 12 cepstral (MFCC-like) coefficients per frame: timbre. */
  readonly timbre: Float64Array[];
}

/** The STFT settings of the analysis (frames are centred on hop x index). */
export interface SpectralOptions {
  fftSize: number;
  hop: number;
  melBands: number;
  /** Called every few hundred frames so a caller can yield to the event loop. */
  onProgress?: () => Promise<void>;
}

const DEFAULTS: SpectralOptions = { fftSize: 1024, hop: 256, melBands: 40 };

/** The top of the low band (centre frequency of its highest mel band). */
export const LOW_BAND_HZ = 180;

const hzToMel = (f: number): number => 2595 * Math.log10(1 + f / 700);
const melToHz = (m: number): number => 700 * (Math.pow(10, m / 2595) - 1);

function melFilters(bands: number, fftSize: number, rate: Hz): Float64Array[] {
  const lo = hzToMel(30);
  const hi = hzToMel(Math.min(8000, rate / 2));
  const edges = Array.from({ length: bands + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (bands + 1)));
  const bins = fftSize / 2 + 1;
  return Array.from({ length: bands }, (_, b) => {
    const w = new Float64Array(bins);
    for (let k = 0; k < bins; k++) {
      const f = (k * rate) / fftSize;
      const up = (f - edges[b]) / (edges[b + 1] - edges[b]);
      const down = (edges[b + 2] - f) / (edges[b + 2] - edges[b + 1]);
      w[k] = Math.max(0, Math.min(up, down));
    }
    return w;
  });
}

function pitchClassOfBins(fftSize: number, rate: Hz): Int8Array {
  const map = new Int8Array(fftSize / 2 + 1).fill(-1);
  for (let k = 1; k < map.length; k++) {
    const f = (k * rate) / fftSize;
    if (f < 55 || f > 5000) continue;
    const midi = 12 * Math.log2(f / 440) + 69;
    map[k] = ((Math.round(midi) % 12) + 12) % 12;
  }
  return map;
}

/** The spectral frames of a mono signal at a rate. */
export async function spectralFrames(signal: Float32Array, rate: Hz, options: Partial<SpectralOptions> = {}): Promise<SpectralFrames> {
  const o = { ...DEFAULTS, ...options };
  const fft = new RealFft(o.fftSize);
  const filters = melFilters(o.melBands, o.fftSize, rate);
  const ranges = filters.map((w) => {
    let first = -1;
    let last = -2;
    w.forEach((v, k) => { if (v > 0) { if (first < 0) first = k; last = k; } });
    return [first, last];
  });
  const dct = Array.from({ length: 12 }, (_, q) =>
    Float64Array.from({ length: o.melBands }, (_, b) => Math.cos((Math.PI * (q + 1) * (b + 0.5)) / o.melBands) / o.melBands));
  const pcOfBin = pitchClassOfBins(o.fftSize, rate);
  const count = Math.floor(signal.length / o.hop) + 1;
  const mag = new Float64Array(o.fftSize / 2 + 1);
  const melDb: Float64Array[] = [];
  const chroma: Float64Array[] = [];
  let maxDb = -Infinity;
  for (let t = 0; t < count; t++) {
    fft.magnitudes(signal, t * o.hop - o.fftSize / 2, mag);
    const mel = new Float64Array(o.melBands);
    for (let b = 0; b < o.melBands; b++) {
      let e = 0;
      const w = filters[b];
      for (let k = ranges[b][0]; k <= ranges[b][1]; k++) e += w[k] * mag[k] * mag[k];
      mel[b] = 10 * Math.log10(Math.max(e, 1e-10));
      if (mel[b] > maxDb) maxDb = mel[b];
    }
    melDb.push(mel);
    const pc = new Float64Array(12);
    for (let k = 1; k < mag.length; k++) if (pcOfBin[k] >= 0) pc[pcOfBin[k]] += mag[k] * mag[k];
    chroma.push(pc);
    if (o.onProgress && t % 512 === 511) await o.onProgress();
  }
  // Nothing under 75 dB below a full-scale sine (|X| = fftSize / 4 through the Hann window) counts: dither is silence.
  const silence = 20 * Math.log10(o.fftSize / 4) - 75;
  const floor = Math.max(maxDb - 80, silence);
  for (const mel of melDb) for (let b = 0; b < mel.length; b++) if (mel[b] < floor) mel[b] = floor;
  const lo = hzToMel(30);
  const hi = hzToMel(Math.min(8000, rate / 2));
  const lowBands = Math.max(1, Array.from({ length: o.melBands }, (_, b) => melToHz(lo + ((hi - lo) * (b + 1)) / (o.melBands + 1))).filter((f) => f <= LOW_BAND_HZ).length);
  const onset = new Float64Array(count);
  const lowOnset = new Float64Array(count);
  for (let t = 1; t < count; t++) {
    let flux = 0;
    let low = 0;
    for (let b = 0; b < o.melBands; b++) {
      const rise = Math.max(0, melDb[t][b] - melDb[t - 1][b]);
      flux += rise;
      if (b < lowBands) low += rise;
    }
    onset[t] = flux / o.melBands;
    lowOnset[t] = low / lowBands;
  }
  const timbre = melDb.map((mel) => {
    const c = new Float64Array(12);
    for (let q = 0; q < 12; q++) {
      let s = 0;
      for (let b = 0; b < mel.length; b++) s += mel[b] * dct[q][b];
      c[q] = s;
    }
    return c;
  });
  return { frameRate: rate / o.hop, onset, lowOnset, chroma, timbre };
}
