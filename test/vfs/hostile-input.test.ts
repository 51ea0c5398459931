// Hostile inputs never take the mount down: a WAV header that lies, MIDI with giant delta times or division 0.
// Each is stored, played, exported and stepped through; the mount answers, says what was wrong in /log, and a
// remount over the same saved state does the same again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountAudiofs, type TestMount } from '../helpers/mount.js';
import { playAndRead, readLog } from '../helpers/live-read.js';

const SECOND = 44100 * 4;

/** A WAV file of 80,000 zero bytes of 16-bit stereo whose header says 1 Hz. */
function oneHertzWav(): Buffer {
  const b = Buffer.alloc(44 + 80000);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(36 + 80000, 4);
  b.write('WAVEfmt ', 8, 'latin1');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(2, 22);
  b.writeUInt32LE(1, 24);
  b.writeUInt32LE(4, 28);
  b.writeUInt16LE(4, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'latin1');
  b.writeUInt32LE(80000, 40);
  return b;
}

/** A one-track MIDI file of division `division`: a note held 0x0FFFFFFF ticks, then as long again to the end. */
function giantDeltaMidi(division: number): Buffer {
  const vlq = [0xff, 0xff, 0xff, 0x7f];
  const track = [0, 0x90, 60, 100, ...vlq, 0x80, 60, 0, ...vlq, 0xff, 0x2f, 0];
  const head = Buffer.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, division >> 8, division & 0xff]);
  const trk = Buffer.alloc(8);
  trk.write('MTrk', 0, 'latin1');
  trk.writeUInt32BE(track.length, 4);
  return Buffer.concat([head, trk, Buffer.from(track)]);
}

async function ctlFails(m: TestMount, line: string): Promise<NodeJS.ErrnoException> {
  const err = await appendFile(m.path('ctl'), `${line}\n`).then(() => undefined, (e: NodeJS.ErrnoException) => e);
  assert.ok(err, `'${line}' was taken`);
  return err;
}

/** The mount still answers and its process is alive. */
async function alive(m: TestMount): Promise<void> {
  assert.equal(m.proc.exitCode, null, `the mount process ended: ${m.output().slice(-2000)}`);
  assert.match(await readFile(m.path('status'), { encoding: 'utf8', signal: AbortSignal.timeout(5000) }), /^transport: /);
}

test('a WAV that says 1 Hz: play and export give the chain silence and a clear /log line; the next mount too', async () => {
  const root = await mkdtemp(join(tmpdir(), 'audiofs-hostile-'));
  const config = `http: 127.0.0.1:0\ndevice: off\nstate_dir: ${join(root, 'state')}\n`;
  const good = Buffer.alloc(SECOND);
  for (let i = 0; i < good.length; i += 2) good.writeInt16LE(Math.round(8000 * Math.sin(i / 40)), i);
  try {
    const a = await mountAudiofs({ config });
    try {
      await a.ctl('realtime off');
      await a.ctl('good cat');
      await a.ctl('bad cat');
      await writeFile(a.path('good/in'), good);
      await writeFile(a.path('bad/in'), oneHertzWav());
      const out = await playAndRead(a, 'out');
      await alive(a);
      assert.ok(out.equals(good), `/out is the good chain alone (${out.length} bytes)`);
      const exportFile = join(a.tmp, 'mix.raw');
      await a.ctl(`export ${exportFile}`);
      await alive(a);
      const log = await readLog(a);
      assert.match(log, /\/bad\/in: WAV input: WAV: sample rate: expected 1000 to 768000 Hz, got 1 at byte offset 24; the chain gets no input, the rest plays on/);
    } finally {
      assert.equal(await a.close(), 0);
    }
    const b = await mountAudiofs({ config });
    try {
      assert.equal((await readFile(b.path('bad/in'))).length, 80044, 'the bad input was saved');
      const out = await playAndRead(b, 'out');
      await alive(b);
      assert.ok(out.equals(good), 'after a remount /out is the good chain alone');
      assert.match(await readLog(b), /sample rate: expected 1000 to 768000 Hz, got 1/);
    } finally {
      assert.equal(await b.close(), 0);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('MIDI with 0x0FFFFFFF-tick deltas at division 1: steps and step answer at once; a step out of range is EINVAL with the range', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('realtime off');
    await m.ctl('mid cat');
    await writeFile(m.path('mid/in'), giantDeltaMidi(1));
    await m.ctl('steps 4');
    const t = performance.now();
    await m.ctl('step 2');
    const ms = performance.now() - t;
    await alive(m);
    assert.ok(ms < 3000, `step 2 took ${ms.toFixed(0)} ms`);
    // 2 x 0x0FFFFFFF ticks of one beat each, 4 beats a bar: 134,217,728 bars, 33,554,432 steps of 4.
    const err = await ctlFails(m, 'step 40000000');
    assert.equal(err.code, 'EINVAL');
    assert.match(await readLog(m), /\/ctl: 'step 40000000' refused: 'step 40000000': expected a step from 1 to 33554432 \(134217728 bars, 4 per step\)/);
    await alive(m);
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('MIDI division 0: step is EINVAL naming the fault; play gives the chain no input and says why', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('realtime off');
    await m.ctl('mid cat');
    await m.ctl('type midi', 'mid/ctl');
    await writeFile(m.path('mid/in'), giantDeltaMidi(0));
    await m.ctl('steps 1');
    const err = await ctlFails(m, 'step 1');
    assert.equal(err.code, 'EINVAL');
    assert.match(await readLog(m),
      /\/ctl: 'step 1' refused: 'step 1': the bars come from \/mid's MIDI input, which cannot be read: MIDI: division: expected ticks per quarter note > 0, got 0 at byte offset 12/);
    await m.ctl('seek 1');
    await m.ctl('play');
    await alive(m);
    assert.match(await readLog(m), /\/mid\/in: MIDI input: MIDI: division: expected ticks per quarter note > 0, got 0 at byte offset 12; the chain gets no input/);
  } finally {
    assert.equal(await m.close(), 0);
  }
});
