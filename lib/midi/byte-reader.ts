import { MidiFormatError } from './midi-format-error.js';

/** A cursor over bytes that throws MidiFormatError (with the offset) when data runs out. */
export class ByteReader {
  pos: number;
  readonly end: number;
  private readonly bytes: Uint8Array;

  private readonly region: string;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length, region = 'file') {
    this.bytes = bytes;
    this.region = region;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(count: number, what: string): void {
    if (this.remaining < count) {
      throw new MidiFormatError(
        `truncated ${what}: expected ${count} byte(s), ${this.remaining} left before the end of the ${this.region} at byte ${this.end}`, this.pos);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++];
  }

  peek(): number {
    return this.bytes[this.pos];
  }

  u16(what: string): number {
    this.need(2, what);
    const value = (this.bytes[this.pos] << 8) | this.bytes[this.pos + 1];
    this.pos += 2;
    return value;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.bytes;
    const value = b[this.pos] * 0x1000000 + ((b[this.pos + 1] << 16) | (b[this.pos + 2] << 8) | b[this.pos + 3]);
    this.pos += 4;
    return value;
  }

  ascii(count: number, what: string): string {
    this.need(count, what);
    const text = String.fromCharCode(...this.bytes.subarray(this.pos, this.pos + count));
    this.pos += count;
    return text;
  }

  take(count: number, what: string): Uint8Array {
    this.need(count, what);
    const out = new Uint8Array(this.bytes.subarray(this.pos, this.pos + count));
    this.pos += count;
    return out;
  }

  /** A variable-length quantity: at most 4 bytes, 7 bits each, high bit = more. */
  vlq(what: string): number {
    const start = this.pos;
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const byte = this.u8(what);
      value = value * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) return value;
    }
    throw new MidiFormatError(`${what}: variable-length number longer than 4 bytes`, start);
  }
}
