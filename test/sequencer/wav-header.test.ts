// WAV header facts against sox: the duration a header declares, as soxi reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseWavHeader, wavSeconds } from '../../lib/sequencer/wav-header.js';
import { withTempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);

test('wavSeconds: the duration of WAV files of several rates, widths and channel counts is what soxi -D says; streamed (length unknown) counts whole frames of what is there', async () => {
  await withTempDir('audiofs-wav-header', async (dir) => {
    const got: Record<string, number> = {};
    const want: Record<string, number> = {};
    for (const [rate, bits, channels, seconds] of [[44100, 16, 2, 1.5], [48000, 24, 1, 0.25], [22050, 32, 6, 2]] as const) {
      const file = join(dir, `${rate}-${bits}-${channels}.wav`);
      await run('sox', ['-D', '-q', '-n', '-r', `${rate}`, '-b', `${bits}`, '-c', `${channels}`, file, 'synth', `${seconds}`, 'sine', '440']);
      const bytes = await readFile(file);
      got[file] = wavSeconds(parseWavHeader(bytes)!, bytes.length);
      want[file] = Number((await run('soxi', ['-D', file])).stdout.trim());
      // The same file as a stream that declares no length, with half a frame of junk after it.
      const streamed = Buffer.concat([bytes, Buffer.alloc(1)]);
      const header = parseWavHeader(streamed)!;
      streamed.writeUInt32LE(0xffffffff, header.dataOffset - 4);
      got[`${file} streamed`] = wavSeconds(parseWavHeader(streamed)!, streamed.length);
      want[`${file} streamed`] = want[file];
    }
    assert.deepEqual(got, want);
  });
});
