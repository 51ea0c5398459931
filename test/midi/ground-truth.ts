// Reads the pretty_midi ground truth beside a fixture: `track NAME`, then `note<TAB>start<TAB>end` lines.
import { readFile } from 'node:fs/promises';
import { SHARED_MIDI } from '../helpers/shared.js';

/** One note of the ground truth. */
export interface TruthNote {
  trackName: string;
  note: number;
  start: number;
  end: number;
}

/** The shared MIDI fixtures. */
export const MIDI_FIXTURES = SHARED_MIDI;

/** Every note of `NAME.mid.txt`, with the name of the track it is under. */
export async function groundTruth(name: string): Promise<TruthNote[]> {
  const text = await readFile(`${MIDI_FIXTURES}/${name}.mid.txt`, 'utf8');
  const notes: TruthNote[] = [];
  let trackName = '';
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('track ')) trackName = line.slice(6);
    else if (line.trim() !== '') {
      const [note, start, end] = line.split('\t').map(Number);
      notes.push({ trackName, note, start, end });
    }
  }
  return notes;
}

/** Notes as sortable [note, start, end] triples, ordered by start, then note, then end. */
export function sortedTriples(notes: { note: number; start: number; end: number }[]): [number, number, number][] {
  return notes
    .map((n): [number, number, number] => [n.note, n.start, n.end])
    .sort((a, b) => a[1] - b[1] || a[0] - b[0] || a[2] - b[2]);
}
