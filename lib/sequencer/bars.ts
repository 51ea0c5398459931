import type { Seconds } from '../base/units.js';
import { isMetrical, META, TempoMap, type Smf } from '../midi/smf.js';

/** Where each bar of a song starts, and where the song ends. */
export interface Bars {
  /** Start time of each bar, ascending; the first is 0. */
  readonly starts: Seconds[];
  /** The end of the song (the end of the last bar that holds music). */
  readonly end: Seconds;
}

/** The part of a song that one step plays. */
export interface Region {
  from: Seconds;
  to: Seconds;
}

/** Seconds per bar without a MIDI file: 4/4 at 120 BPM. */
export const DEFAULT_BAR_SECONDS: Seconds = 2;

/** Bars of 4/4 at 120 BPM over a duration (PCM-only projects, SMPTE-timed files). */
export function defaultBars(duration: Seconds): Bars {
  const count = Math.max(1, Math.ceil(duration / DEFAULT_BAR_SECONDS - 1e-9));
  const starts = Array.from({ length: count }, (_, i) => i * DEFAULT_BAR_SECONDS);
  return { starts, end: duration };
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
  const startTicks: number[] = [];
  signatures.forEach((sig, i) => {
    const until = Math.min(signatures[i + 1]?.tick ?? Infinity, Math.max(endTick, 1));
    for (let tick = sig.tick; tick < until; tick += sig.barTicks) {
      if (startTicks.at(-1) !== tick) startTicks.push(tick);
    }
  });
  return { starts: startTicks.map((tick) => tempoMap.ticksToSeconds(tick)), end };
}

/** The region of step `n` (from 1) when each step is `barsPerStep` bars; the last step may be shorter. */
export function stepRegion(bars: Bars, barsPerStep: number, n: number): Region {
  if (!Number.isInteger(barsPerStep) || barsPerStep < 1) {
    throw new RangeError(`steps: expected a whole number of bars per step >= 1, got ${barsPerStep}`);
  }
  const count = stepCount(bars, barsPerStep);
  if (!Number.isInteger(n) || n < 1 || n > count) {
    throw new RangeError(
      `step ${n}: expected a step from 1 to ${count} (${bars.starts.length} bars, ${barsPerStep} per step)`);
  }
  const first = (n - 1) * barsPerStep;
  return { from: bars.starts[first], to: bars.starts[first + barsPerStep] ?? bars.end };
}

/** How many steps of `barsPerStep` bars a song has. */
export function stepCount(bars: Bars, barsPerStep: number): number {
  return Math.ceil(bars.starts.length / barsPerStep);
}
