import type { Bytes } from '../../base/units.js';
import { BYTES_PER_SAMPLE, bytesPerFrame, bytesPerSecond, type PcmFormat } from '../../base/pcm-format.js';

/** Bytes of the canonical PCM WAV header. */
export const WAV_HEADER_BYTES: Bytes = 44;

/** A canonical 44-byte RIFF/WAVE header for s16le PCM with `dataBytes` bytes of samples. */
export function wavHeader(format: PcmFormat, dataBytes: Bytes): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(Math.min(0xffffffff, 36 + dataBytes), 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(format.channels, 22);
  h.writeUInt32LE(format.rate, 24);
  h.writeUInt32LE(bytesPerSecond(format), 28);
  h.writeUInt16LE(bytesPerFrame(format), 32);
  h.writeUInt16LE(BYTES_PER_SAMPLE * 8, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(Math.min(0xffffffff, dataBytes), 40);
  return h;
}
