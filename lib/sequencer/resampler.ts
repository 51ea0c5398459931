import type { Hz } from '../base/units.js';

/** Options of a Resampler. */
export interface ResamplerOptions {
  from: Hz;
  to: Hz;
  channels: number;
  /** Zero crossings of the sinc on each side (default 24): longer is sharper and slower. */
  zeroCrossings?: number;
}

const TABLE_STEPS = 512;
const KAISER_BETA = 9;

/**
 * A streaming band-limited resampler: Kaiser-windowed sinc, cut off at the lower Nyquist frequency,
 * linear phase with no delay; push planar float blocks, get planar float blocks.
 */
export class Resampler {
  private readonly from: Hz;
  private readonly to: Hz;
  private readonly cutoff: number;
  private readonly halfWidth: number;
  private readonly table: Float64Array;
  private readonly zeroCrossings: number;
  private history: Float64Array[];
  private historyStart = 0;
  private inputCount = 0;
  private outputCount = 0;

  constructor(options: ResamplerOptions) {
    this.from = options.from;
    this.to = options.to;
    this.zeroCrossings = options.zeroCrossings ?? 24;
    this.cutoff = Math.min(1, options.to / options.from) * 0.97;
    this.halfWidth = Math.ceil(this.zeroCrossings / this.cutoff);
    this.table = kernelTable(this.zeroCrossings);
    this.history = Array.from({ length: options.channels }, () => new Float64Array(0));
  }

  /** Resamples the next block (one Float64Array per channel, all the same length). */
  push(block: Float64Array[]): Float64Array[] {
    this.append(block);
    return this.produce(false);
  }

  /** The last output samples, the input followed by silence. */
  flush(): Float64Array[] {
    return this.produce(true);
  }

  private append(block: Float64Array[]): void {
    this.history = this.history.map((old, c) => {
      const joined = new Float64Array(old.length + block[c].length);
      joined.set(old);
      joined.set(block[c], old.length);
      return joined;
    });
    this.inputCount += block[0]?.length ?? 0;
  }

  private produce(final: boolean): Float64Array[] {
    const last = final ? Math.ceil((this.inputCount * this.to) / this.from) : Infinity;
    const positions: number[] = [];
    for (let n = this.outputCount; n < last; n++) {
      const center = (n * this.from) / this.to;
      if (!final && Math.floor(center) + this.halfWidth >= this.inputCount) break;
      positions.push(center);
    }
    const out = this.history.map((samples) => {
      const result = new Float64Array(positions.length);
      positions.forEach((center, i) => {
        result[i] = this.sampleAt(samples, center);
      });
      return result;
    });
    this.outputCount += positions.length;
    this.dropHistory();
    return out;
  }

  private sampleAt(samples: Float64Array, center: number): number {
    const first = Math.max(Math.floor(center) - this.halfWidth + 1, this.historyStart);
    const lastIndex = Math.min(Math.floor(center) + this.halfWidth, this.historyStart + samples.length - 1);
    const scale = this.cutoff * TABLE_STEPS;
    const limit = this.zeroCrossings * TABLE_STEPS;
    let sum = 0;
    for (let k = first; k <= lastIndex; k++) {
      const x = Math.abs(center - k) * scale;
      if (x >= limit) continue;
      const i = Math.floor(x);
      const weight = this.table[i] + (this.table[i + 1] - this.table[i]) * (x - i);
      sum += samples[k - this.historyStart] * weight;
    }
    return sum * this.cutoff;
  }

  private dropHistory(): void {
    const nextCenter = (this.outputCount * this.from) / this.to;
    const keepFrom = Math.max(this.historyStart, Math.floor(nextCenter) - this.halfWidth);
    const drop = keepFrom - this.historyStart;
    if (drop <= 0) return;
    const actual = Math.min(drop, this.history[0]?.length ?? 0);
    this.history = this.history.map((samples) => samples.slice(actual));
    this.historyStart += actual;
  }
}

/** sinc(x) * kaiser(x / zeroCrossings) at TABLE_STEPS points per zero crossing, one extra at the end. */
function kernelTable(zeroCrossings: number): Float64Array {
  const size = zeroCrossings * TABLE_STEPS + 2;
  const table = new Float64Array(size);
  const norm = besselI0(KAISER_BETA);
  for (let i = 0; i < size; i++) {
    const x = i / TABLE_STEPS;
    const ratio = Math.min(1, x / zeroCrossings);
    const window = besselI0(KAISER_BETA * Math.sqrt(1 - ratio * ratio)) / norm;
    table[i] = (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x)) * window;
  }
  return table;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}
