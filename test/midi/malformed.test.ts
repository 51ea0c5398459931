import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { MidiFormatError, readSmf } from '../../lib/midi/smf.js';
import { WavFormatError, WavToPcm } from '../../lib/sequencer/wav-input.js';

const BAD = fileURLToPath(new URL('../../../fixtures/midi-bad/', import.meta.url));

const MIDI_CASES: [string, string, number][] = [
  ['truncated', "chunk 'MTrk' length 12 runs past the end of the file (7 bytes left)", 18],
  ['track-length-too-long', "chunk 'MTrk' length 62 runs past the end of the file (12 bytes left)", 18],
  ['track-length-too-short', 'truncated data of status 0x80: expected 1 byte(s), 0 left before the end of the MTrk chunk 0 at byte 28', 28],
  ['running-status-without-status', 'data byte 0x3C with no running status (expected a status byte)', 23],
  ['bad-tempo-length', 'tempo meta event: expected 3 data bytes, got 2', 26],
  ['missing-track', 'truncated file: header declares 2 tracks, found 1', 34],
];

for (const [name, fault, offset] of MIDI_CASES) {
  test(`malformed MIDI ${name}: MidiFormatError names the fault and the byte offset`, async () => {
    const bytes = await readFile(`${BAD}${name}.mid`);
    assert.throws(() => readSmf(bytes), (err: unknown) => {
      assert.ok(err instanceof MidiFormatError);
      assert.deepEqual({ fault: err.fault, offset: err.offset, message: err.message },
        { fault, offset, message: `MIDI: ${fault} at byte offset ${offset}` });
      return true;
    });
  });
}

const WAV_CASES: [string, string, number][] = [
  ['truncated-header', "chunk 'fmt ' length 16 runs past the end of the file (10 bytes left)", 16],
  ['wrong-data-length', 'data chunk declares 4000 bytes, the file ended after 400', 444],
  ['unsupported-codec', 'unsupported codec 2 with 4-bit samples (expected PCM 8/16/24/32-bit or 32/64-bit float)', 20],
];

for (const [name, fault, offset] of WAV_CASES) {
  test(`malformed WAV ${name}: WavFormatError names the fault and the byte offset`, async () => {
    const sink = new Writable({ write(_chunk, _encoding, cb) { cb(); } });
    await assert.rejects(pipeline(createReadStream(`${BAD}${name}.wav`), new WavToPcm(), sink), (err: unknown) => {
      assert.ok(err instanceof WavFormatError);
      assert.deepEqual({ fault: err.fault, offset: err.offset, message: err.message },
        { fault, offset, message: `WAV: ${fault} at byte offset ${offset}` });
      return true;
    });
  });
}
