import { gainToDb, type Decibels } from '../base/units.js';
import { blockLevels } from './sample-loops.js';

/** Levels over a recent window, in dBFS (-Infinity for silence). */
export interface Levels {
  peakDb: Decibels;
  rmsDb: Decibels;
}

const FULL_SCALE = 32768;

/** One period of the window: what is summed up so far, and samples handed over as they are, measured when asked. */
interface Period {
  peak: number;
  square: number;
  count: number;
  unmeasured: Int16Array[];
}

function emptyPeriod(): Period {
  return { peak: 0, square: 0, count: 0, unmeasured: [] };
}

/** Peak and RMS meter over the last `windowPeriods` periods of s16 samples. */
export class Meter {
  private readonly window: Period[];
  private next = 0;
  private current = emptyPeriod();

  constructor(windowPeriods = 26) {
    this.window = Array.from({ length: windowPeriods }, emptyPeriod);
  }

  /** Accumulates samples (s16 scale) of the current period, summarised: their largest magnitude, sum of squares and count. */
  addBlock(peak: number, sumOfSquares: number, count: number): void {
    const p = this.current;
    if (peak > p.peak) p.peak = peak;
    p.square += sumOfSquares;
    p.count += count;
  }

  /**
   * Accumulates samples of the current period as they are, `count` of them (past `samples.length`, silence).
   * They are measured only if levels() is asked for while they are in the window: an export that nobody
   * watches does not pay for it. The samples must not change afterwards.
   */
  addSamples(samples: Int16Array, count: number): void {
    this.current.unmeasured.push(samples);
    this.current.count += count;
  }

  /** Closes the current period into the window. */
  commit(): void {
    // The period that leaves the window is emptied and filled again: a meter allocates nothing per period.
    const leaving = this.window[this.next];
    this.window[this.next] = this.current;
    this.next = (this.next + 1) % this.window.length;
    leaving.peak = 0;
    leaving.square = 0;
    leaving.count = 0;
    leaving.unmeasured.length = 0;
    this.current = leaving;
  }

  /** Peak and RMS of the window, in dBFS. */
  levels(): Levels {
    let peak = 0;
    let square = 0;
    let count = 0;
    for (const p of this.window) {
      measure(p);
      if (p.peak > peak) peak = p.peak;
      square += p.square;
      count += p.count;
    }
    const rms = count > 0 ? Math.sqrt(square / count) : 0;
    return { peakDb: round1(gainToDb(peak / FULL_SCALE)), rmsDb: round1(gainToDb(rms / FULL_SCALE)) };
  }
}

/** Folds a period's unmeasured samples into its sums (once; the samples are let go). */
function measure(p: Period): void {
  for (const samples of p.unmeasured) {
    const l = blockLevels(samples, samples.length);
    if (l.peak > p.peak) p.peak = l.peak;
    p.square += l.square;
  }
  p.unmeasured.length = 0;
}

function round1(db: Decibels): Decibels {
  return Number.isFinite(db) ? Math.round(db * 10) / 10 : db;
}
