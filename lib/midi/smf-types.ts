// The shape of a Standard MIDI File once parsed: absolute ticks per track.

/** One event of a track; `tick` is absolute within its track. */
export type MidiEvent =
  | { tick: number; track: number; kind: 'channel'; status: number; data1: number; data2: number }
  | { tick: number; track: number; kind: 'meta'; type: number; data: Uint8Array }
  | { tick: number; track: number; kind: 'sysex'; status: 0xf0 | 0xf7; data: Uint8Array };

/** Ticks per quarter note, or SMPTE frames per second and ticks per frame. */
export type Division = { ticksPerBeat: number } | { fps: number; ticksPerFrame: number };

/** A whole Standard MIDI File. */
export interface Smf {
  format: 0 | 1 | 2;
  division: Division;
  tracks: MidiEvent[][];
}

/** Meta event types audiofs looks at. */
export const META = Object.freeze({
  trackName: 0x03,
  channelPrefix: 0x20,
  endOfTrack: 0x2f,
  tempo: 0x51,
  smpteOffset: 0x54,
  timeSignature: 0x58,
  keySignature: 0x59,
});

/** Data bytes that follow a channel status (2, or 1 for program change and channel pressure). */
export function channelDataLength(status: number): 1 | 2 {
  const kind = status & 0xf0;
  return kind === 0xc0 || kind === 0xd0 ? 1 : 2;
}

/** True when the division counts ticks per quarter note (not SMPTE). */
export function isMetrical(division: Division): division is { ticksPerBeat: number } {
  return 'ticksPerBeat' in division;
}
