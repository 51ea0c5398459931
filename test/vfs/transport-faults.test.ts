// Faults around the transport: a refused play starts nothing, a stage with no command is passed through,
// sched CPUs are checked at write time, /status's position follows seek, an empty MIDI input ends the song.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clientsOf, FIXTURE_BIN, mountAudiofs, run, sleep, waitFor, type TestMount } from '../helpers/mount.js';
import { playAndRead, readLog } from '../helpers/live-read.js';

const SECOND = 44100 * 4;
let m: TestMount;

before(async () => {
  m = await mountAudiofs();
});

after(async () => {
  assert.equal(await m.close(), 0);
});

async function refused(line: string, file = 'ctl'): Promise<string> {
  const err = await appendFile(m.path(file), `${line}\n`).then(() => undefined, (e: NodeJS.ErrnoException) => e);
  assert.ok(err, `'${line}' was taken`);
  return err.code!;
}

/** Some PCM that is not silence. */
function pcm(seconds: number): Buffer {
  const b = Buffer.alloc(Math.round(seconds * SECOND));
  for (let i = 0; i < b.length; i += 2) b.writeInt16LE(Math.round(9000 * Math.sin(i / 31)), i);
  return b;
}

test('sched cpu names a CPU this machine has, or the write is EINVAL saying which CPUs there are', async () => {
  await m.ctl('busy never-exits');
  try {
    const cpus = /^Cpus_allowed_list:\s*(\S+)$/m.exec(await readFile('/proc/self/status', 'utf8'))![1];
    assert.equal(await refused('cpu 9999', 'busy/never-exits/sched'), 'EINVAL');
    assert.equal(await refused('cpu 3-1', 'busy/never-exits/sched'), 'EINVAL');
    const log = await readLog(m);
    assert.match(log, new RegExp(`/busy/never-exits/sched: 'cpu 9999' refused: 'cpu 9999': CPU 9999 is not available on this machine \\(expected CPUs from ${cpus}\\)`));
    assert.match(log, /'cpu 3-1': range 3-1 is backwards \(expected FIRST-LAST\)/);
    await m.ctl('cpu 0', 'busy/never-exits/sched');
    assert.equal(await readFile(m.path('busy/never-exits/sched'), 'utf8'), 'cpu 0\n');
  } finally {
    await rm(m.path('busy'), { recursive: true });
  }
});

test('a stage made by mkdir with no command is passed through as if bypassed, with a /log line', async () => {
  await m.ctl('realtime off');
  await m.ctl('p passthrough');
  await mkdir(m.path('p/empty'));
  const input = pcm(1);
  await writeFile(m.path('p/in'), input);
  try {
    const out = await playAndRead(m, 'p/out');
    assert.ok(out.equals(input), `p/out is the input (${out.length} bytes of ${input.length})`);
    assert.match(await readLog(m), /warn p\/empty: no command yet \(expected one in p\/empty\/cmd\); passed through as if bypassed/);
    // Given a command, it is in the chain at the next play.
    await writeFile(m.path('p/empty/cmd'), 'sox -D -q -t raw -r 44100 -e signed -b 16 -c 2 - -t raw - vol -1\n');
    const inverted = await playAndRead(m, 'p/out');
    assert.equal(inverted.length, input.length);
    assert.equal(inverted.readInt16LE(2000), -input.readInt16LE(2000));
  } finally {
    await m.ctl('stop');
    await rm(m.path('p'), { recursive: true });
  }
});

test('a play refused because one chain cannot start starts no chain at all', async () => {
  await m.ctl('realtime on');
  const program = join(m.tmp, 'gone');
  await copyFile(join(FIXTURE_BIN, 'passthrough'), program);
  // Chain a's first stage has sched lines to apply (a tool to run) before its second stage starts: a is still
  // starting when b has already failed.
  await m.ctl('a never-exits | passthrough');
  await m.ctl('nice 5', 'a/never-exits/sched');
  await m.ctl('cpu 0', 'a/never-exits/sched');
  await m.ctl(`b ${program}`);
  await rm(program);
  try {
    for (let i = 0; i < 2; i++) {
      const code = await refused('play');
      assert.equal(code, 'EIO');
      // Long enough for a chain that was still starting to have started.
      await sleep(1500);
      assert.deepEqual(await clientsOf(m.tmp), [], 'no client process runs after a refused play');
      assert.match(await readFile(m.path('status'), 'utf8'), /^transport: stopped$/m);
    }
    assert.match(await readLog(m), /\/ctl: 'play' refused: chain b could not start/);
  } finally {
    await m.ctl('stop');
    await rm(m.path('a'), { recursive: true });
    await rm(m.path('b'), { recursive: true });
  }
});

test('/status shows the position the next play starts from after a seek while stopped; absurd times are refused', async () => {
  await m.ctl('realtime off');
  await m.ctl('c passthrough');
  await writeFile(m.path('c/in'), pcm(3));
  try {
    await m.ctl('seek 2');
    await playAndRead(m, 'c/out');
    await m.ctl('seek 1');
    assert.match(await readFile(m.path('status'), 'utf8'), /^position: 1$/m);
    assert.equal(await refused('seek 1e300'), 'EINVAL');
    assert.match(await readFile(m.path('status'), 'utf8'), /^position: 1$/m);
  } finally {
    await m.ctl('seek 0');
    await rm(m.path('c'), { recursive: true });
  }
});

test('an export whose synth chain has no MIDI input, or an empty one, ends: no MIDI is the end of the song', async () => {
  await m.ctl('s audiofs-synth');
  try {
    for (const [i, setup] of [async () => undefined, async () => writeFile(m.path('s/in'), '')].entries()) {
      await setup();
      const file = join(m.tmp, `empty-${i}.wav`);
      await m.ctl(`export ${file}`);
      await waitFor(async () => /export:\n\s+file: .*\n\s+state: done/.test(await readFile(m.path('status'), 'utf8')), `export ${i} to end`, 15_000);
      assert.equal((await readFile(file)).subarray(0, 4).toString(), 'RIFF');
    }
  } finally {
    await rm(m.path('s'), { recursive: true });
  }
});
