/** What an `in` file holds, from its first bytes. */
export type InputType = 'midi' | 'wav' | 'pcm';

/** Bytes needed to tell the input type (fewer give 'pcm' unless they already show a MIDI header). */
export const INPUT_TYPE_PROBE_BYTES = 12;

/** 'midi' for MThd (or a RIFF RMID wrapper), 'wav' for RIFF....WAVE, else raw PCM in the project format. */
export function detectInputType(firstBytes: Uint8Array): InputType {
  const ascii = (from: number, to: number) => String.fromCharCode(...firstBytes.subarray(from, to));
  if (ascii(0, 4) === 'MThd') return 'midi';
  if (firstBytes.length >= 12 && ascii(0, 4) === 'RIFF') {
    const form = ascii(8, 12);
    if (form === 'WAVE') return 'wav';
    if (form === 'RMID') return 'midi';
  }
  return 'pcm';
}
