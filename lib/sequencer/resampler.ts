import type { Hz } from '../base/units.js';

/** Options of a Resampler. */
export interface ResamplerOptions {
  from: Hz;
  to: Hz;
  channels: number;
  /** Zero crossings of the sinc on each side (default 24): longer is sharper and slower. */
  zeroCrossings?: number;
  /**
   * Start inside a signal: the first block pushed is input frame `input`, the first frame produced is output
   * frame `output` (the same samples as a resampler started at 0, when `input` <= firstInputFor(output)).
   */
  start?: { input: number; output: number };
  /** Produce no output frame at or past this one (a region's end). */
  outputEnd?: number;
}

const TABLE_STEPS = 512;
const KAISER_BETA = 9;
/** Largest table of per-phase weights kept (8 MB): past it, each weight is interpolated from the kernel table. */
const MAX_PHASE_WEIGHTS = 1 << 20;

/**
 * A streaming band-limited resampler: Kaiser-windowed sinc, cut off at the lower Nyquist frequency,
 * linear phase with no delay; push planar float blocks, get planar float blocks.
 */
export class Resampler {
  private readonly from: Hz;
  private readonly to: Hz;
  private readonly cutoff: number;
  private readonly halfWidth: number;
  private kernel: Float64Array | undefined;
  private readonly zeroCrossings: number;
  private history: Float64Array[];
  private historyStart = 0;
  private inputCount = 0;
  private outputCount = 0;
  private readonly outputEnd: number;
  /** The rates divided by their greatest common divisor: output n has phase (n * fromStep) mod toStep. */
  private readonly fromStep: number;
  private readonly toStep: number;
  /** For each phase, the weight of each of its 2 x halfWidth input samples (null when too many phases; built on first use). */
  private phaseWeights: Float64Array | null | undefined;

  constructor(options: ResamplerOptions) {
    this.from = options.from;
    this.to = options.to;
    this.zeroCrossings = options.zeroCrossings ?? 24;
    this.cutoff = Math.min(1, options.to / options.from) * 0.97;
    this.halfWidth = Math.ceil(this.zeroCrossings / this.cutoff);
    this.history = Array.from({ length: options.channels }, () => new Float64Array(0));
    this.historyStart = this.inputCount = options.start?.input ?? 0;
    this.outputCount = options.start?.output ?? 0;
    this.outputEnd = options.outputEnd ?? Infinity;
    const g = gcd(options.from, options.to);
    this.fromStep = options.from / g;
    this.toStep = options.to / g;
  }

  /** The kernel table, made on first use (planning a region needs only the widths). */
  private get table(): Float64Array {
    return (this.kernel ??= kernelTable(this.zeroCrossings));
  }

  /** The first input frame that output frame `output` depends on: start a region's input there (or earlier). */
  firstInputFor(output: number): number {
    return Math.max(0, Math.floor((output * this.from) / this.to) - this.halfWidth);
  }

  /** The input frames that output frames before `outputEnd` depend on (the input a region needs, from its start). */
  inputEndFor(outputEnd: number): number {
    if (outputEnd <= 0) return 0;
    return Math.floor(((outputEnd - 1) * this.from) / this.to) + this.halfWidth + 1;
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
    const last = Math.min(final ? Math.ceil((this.inputCount * this.to) / this.from) : Infinity, this.outputEnd);
    let end = this.outputCount;
    while (end < last && (final || Math.floor((end * this.from) / this.to) + this.halfWidth < this.inputCount)) end++;
    const count = Math.max(0, end - this.outputCount);
    const out = this.history.map((samples) => this.outputs(samples, this.outputCount, count));
    this.outputCount += count;
    this.dropHistory();
    return out;
  }

  /**
   * Output frames n0..n0+count of one channel: each from its phase's weights when every sample it needs is
   * there (stepping the phase, four running sums), else interpolated from the kernel table.
   */
  private outputs(samples: Float64Array, n0: number, count: number): Float64Array {
    const result = new Float64Array(count);
    if (this.phaseWeights === undefined) {
      this.phaseWeights = this.toStep * 2 * this.halfWidth <= MAX_PHASE_WEIGHTS ? this.buildPhaseWeights() : null;
    }
    const weights = this.phaseWeights;
    const taps = 2 * this.halfWidth;
    const { fromStep, toStep, cutoff } = this;
    let phase = (n0 * fromStep) % toStep;
    let base = (n0 * fromStep - phase) / toStep;
    for (let i = 0; i < count; i++) {
      const first = base - this.halfWidth + 1 - this.historyStart;
      if (weights && first >= 0 && first + taps <= samples.length) {
        const w = phase * taps;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        let j = 0;
        for (; j + 3 < taps; j += 4) {
          a0 += samples[first + j] * weights[w + j];
          a1 += samples[first + j + 1] * weights[w + j + 1];
          a2 += samples[first + j + 2] * weights[w + j + 2];
          a3 += samples[first + j + 3] * weights[w + j + 3];
        }
        for (; j < taps; j++) a0 += samples[first + j] * weights[w + j];
        result[i] = (a0 + a1 + a2 + a3) * cutoff;
      } else {
        result[i] = this.sampleAt(samples, ((n0 + i) * this.from) / this.to);
      }
      phase += fromStep;
      while (phase >= toStep) {
        phase -= toStep;
        base++;
      }
    }
    return result;
  }

  /** The weights sampleAt would use, for each phase: the input sample `base - halfWidth + 1 + j` gets weight j. */
  private buildPhaseWeights(): Float64Array {
    const taps = 2 * this.halfWidth;
    const weights = new Float64Array(this.toStep * taps);
    for (let phase = 0; phase < this.toStep; phase++) {
      const fraction = phase / this.toStep;
      for (let j = 0; j < taps; j++) weights[phase * taps + j] = this.weight(Math.abs(fraction - (j - this.halfWidth + 1)));
    }
    return weights;
  }

  /** The kernel at `distance` input samples from the centre (0 past the last zero crossing). */
  private weight(distance: number): number {
    const x = distance * this.cutoff * TABLE_STEPS;
    if (x >= this.zeroCrossings * TABLE_STEPS) return 0;
    const i = Math.floor(x);
    return this.table[i] + (this.table[i + 1] - this.table[i]) * (x - i);
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

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
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

/** Whole float channels from one rate to another (a decoded track): the streaming resampler over blocks. */
export function resampleChannels(channels: Float32Array[], from: Hz, to: Hz): Float32Array[] {
  if (from === to || channels.length === 0) return channels;
  const resampler = new Resampler({ from, to, channels: channels.length });
  const frames = channels[0].length;
  const out = channels.map(() => new Float32Array(Math.ceil((frames * to) / from)));
  let written = 0;
  const keep = (block: Float64Array[]) => {
    block.forEach((samples, c) => out[c].set(samples, written));
    written += block[0]?.length ?? 0;
  };
  const BLOCK = 1 << 16;
  for (let at = 0; at < frames; at += BLOCK) keep(resampler.push(channels.map((ch) => Float64Array.from(ch.subarray(at, at + BLOCK)))));
  keep(resampler.flush());
  return out.map((ch) => ch.subarray(0, written));
}
