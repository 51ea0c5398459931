import type { MidiEvent, Smf } from './smf-types.js';

/** Every event of every track in one list ordered by tick; at equal ticks, track order then file order. */
export function mergeTracks(smf: Smf): MidiEvent[] {
  return smf.tracks.flat().sort((a, b) => a.tick - b.tick);
}
