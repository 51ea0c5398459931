import type { Seconds } from '../base/units.js';
import { isMetrical, META, type Smf } from './smf-types.js';

/** Microseconds per quarter note when a file sets no tempo (120 BPM). */
export const DEFAULT_TEMPO = 500_000;

interface Segment {
  tick: number;
  seconds: Seconds;
  tempo: number;
  secondsPerTick: number;
}

/** Options of TempoMap.fromSmf. */
export interface TempoMapOptions {
  /** Format 2 only: the track whose tempo events count (default 0). */
  track?: number;
}

/** Ticks to seconds and back, from every tempo change of every track (one track in format 2). */
export class TempoMap {
  private readonly segments: Segment[];

  private constructor(segments: Segment[]) {
    this.segments = segments;
  }

  /** The tempo map of a file; an SMPTE division gives a fixed number of ticks per second. */
  static fromSmf(smf: Smf, options: TempoMapOptions = {}): TempoMap {
    const tracks = smf.format === 2 ? [smf.tracks[options.track ?? 0] ?? []] : smf.tracks;
    const changes: { tick: number; tempo: number }[] = [];
    for (const track of tracks) {
      for (const e of track) {
        if (e.kind === 'meta' && e.type === META.tempo && e.data.length === 3) {
          // A tempo of 0 would make every later tick the same instant (and seconds-to-ticks divide by 0): 1 us is as fast as it gets.
          changes.push({ tick: e.tick, tempo: Math.max(1, (e.data[0] << 16) | (e.data[1] << 8) | e.data[2]) });
        }
      }
    }
    changes.sort((a, b) => a.tick - b.tick);
    const division = smf.division;
    if (!isMetrical(division)) {
      const fps = division.fps === 29 ? 30000 / 1001 : division.fps;
      const secondsPerTick = 1 / (fps * division.ticksPerFrame);
      return new TempoMap(withTempos([{ tick: 0, seconds: 0, tempo: DEFAULT_TEMPO, secondsPerTick }], changes, () => secondsPerTick));
    }
    const perTick = (tempo: number): Seconds => tempo / 1e6 / division.ticksPerBeat;
    return new TempoMap(withTempos([{ tick: 0, seconds: 0, tempo: DEFAULT_TEMPO, secondsPerTick: perTick(DEFAULT_TEMPO) }], changes, perTick));
  }

  /** The time of a tick (fractional ticks allowed). */
  ticksToSeconds(tick: number): Seconds {
    const s = this.segments[this.indexAtTick(tick)];
    return s.seconds + (tick - s.tick) * s.secondsPerTick;
  }

  /** The (fractional) tick at a time. */
  secondsToTicks(seconds: Seconds): number {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid].seconds <= seconds) lo = mid;
      else hi = mid - 1;
    }
    const s = segs[lo];
    return s.tick + (seconds - s.seconds) / s.secondsPerTick;
  }

  /** The tempo in force at a tick, in microseconds per quarter note. */
  tempoAt(tick: number): number {
    return this.segments[this.indexAtTick(tick)].tempo;
  }

  /** Every tempo change as {tick, seconds, tempo}, the first at tick 0. */
  changes(): { tick: number; seconds: Seconds; tempo: number }[] {
    return this.segments.map(({ tick, seconds, tempo }) => ({ tick, seconds, tempo }));
  }

  private indexAtTick(tick: number): number {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid].tick <= tick) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

function withTempos(
  segments: Segment[],
  changes: { tick: number; tempo: number }[],
  perTick: (tempo: number) => Seconds,
): Segment[] {
  for (const change of changes) {
    const last = segments[segments.length - 1];
    const seconds = last.seconds + (change.tick - last.tick) * last.secondsPerTick;
    const segment = { tick: change.tick, seconds, tempo: change.tempo, secondsPerTick: perTick(change.tempo) };
    if (change.tick === last.tick) segments[segments.length - 1] = segment;
    else segments.push(segment);
  }
  return segments;
}
