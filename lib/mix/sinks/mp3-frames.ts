import type { Bytes, Hz } from '../../base/units.js';

/** What one MPEG audio frame header says. */
export interface Mp3FrameHeader {
  /** 1 (MPEG-1), 2 (MPEG-2) or 2.5. */
  version: 1 | 2 | 2.5;
  bitrateKbps: number;
  sampleRate: Hz;
  /** The whole frame, header included. */
  length: Bytes;
}

const L3_BITRATES_V1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const L3_BITRATES_V2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const RATES_V1 = [44100, 48000, 32000];

/** Parses the Layer III frame header at `at`; null when there is none there. */
export function parseMp3FrameHeader(buf: Buffer, at: number): Mp3FrameHeader | null {
  if (at + 4 > buf.length) return null;
  const b1 = buf[at + 1];
  const b2 = buf[at + 2];
  if (buf[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return null;
  const v = (b1 >> 3) & 3;
  const layer = (b1 >> 1) & 3;
  const bi = b2 >> 4;
  const si = (b2 >> 2) & 3;
  if (v === 1 || layer !== 1 || bi === 0 || bi === 15 || si === 3) return null;
  const version = v === 3 ? 1 : v === 2 ? 2 : 2.5;
  const bitrateKbps = (version === 1 ? L3_BITRATES_V1 : L3_BITRATES_V2)[bi];
  const sampleRate = RATES_V1[si] / (version === 1 ? 1 : version === 2 ? 2 : 4);
  const perKbps = version === 1 ? 144000 : 72000;
  const length = Math.floor((perKbps * bitrateKbps) / sampleRate) + ((b2 >> 1) & 1);
  return { version, bitrateKbps, sampleRate, length };
}

/** Cuts an MP3 byte stream into runs of whole frames, so each output chunk begins on a frame boundary. */
export class Mp3FrameSplitter {
  private rest: Buffer = Buffer.alloc(0);
  /** Frames seen so far. */
  frames = 0;
  /** Bytes skipped because they were not inside a frame (garbage, a lost sync). */
  skipped: Bytes = 0;

  /** Takes encoder output; returns the whole frames now complete (empty when none). */
  push(data: Buffer): Buffer {
    const buf = this.rest.length > 0 ? Buffer.concat([this.rest, data]) : data;
    let start = 0;
    while (start < buf.length && !parseMp3FrameHeader(buf, start)) {
      if (buf.length - start < 4) break;
      start++;
    }
    this.skipped += start;
    let end = start;
    for (;;) {
      const h = parseMp3FrameHeader(buf, end);
      if (!h || end + h.length > buf.length) break;
      end += h.length;
      this.frames++;
    }
    this.rest = Buffer.from(buf.subarray(end));
    return buf.subarray(start, end);
  }
}
