// The now-playing lines on stderr: one JSON object per action, `start` in seconds of the output stream.
import type { Seconds } from '../base/units.js';

/** One action of the radio as it reaches the output; `title` (the track now heard) on those that bring a track in. */
export type NowPlaying =
  | { action: 'fade-in'; start: Seconds; duration: Seconds; to: string; title: string }
  | { action: 'playback'; start: Seconds; duration: Seconds; track: string; tempo: number | null }
  | { action: 'crossmatch'; start: Seconds; duration: Seconds; from: string; to: string; title: string; beats: number; tempoFrom: number | null; tempoTo: number | null; offset: Seconds }
  | { action: 'crossfade'; start: Seconds; duration: Seconds; from: string; to: string; title: string; offset: Seconds }
  | { action: 'fade-out'; start: Seconds; duration: Seconds; from: string }
  | { action: 'skip'; start: Seconds; from: string; transition: Seconds };

const round = (v: number): number => Math.round(v * 1000) / 1000;

/** The JSON line of an action, times rounded to the millisecond. */
export function formatNowPlaying(event: NowPlaying): string {
  return JSON.stringify(event, (key, value: unknown) => (typeof value === 'number' && key !== '' ? round(value) : value));
}

/** The title listeners see for a track: its file name without the extension. */
export function titleOf(name: string): string {
  return name.replace(/\.(wav|mp3|flac|ogg|oga)$/i, '');
}
