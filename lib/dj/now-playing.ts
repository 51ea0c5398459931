// The now-playing lines on stderr: one JSON object per action, `start` in seconds of the output stream.
import type { Seconds } from '../base/units.js';

/** One action of the radio as it reaches the output. */
export type NowPlaying =
  | { action: 'fade-in'; start: Seconds; duration: Seconds; to: string }
  | { action: 'playback'; start: Seconds; duration: Seconds; track: string; tempo: number | null }
  | { action: 'crossmatch'; start: Seconds; duration: Seconds; from: string; to: string; beats: number; tempoFrom: number | null; tempoTo: number | null; offset: Seconds }
  | { action: 'crossfade'; start: Seconds; duration: Seconds; from: string; to: string; offset: Seconds }
  | { action: 'fade-out'; start: Seconds; duration: Seconds; from: string };

const round = (v: number): number => Math.round(v * 1000) / 1000;

/** The JSON line of an action, times rounded to the millisecond. */
export function formatNowPlaying(event: NowPlaying): string {
  return JSON.stringify(event, (key, value: unknown) => (typeof value === 'number' && key !== '' ? round(value) : value));
}
