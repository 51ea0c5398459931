/** A malformed MIDI file: names the fault and the byte offset where it was found. */
export class MidiFormatError extends Error {
  readonly fault: string;
  readonly offset: number;

  constructor(fault: string, offset: number) {
    super(`MIDI: ${fault} at byte offset ${offset}`);
    this.name = 'MidiFormatError';
    this.fault = fault;
    this.offset = offset;
  }
}
