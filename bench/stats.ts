// What the benchmarks report of repeated timings: one home for the median and the quantiles.

/** The value at quantile `q` (0..1) of `xs`, by rank (no interpolation). */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** The median of `xs` (the upper one of an even count). */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}
