import { PerformanceObserver, constants } from 'node:perf_hooks';

/** A GC pause this long stalls the realtime mix for more than a sound card's usual buffer (ms; /status's `gc_pauses_over_50ms`). */
export const LONG_PAUSE_MS = 50;

/** Garbage collections of this process since the first call of gcStats(). */
export interface GcStats {
  /** Full (mark-compact) collections: whether V8's heap settings keep up with the bytes through the mount. */
  full: number;
  /** Pauses of any kind longer than LONG_PAUSE_MS: what the realtime mix cannot hide. */
  longPauses: number;
  /** The longest pause (ms). */
  longestMs: number;
}

const stats: GcStats = { full: 0, longPauses: 0, longestMs: 0 };
let observer: PerformanceObserver | undefined;

/** The GCs of this process since the first call (bin/audiofs's flags are what keeps these low). */
export function gcStats(): Readonly<GcStats> {
  if (!observer) {
    observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) stats.full++;
        if (e.duration > LONG_PAUSE_MS) stats.longPauses++;
        stats.longestMs = Math.max(stats.longestMs, e.duration);
      }
    });
    observer.observe({ entryTypes: ['gc'] });
  }
  return stats;
}
