// Pairs expected notes with actual ones within a tolerance, so float ties in sort order do not matter.

/** A note to match: key number and times in seconds. */
export interface TimedNote {
  note: number;
  start: number;
  end: number;
}

/** The notes of `expected` with no partner in `actual` (same key, start and end within `tolerance`), and the leftovers of `actual`. */
export function unmatchedNotes(expected: TimedNote[], actual: TimedNote[], tolerance: number): { missing: TimedNote[]; extra: TimedNote[] } {
  const pool = [...actual].sort((a, b) => a.start - b.start);
  const used = new Array<boolean>(pool.length).fill(false);
  const missing: TimedNote[] = [];
  for (const want of [...expected].sort((a, b) => a.start - b.start)) {
    let lo = 0;
    let hi = pool.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pool[mid].start < want.start - tolerance) lo = mid + 1;
      else hi = mid;
    }
    let found = -1;
    for (let i = lo; i < pool.length && pool[i].start <= want.start + tolerance; i++) {
      if (!used[i] && pool[i].note === want.note && Math.abs(pool[i].end - want.end) <= tolerance) {
        found = i;
        break;
      }
    }
    if (found < 0) missing.push(want);
    else used[found] = true;
  }
  return { missing, extra: pool.filter((_, i) => !used[i]) };
}
