import { PerformanceObserver, constants } from 'node:perf_hooks';

let count = 0;
let observer: PerformanceObserver | undefined;

/**
 * Full (mark-compact) garbage collections of this process since the first call: the figure that shows
 * whether V8's heap settings keep up with the bytes flowing through the mount (bin/audiofs's flag).
 */
export function fullGcs(): number {
  if (!observer) {
    observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) count++;
      }
    });
    observer.observe({ entryTypes: ['gc'] });
  }
  return count;
}
