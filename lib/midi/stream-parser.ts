// A live MIDI byte stream (a /dev/midi device, a pipe) turned into messages as the bytes arrive.

/** One message of a live stream; note-on with velocity 0 arrives as a note-off (0x8n). */
export type MidiMessage =
  | { kind: 'channel'; status: number; data1: number; data2: number }
  | { kind: 'realtime'; status: number }
  | { kind: 'common'; status: number; data: number[] }
  | { kind: 'sysex'; data: Uint8Array };

/** Data bytes of each system common message (0xF1..0xF6). */
const COMMON_LENGTH: Record<number, number> = { 0xf1: 1, 0xf2: 2, 0xf3: 1, 0xf4: 0, 0xf5: 0, 0xf6: 0 };
/** Longest sysex kept; longer ones are still skipped whole but delivered truncated. */
const MAX_SYSEX = 4096;

function dataLength(status: number): number {
  const kind = status & 0xf0;
  return kind === 0xc0 || kind === 0xd0 ? 1 : 2;
}

/** Parses a live MIDI byte stream across chunk boundaries: running status, realtime bytes anywhere, sysex skipped. */
export class MidiStreamParser {
  private running = 0;
  private common = 0;
  private data: number[] = [];
  private sysex: number[] | undefined;

  /** Feeds bytes; returns the messages they complete, in order. */
  push(bytes: Uint8Array): MidiMessage[] {
    const out: MidiMessage[] = [];
    for (const b of bytes) this.byte(b, out);
    return out;
  }

  private byte(b: number, out: MidiMessage[]): void {
    if (b >= 0xf8) {
      out.push({ kind: 'realtime', status: b });
      return;
    }
    if (this.sysex) {
      if (b < 0x80) {
        if (this.sysex.length < MAX_SYSEX) this.sysex.push(b);
        return;
      }
      out.push({ kind: 'sysex', data: Uint8Array.from(this.sysex) });
      this.sysex = undefined;
      if (b === 0xf7) return;
    }
    if (b === 0xf0) {
      this.sysex = [];
      this.running = 0;
      this.common = 0;
      return;
    }
    if (b >= 0xf1) {
      this.running = 0;
      this.data = [];
      const length = COMMON_LENGTH[b] ?? 0;
      if (length === 0) {
        if (b !== 0xf7) out.push({ kind: 'common', status: b, data: [] });
        this.common = 0;
      } else {
        this.common = b;
      }
      return;
    }
    if (b >= 0x80) {
      this.running = b;
      this.common = 0;
      this.data = [];
      return;
    }
    if (this.common) {
      this.data.push(b);
      if (this.data.length === COMMON_LENGTH[this.common]) {
        out.push({ kind: 'common', status: this.common, data: this.data });
        this.common = 0;
        this.data = [];
      }
      return;
    }
    if (!this.running) return;
    this.data.push(b);
    if (this.data.length < dataLength(this.running)) return;
    const [data1, data2 = 0] = this.data;
    this.data = [];
    const status = (this.running & 0xf0) === 0x90 && data2 === 0 ? 0x80 | (this.running & 0x0f) : this.running;
    out.push({ kind: 'channel', status, data1, data2 });
  }
}
