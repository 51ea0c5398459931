import type { Seconds } from '../base/units.js';
import { isMetrical, META, TempoMap, type Smf } from '../midi/smf.js';

/**
 * Where each bar of a song starts, and where the song ends. Bars are runs of equal length (one per time
 * signature), so a song of a billion bars costs no more memory than one of ten.
 */
export interface Bars {
  /** How many bars (at least 1). */
  readonly count: number;
  /** The end of the song (the end of the last bar that holds music). */
  readonly end: Seconds;
  /** Start time of bar `index` (from 0; bar 0 starts at 0). */
  start(index: number): Seconds;
}

/** The part of a song that one step plays. */
export interface Region {
  from: Seconds;
  to: Seconds;
}

/** Seconds per bar without a MIDI file: 4/4 at 120 BPM. */
export const DEFAULT_BAR_SECONDS: Seconds = 2;

/** A run of bars of one length: `count` bars from `tick`, the first of them bar `first`. */
interface BarRun {
  tick: number;
  barTicks: number;
  count: number;
  first: number;
}

/** Bars of 4/4 at 120 BPM over a duration (PCM-only projects, SMPTE-timed files). */
export function defaultBars(duration: Seconds): Bars {
  const count = Math.max(1, Math.ceil(duration / DEFAULT_BAR_SECONDS - 1e-9));
  return { count, end: duration, start: (index) => index * DEFAULT_BAR_SECONDS };
}

/** Bars of a song without a MIDI input: 4/4 at 120 BPM over its longest input, and at least one whole bar. */
export function songBars(longest: Seconds): Bars {
  return defaultBars(Math.max(longest, DEFAULT_BAR_SECONDS));
}

/**
 * The bars of a MIDI file from its time signatures (4/4 until the first) and its tempo map.
 * A time signature starts a new bar at its tick; the song ends at the last event of any track.
 */
export function midiBars(smf: Smf): Bars {
  const tempoMap = TempoMap.fromSmf(smf);
  const endTick = smf.tracks.reduce((max, track) => Math.max(max, track.at(-1)?.tick ?? 0), 0);
  const end = tempoMap.ticksToSeconds(endTick);
  const division = smf.division;
  if (!isMetrical(division)) return defaultBars(end);
  const signatures: { tick: number; barTicks: number }[] = [{ tick: 0, barTicks: 4 * division.ticksPerBeat }];
  for (const track of smf.format === 2 ? smf.tracks.slice(0, 1) : smf.tracks) {
    for (const e of track) {
      if (e.kind !== 'meta' || e.type !== META.timeSignature || e.data.length < 2) continue;
      const barTicks = (e.data[0] * 4 * division.ticksPerBeat) / 2 ** e.data[1];
      if (barTicks > 0) signatures.push({ tick: e.tick, barTicks });
    }
  }
  signatures.sort((a, b) => a.tick - b.tick);
  const runs: BarRun[] = [];
  let bars = 0;
  signatures.forEach((sig, i) => {
    const until = Math.min(signatures[i + 1]?.tick ?? Infinity, Math.max(endTick, 1));
    if (sig.tick >= until) return;
    const count = Math.ceil((until - sig.tick) / sig.barTicks);
    runs.push({ tick: sig.tick, barTicks: sig.barTicks, count, first: bars });
    bars += count;
  });
  return {
    count: bars,
    end,
    start: (index) => {
      const run = runs[runAt(runs, index)];
      return tempoMap.ticksToSeconds(run.tick + (index - run.first) * run.barTicks);
    },
  };
}

function runAt(runs: BarRun[], index: number): number {
  let lo = 0;
  let hi = runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs[mid].first <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The region of step `n` (from 1) when each step is `barsPerStep` bars; the last step may be shorter. */
export function stepRegion(bars: Bars, barsPerStep: number, n: number): Region {
  if (!Number.isInteger(barsPerStep) || barsPerStep < 1) {
    throw new RangeError(`steps: expected a whole number of bars per step >= 1, got ${barsPerStep}`);
  }
  const count = stepCount(bars, barsPerStep);
  if (!Number.isInteger(n) || n < 1 || n > count) {
    throw new RangeError(
      `step ${n}: expected a step from 1 to ${count} (${bars.count} bars, ${barsPerStep} per step)`);
  }
  const first = (n - 1) * barsPerStep;
  const next = first + barsPerStep;
  const from = bars.start(first);
  // A song that ends inside its first bar (or bar times past 2^53 ticks, where they lose precision) never gives a backwards step.
  return { from, to: Math.max(from, next < bars.count ? bars.start(next) : bars.end) };
}

/** How many steps of `barsPerStep` bars a song has. */
export function stepCount(bars: Bars, barsPerStep: number): number {
  return Math.ceil(bars.count / barsPerStep);
}
