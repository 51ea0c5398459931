import { gainToDb, type Decibels } from '../base/units.js';

/** Levels over a recent window, in dBFS (-Infinity for silence). */
export interface Levels {
  peakDb: Decibels;
  rmsDb: Decibels;
}

const FULL_SCALE = 32768;

/** Peak and RMS meter over the last `windowPeriods` periods of s16 samples. */
export class Meter {
  private readonly peaks: Float64Array;
  private readonly squares: Float64Array;
  private readonly counts: Float64Array;
  private next = 0;
  private peak = 0;
  private square = 0;
  private count = 0;

  constructor(windowPeriods = 26) {
    this.peaks = new Float64Array(windowPeriods);
    this.squares = new Float64Array(windowPeriods);
    this.counts = new Float64Array(windowPeriods);
  }

  /** Accumulates samples (s16 scale) of the current period, summarised: their largest magnitude, sum of squares and count. */
  addBlock(peak: number, sumOfSquares: number, count: number): void {
    if (peak > this.peak) this.peak = peak;
    this.square += sumOfSquares;
    this.count += count;
  }

  /** Closes the current period into the window. */
  commit(): void {
    this.peaks[this.next] = this.peak;
    this.squares[this.next] = this.square;
    this.counts[this.next] = this.count;
    this.next = (this.next + 1) % this.peaks.length;
    this.peak = 0;
    this.square = 0;
    this.count = 0;
  }

  /** Peak and RMS of the window, in dBFS. */
  levels(): Levels {
    let peak = 0;
    let square = 0;
    let count = 0;
    for (let i = 0; i < this.peaks.length; i++) {
      if (this.peaks[i] > peak) peak = this.peaks[i];
      square += this.squares[i];
      count += this.counts[i];
    }
    const rms = count > 0 ? Math.sqrt(square / count) : 0;
    return { peakDb: round1(gainToDb(peak / FULL_SCALE)), rmsDb: round1(gainToDb(rms / FULL_SCALE)) };
  }
}

function round1(db: Decibels): Decibels {
  return Number.isFinite(db) ? Math.round(db * 10) / 10 : db;
}
