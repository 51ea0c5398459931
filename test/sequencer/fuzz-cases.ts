// The fuzzer's inputs: seeded random numbers, seed files built in code, mutations and structured random MIDI.

/** A seeded generator (mulberry32): the same seed gives the same cases on every machine. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

const BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xf0, 0xf7, 0x2f, 0x51, 0x58];
const WORDS = [0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x0fffffff, 0x7fffffff, 0x80000000, 0xffffffff];

/** One to four random mutations of a copy of `input`; `fields` are offsets worth hitting (header fields). */
export function mutate(input: Uint8Array, rng: Rng, fields: readonly { at: number; size: 1 | 2 | 4; le: boolean }[]): Uint8Array {
  let b = Buffer.from(input);
  const count = 1 + rng.int(4);
  for (let i = 0; i < count; i++) {
    const at = b.length ? rng.int(b.length) : 0;
    switch (rng.int(9)) {
      case 0:
        if (b.length) b[at] ^= 1 << rng.int(8);
        break;
      case 1:
        if (b.length) b[at] = rng.pick(BYTES);
        break;
      case 2: {
        if (at + 4 > b.length) break;
        const v = rng.pick(WORDS);
        if (rng.int(2)) b.writeUInt32BE(v >>> 0, at);
        else b.writeUInt32LE(v >>> 0, at);
        break;
      }
      case 3:
        // The longest variable-length number (0x0FFFFFFF), where a delta time or a length may be.
        if (at + 4 <= b.length) b.set([0xff, 0xff, 0xff, 0x7f], at);
        break;
      case 4: {
        const extra = Buffer.from(Array.from({ length: 1 + rng.int(16) }, () => (rng.int(2) ? rng.pick(BYTES) : rng.int(256))));
        b = Buffer.concat([b.subarray(0, at), extra, b.subarray(at)]);
        break;
      }
      case 5:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.int(64)))]);
        break;
      case 6: {
        const from = rng.int(b.length + 1);
        const piece = b.subarray(from, from + 1 + rng.int(256));
        b = Buffer.concat([b.subarray(0, at), piece, b.subarray(at)]);
        break;
      }
      case 7:
        b = b.subarray(0, at);
        break;
      default: {
        const field = rng.pick(fields);
        if (field.at + field.size > b.length) break;
        const v = rng.pick(WORDS) % 2 ** (8 * field.size);
        if (field.size === 1) b[field.at] = v;
        else if (field.size === 2) field.le ? b.writeUInt16LE(v, field.at) : b.writeUInt16BE(v, field.at);
        else field.le ? b.writeUInt32LE(v, field.at) : b.writeUInt32BE(v, field.at);
      }
    }
  }
  return new Uint8Array(b);
}

/** Header fields of a Standard MIDI File: format, track count, division, first track length. */
export const MIDI_FIELDS = [
  { at: 8, size: 2, le: false }, { at: 10, size: 2, le: false }, { at: 12, size: 2, le: false }, { at: 18, size: 4, le: false },
] as const;

/** Header fields of a canonical 44-byte WAV header: format, channels, rate, byte rate, block align, bits, data length. */
export const WAV_FIELDS = [
  { at: 20, size: 2, le: true }, { at: 22, size: 2, le: true }, { at: 24, size: 4, le: true }, { at: 28, size: 4, le: true },
  { at: 32, size: 2, le: true }, { at: 34, size: 2, le: true }, { at: 40, size: 4, le: true }, { at: 16, size: 4, le: true },
] as const;

/** A WAV file of `frames` frames of a ramp: PCM of 8/16/24/32 bits or 32-bit float. */
export function makeWav(options: { rate: number; channels: number; bits: 8 | 16 | 24 | 32; float?: boolean; frames: number; extensible?: boolean }): Uint8Array {
  const { rate, channels, bits, frames } = options;
  const align = channels * (bits / 8);
  const fmtLength = options.extensible ? 40 : 16;
  const data = Buffer.alloc(frames * align);
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) {
      const v = Math.sin((f * (c + 1)) / 7) * 0.8;
      const at = f * align + (c * bits) / 8;
      if (options.float) data.writeFloatLE(v, at);
      else if (bits === 8) data[at] = Math.round(v * 127) + 128;
      else data.writeIntLE(Math.round(v * (2 ** (bits - 1) - 1)), at, bits / 8);
    }
  }
  const fmt = Buffer.alloc(8 + fmtLength);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(fmtLength, 4);
  const code = options.float ? 3 : 1;
  fmt.writeUInt16LE(options.extensible ? 0xfffe : code, 8);
  fmt.writeUInt16LE(channels, 10);
  fmt.writeUInt32LE(rate, 12);
  fmt.writeUInt32LE(rate * align, 16);
  fmt.writeUInt16LE(align, 20);
  fmt.writeUInt16LE(bits, 22);
  if (options.extensible) {
    fmt.writeUInt16LE(22, 24);
    fmt.writeUInt16LE(bits, 26);
    fmt.writeUInt16LE(code, 32);
  }
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(4 + fmt.length + 8 + data.length, 4);
  head.write('WAVE', 8, 'latin1');
  const dataHead = Buffer.alloc(8);
  dataHead.write('data', 0, 'latin1');
  dataHead.writeUInt32LE(data.length, 4);
  return new Uint8Array(Buffer.concat([head, fmt, dataHead, data]));
}

/** A structurally valid MIDI file of random events with extreme values: giant deltas, odd tempos and time signatures. */
export function randomMidi(rng: Rng): Uint8Array {
  const tracks = 1 + rng.int(3);
  const division = rng.pick([1, 2, 3, 96, 480, 0x7fff, 0xe728, 0xe250]);
  const chunks: Buffer[] = [];
  const head = Buffer.alloc(14);
  head.write('MThd', 0, 'latin1');
  head.writeUInt32BE(6, 4);
  head.writeUInt16BE(tracks === 1 ? rng.int(2) : 1 + rng.int(2), 8);
  head.writeUInt16BE(tracks, 10);
  head.writeUInt16BE(division, 12);
  chunks.push(head);
  for (let t = 0; t < tracks; t++) {
    const body: number[] = [];
    const events = rng.int(40);
    for (let e = 0; e < events; e++) {
      body.push(...vlq(rng.pick([0, 0, 1, 7, 96, 0x3fff, 0x0fffffff, rng.int(0x0fffffff)])));
      switch (rng.int(6)) {
        case 0: body.push(0x90 | rng.int(16), rng.int(128), rng.int(128)); break;
        case 1: body.push(0x80 | rng.int(16), rng.int(128), rng.int(128)); break;
        case 2: body.push(0xff, 0x51, 3, rng.int(256), rng.int(256), rng.int(256)); break;
        case 3: body.push(0xff, 0x58, 4, rng.int(256), rng.int(256), 24, 8); break;
        case 4: body.push(0xb0 | rng.int(16), rng.int(128), rng.int(128)); break;
        default: body.push(0xf0, 2, rng.int(128), 0xf7);
      }
    }
    body.push(0, 0xff, 0x2f, 0);
    const trk = Buffer.alloc(8);
    trk.write('MTrk', 0, 'latin1');
    trk.writeUInt32BE(body.length, 4);
    chunks.push(trk, Buffer.from(body));
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function vlq(value: number): number[] {
  const out = [value & 0x7f];
  for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) out.unshift((v & 0x7f) | 0x80);
  return out;
}
