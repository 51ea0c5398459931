// Standard MIDI Files: types, reader, writer, track merging and the tempo map.
export type { MidiEvent, Division, Smf } from './smf-types.js';
export { META, channelDataLength, isMetrical } from './smf-types.js';
export { MidiFormatError } from './midi-format-error.js';
export { readSmf, MAX_MIDI_EVENTS, type ReadSmfOptions } from './read-smf.js';
export { writeSmf } from './write-smf.js';
export { mergeTracks } from './merge-tracks.js';
export { TempoMap, DEFAULT_TEMPO, type TempoMapOptions } from './tempo-map.js';
export { noteSpans, isNoteOn, isNoteOff, type NoteSpan } from './note-spans.js';
