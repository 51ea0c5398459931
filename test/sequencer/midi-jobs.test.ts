import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { readSmf } from '../../lib/midi/smf.js';
import { midiBars, stepRegion } from '../../lib/sequencer/bars.js';
import { MAX_MIDI_BYTES, MidiJobError, sliceMidiOffThread, stepRegionOffThread } from '../../lib/sequencer/midi-jobs.js';
import { sliceMidi } from '../../lib/sequencer/midi-slice.js';
import { SHARED_MIDI } from '../helpers/shared.js';

test('a slice and a step region made by the worker thread are what the same calls give in this thread', async () => {
  const bytes = await readFile(`${SHARED_MIDI}/claire_de_lune.mid`);
  assert.deepEqual(await sliceMidiOffThread(bytes, { from: 12.5, to: 30 }), sliceMidi(bytes, { from: 12.5, to: 30 }));
  assert.deepEqual(await stepRegionOffThread(bytes, 4, 3), stepRegion(midiBars(readSmf(bytes)), 4, 3));
});

test('worker failures keep their kind: an unreadable file is "format", a step out of range is "range"', async () => {
  const bytes = await readFile(`${SHARED_MIDI}/beat.mid`);
  await assert.rejects(stepRegionOffThread(bytes, 1, 100000), (err: unknown) =>
    err instanceof MidiJobError && err.kind === 'range' && /^step 100000: expected a step from 1 to \d+ \(\d+ bars, 1 per step\)$/.test(err.message));
  const noDivision = Buffer.from(bytes);
  noDivision.writeUInt16BE(0, 12);
  await assert.rejects(sliceMidiOffThread(noDivision, { from: 1 }), {
    name: 'MidiJobError', kind: 'format', message: 'MIDI: division: expected ticks per quarter note > 0, got 0 at byte offset 12',
  });
  await assert.rejects(sliceMidiOffThread(new Uint8Array(MAX_MIDI_BYTES + 1), { from: 1 }), {
    kind: 'format', message: `MIDI: expected a file of at most ${MAX_MIDI_BYTES} bytes, got ${MAX_MIDI_BYTES + 1}`,
  });
});
