import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { clientsOf, mountAudiofs, ROOT, type TestMount, openReader } from '../helpers/mount.js';
import { SHARED_MIDI } from '../helpers/shared.js';

const MIDI = SHARED_MIDI + '/bach_format0.mid';
const BIN = join(ROOT, 'bin');

let m: TestMount;

before(async () => {
  m = await mountAudiofs();
  await m.ctl('realtime off');
});

after(async () => {
  assert.deepEqual(await clientsOf(m.tmp), []);
  assert.equal(await m.close(), 0);
});

/** The oracle: the same programs as a plain sh pipeline, with bin/ on PATH. */
async function shell(pipeline: string, input?: string): Promise<Buffer> {
  const { stdout } = await promisify(execFile)('sh', ['-c', input ? `exec < '${input}'; ${pipeline}` : `exec < /dev/null; ${pipeline}`], {
    encoding: 'buffer',
    maxBuffer: 1 << 30,
    env: { ...process.env, PATH: `${process.env.PATH}:${BIN}` },
  });
  return stdout as unknown as Buffer;
}

/** Makes chain NAME, stores `input` in NAME/in, plays it and returns what a reader of NAME/out got. */
async function playChain(name: string, pipeline: string, input?: string): Promise<Buffer> {
  await m.ctl(`${name} ${pipeline}`);
  if (input) await writeFile(m.path(name, 'in'), await readFile(input));
  const out = (await openReader(m.path(name, 'out'))).all;
  await m.ctl('play', `${name}/ctl`);
  return out;
}

/** The first byte where two buffers differ, for messages. */
function firstDiff(a: Buffer, b: Buffer): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

test('synth | filter | fx on a MIDI file: through audiofs in export mode, byte for byte the shell pipeline', async () => {
  const pipeline = 'audiofs-synth | audiofs-filter -low 2000 | audiofs-fx -echo 0.25 0.4';
  const got = await playChain('bach', pipeline, MIDI);
  const expected = await shell(pipeline, MIDI);
  assert.ok(expected.length > 44100 * 4 * 10, `the oracle rendered ${expected.length} bytes`);
  assert.equal(got.length, expected.length);
  assert.equal(firstDiff(got, expected), expected.length, 'identical bytes');
});

test('tone | fx -gain: through audiofs, byte for byte the shell pipeline', async () => {
  const pipeline = 'audiofs-tone 440 --seconds 2 | audiofs-fx -gain -6';
  const got = await playChain('tone', pipeline);
  const expected = await shell(pipeline);
  assert.equal(expected.length, 2 * 44100 * 4);
  assert.equal(got.length, expected.length);
  assert.equal(firstDiff(got, expected), expected.length, 'identical bytes');
});
