// The mixer in the mount (export mode): /out against sox -m and sox remix, the mixer files, trace and /status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { playAndRead, readLog } from '../helpers/live-read.js';
import { mountAudiofs, run, soxSignal, type TestMount } from '../helpers/mount.js';

const RAW = ['-t', 'raw', '-r', '44100', '-e', 'signed', '-b', '16', '-c', '2'];

let m: TestMount;
let a: string;
let b: string;

before(async () => {
  m = await mountAudiofs();
  a = await soxSignal(m.tmp, 'a.raw', ['3', 'sine', '300', 'vol', '0.4']);
  b = await soxSignal(m.tmp, 'b.raw', ['3', 'sine', '523', 'vol', '0.3']);
  await m.ctl('realtime off');
  await m.ctl('a cat');
  await m.ctl('b cat');
  await writeFile(m.path('a/in'), await readFile(a));
  await writeFile(m.path('b/in'), await readFile(b));
});

after(async () => {
  assert.equal(await m.close(), 0);
});

/** sox with raw project-format inputs and output; `args` between the inputs and the output are effects after. */
async function sox(inputs: Array<{ file: string; v?: number }>, effects: string[] = [], options: { mix?: boolean } = {}): Promise<Buffer> {
  const args = ['-D', '-q', ...(options.mix ? ['-m'] : [])];
  for (const i of inputs) args.push(...(i.v !== undefined ? ['-v', String(i.v)] : []), ...RAW, i.file);
  args.push(...RAW, '-', ...effects);
  const { stdout } = await run('sox', args, { encoding: 'buffer', maxBuffer: 1 << 28 });
  return stdout as unknown as Buffer;
}

/** The largest difference between two s16le buffers of the same length, in LSB. */
function maxDiff(x: Buffer, y: Buffer): number {
  assert.equal(x.length, y.length, `lengths differ: ${x.length} vs ${y.length}`);
  let d = 0;
  for (let i = 0; i < x.length; i += 2) d = Math.max(d, Math.abs(x.readInt16LE(i) - y.readInt16LE(i)));
  return d;
}

async function assertMix(expected: Buffer, what: string): Promise<void> {
  const out = await playAndRead(m, 'out');
  assert.ok(maxDiff(out, expected) <= 1, `${what}: /out differs from the oracle by more than 1 LSB`);
}

test('two chains mixed in /out equal sox -m of their inputs (within 1 LSB)', async () => {
  await assertMix(await sox([{ file: a, v: 1 }, { file: b, v: 1 }], [], { mix: true }), 'sox -m');
});

test('NAME/mixer volume (linear and dB), pan, mute and solo against sox', async () => {
  await writeFile(m.path('a/mixer'), 'volume 0.5\n');
  assert.equal(await readFile(m.path('a/mixer'), 'utf8'), 'volume 0.5\npan 0\nmute off\nsolo off\n');
  await assertMix(await sox([{ file: a, v: 0.5 }, { file: b, v: 1 }], [], { mix: true }), 'volume 0.5');

  await writeFile(m.path('a/mixer'), 'volume -6dB\n');
  assert.match(await readFile(m.path('a/mixer'), 'utf8'), /^volume -6dB\n/);
  await assertMix(await sox([{ file: a, v: 10 ** (-6 / 20) }, { file: b, v: 1 }], [], { mix: true }), 'volume -6dB');

  await writeFile(m.path('a/mixer'), 'volume 1\npan 0.5\n');
  assert.equal(await readFile(m.path('a/mixer'), 'utf8'), 'volume 1\npan 0.5\nmute off\nsolo off\n');
  const aPanned = await sox([{ file: a }], ['remix', '1v0.5', '2']);
  const panned = `${m.tmp}/a-panned.raw`;
  await writeFile(panned, aPanned);
  await assertMix(await sox([{ file: panned, v: 1 }, { file: b, v: 1 }], [], { mix: true }), 'pan 0.5');

  await writeFile(m.path('a/mixer'), 'pan 0\nmute on\n');
  await assertMix(await readFile(b), 'mute on: only b');
  assert.equal(await readFile(m.path('a/mixer'), 'utf8'), 'volume 1\npan 0\nmute on\nsolo off\n');

  await writeFile(m.path('a/mixer'), 'mute off\nsolo on\n');
  await assertMix(await readFile(a), 'solo on: only a');
  await writeFile(m.path('a/mixer'), 'solo off\n');
  assert.equal(await readFile(m.path('a/mixer'), 'utf8'), 'volume 1\npan 0\nmute off\nsolo off\n');
});

test('/mixer volume and mute apply to the whole mix and read back', async () => {
  await writeFile(m.path('mixer'), 'volume 0.5\n');
  assert.equal(await readFile(m.path('mixer'), 'utf8'), 'volume 0.5\nmute off\n');
  await assertMix(await sox([{ file: a, v: 0.5 }, { file: b, v: 0.5 }], [], { mix: true }), '/mixer volume 0.5');
  await writeFile(m.path('mixer'), 'mute on\n');
  await assertMix(Buffer.alloc((await readFile(a)).length), '/mixer mute on: silence');
  await writeFile(m.path('mixer'), 'volume 1\nmute off\n');
  assert.equal(await readFile(m.path('mixer'), 'utf8'), 'volume 1\nmute off\n');
});

test('a bad mixer line fails with EINVAL, changes nothing and leaves a /log line', async () => {
  await assert.rejects(writeFile(m.path('a/mixer'), 'volume loud\n'), { code: 'EINVAL' });
  await assert.rejects(writeFile(m.path('mixer'), 'pan 0.5\n'), { code: 'EINVAL' });
  await assert.rejects(writeFile(m.path('b/mixer'), 'volume 0.5\nsolo maybe\n'), { code: 'EINVAL' });
  assert.equal(await readFile(m.path('a/mixer'), 'utf8'), 'volume 1\npan 0\nmute off\nsolo off\n');
  // A mixer write is all or nothing: the good line before the bad one was not taken either.
  assert.equal(await readFile(m.path('b/mixer'), 'utf8'), 'volume 1\npan 0\nmute off\nsolo off\n');
  await writeFile(m.path('b/mixer'), 'volume 1\n');
  const log = await readLog(m);
  assert.match(log, /\/a\/mixer: 'volume loud' refused: .*expected a linear gain/);
  assert.match(log, /\/mixer: 'pan 0.5' refused: .*unknown setting 'pan' \(expected volume or mute\)/);
  assert.match(log, /\/b\/mixer: .*refused: .*expected 'solo on' or 'solo off', got 'solo maybe'/);
});

test('trace on: one channel pair per chain in /out, /channels says which is which', async () => {
  await m.ctl('trace on');
  try {
    const out = await playAndRead(m, 'out');
    assert.equal(await readFile(m.path('channels'), 'utf8'), 'a 1 2\nb 3 4\n');
    const [ra, rb] = [await readFile(a), await readFile(b)];
    assert.equal(out.length, ra.length * 2, 'four channels of the length of one stereo input');
    const left = Buffer.alloc(ra.length);
    const right = Buffer.alloc(rb.length);
    for (let f = 0; f < ra.length / 4; f++) {
      out.copy(left, f * 4, f * 8, f * 8 + 4);
      out.copy(right, f * 4, f * 8 + 4, f * 8 + 8);
    }
    assert.ok(left.equals(ra), 'channels 1-2 carry chain a exactly');
    assert.ok(right.equals(rb), 'channels 3-4 carry chain b exactly');
  } finally {
    await m.ctl('trace off');
  }
});

test('/status shows peak and RMS per chain and xruns', async () => {
  await playAndRead(m, 'out');
  const status = await readFile(m.path('status'), 'utf8');
  const chain = (name: string) => {
    const block = status.slice(status.indexOf(`  ${name}:\n`));
    const num = (key: string) => Number(new RegExp(`${key}: (-?[\\d.]+|-?\\.inf)`).exec(block)?.[1]);
    return { peak: num('peak_db'), rms: num('rms_db'), xruns: num('xruns') };
  };
  // sine at 0.4 of full scale: peak -7.96 dBFS, RMS 3 dB lower; at 0.3: -10.46 and -13.47.
  const sa = chain('a');
  const sb = chain('b');
  assert.ok(Math.abs(sa.peak - -7.96) < 0.3, `a peak ${sa.peak}`);
  assert.ok(Math.abs(sa.rms - -10.97) < 0.5, `a rms ${sa.rms}`);
  assert.ok(Math.abs(sb.peak - -10.46) < 0.3, `b peak ${sb.peak}`);
  assert.ok(Math.abs(sb.rms - -13.47) < 0.5, `b rms ${sb.rms}`);
  assert.equal(sa.xruns, 0);
  assert.equal(sb.xruns, 0);
});
