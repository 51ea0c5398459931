// Beat phase: one continuous phase through a track (set where the evidence is strongest), and the beat, not the off-beat.
/** Frame positions on an onset envelope. */
type Frame = number;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The local beat period at each beat: the median of the intervals within `reach` beats (robust against a few odd ones). */
export function localPeriods(beats: Frame[], reach = 8): number[] {
  const gaps = beats.slice(1).map((b, i) => b - beats[i]);
  return beats.map((_, i) => median(gaps.slice(Math.max(0, i - reach), Math.min(gaps.length, i + reach))));
}

/** The peak of an envelope within +-2 frames of a position. */
function peakNear(env: Float64Array, at: number): number {
  let m = 0;
  const c = Math.round(at);
  for (let k = c - 2; k <= c + 2; k++) if (k >= 0 && k < env.length && env[k] > m) m = env[k];
  return m;
}

/** The mean strength of an envelope at beats shifted by `shift` periods. */
export function strengthAt(env: Float64Array, beats: Frame[], periods: number[], shift: number): number {
  let s = 0;
  beats.forEach((b, i) => (s += peakNear(env, b + shift * periods[i])));
  return s / (beats.length || 1);
}

/**
 * One phase for the whole track: from the window of `window` beats where the beats are strongest, the grid is carried
 * outwards beat by beat at the local period (the tempo curve's, when given), taking a tracked beat when one is within `snap` of a period of where the
 * grid expects it and the grid's own position otherwise. A tracker that follows a syncopated intro on its off-beats
 * and then finds the drums thus gets the intro on the drums' phase.
 */
export function continuousPhase(beats: Frame[], strength: Float64Array, options: { window?: number; snap?: number; curve?: Float64Array } = {}): Frame[] {
  const window = options.window ?? 16;
  const snap = options.snap ?? 0.08;
  if (beats.length < window + 2) return beats;
  const periods = localPeriods(beats);
  const curve = options.curve;
  let anchor = 0;
  let best = -Infinity;
  for (let i = 0; i + window <= beats.length; i++) {
    const s = strengthAt(strength, beats.slice(i, i + window), periods.slice(i, i + window), 0);
    if (s > best) { best = s; anchor = i; }
  }
  const out = beats.slice(anchor, anchor + window);
  const nearest = (at: number): Frame | undefined => {
    let lo = 0;
    let hi = beats.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (beats[mid] < at) lo = mid + 1; else hi = mid; }
    const candidates = [beats[lo], beats[lo - 1]].filter((b) => b !== undefined);
    return candidates.sort((a, b) => Math.abs(a - at) - Math.abs(b - at))[0];
  };
  // The tempo curve when there is one (it follows a tempo change at once), else the median of the tracked intervals.
  const periodNear = (at: number): number => curve
    ? curve[Math.max(0, Math.min(curve.length - 1, Math.round(at)))]
    : periods[Math.max(0, Math.min(periods.length - 1, beats.indexOf(nearest(at)!)))];
  const last = beats[beats.length - 1];
  for (;;) {
    const prev = out[out.length - 1];
    const p = periodNear(prev);
    const expect = prev + p;
    if (expect > last + snap * p) break;
    const n = nearest(expect)!;
    out.push(Math.abs(n - expect) <= snap * p ? n : expect);
  }
  const first = beats[0];
  for (;;) {
    const next = out[0];
    const p = periodNear(next);
    const expect = next - p;
    if (expect < first - snap * p) break;
    const n = nearest(expect)!;
    out.unshift(Math.abs(n - expect) <= snap * p ? n : expect);
  }
  return out;
}

/**
 * The beat rather than the off-beat: the beats are moved by half a period when kick and bass (the low band) and the
 * broadband attacks together are stronger there, by the product of the two ratios over `margin`. Off-beat hi-hats,
 * tambourine and off-beat bass octaves (disco) make a tracker on the broadband flux alone lock half a beat late.
 */
export function onTheBeat(beats: Frame[], broad: Float64Array, low: Float64Array, options: { margin?: number } = {}): Frame[] {
  const margin = options.margin ?? 1.25;
  if (beats.length < 4) return beats;
  const periods = localPeriods(beats);
  const ratio = (env: Float64Array): number => strengthAt(env, beats, periods, 0.5) / Math.max(1e-9, strengthAt(env, beats, periods, 0));
  if (ratio(low) * ratio(broad) <= margin) return beats;
  const shifted = beats.map((b, i) => b + 0.5 * periods[i]);
  if (beats[0] - 0.5 * periods[0] >= 0) shifted.unshift(beats[0] - 0.5 * periods[0]);
  return shifted.filter((b) => b < broad.length);
}
