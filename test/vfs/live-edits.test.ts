// Live edits of a middle stage while a file-speed synth plays (export mode): rm -r, bypass and restore,
// cmd rewrite. Each output is checked whole against the uninterrupted renders of the same programs as
// shell pipelines, at the splice point and with the held amount that audiofs logs for the stage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { slowReader } from '../helpers/live-read.js';
import { join } from 'node:path';
import { clientsOf, mountAudiofs, pipeline, ROOT, run, waitFor, type TestMount } from '../helpers/mount.js';
import { SHARED_MIDI } from '../helpers/shared.js';

const MIDI = SHARED_MIDI + '/bach_format0.mid';
const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';
const SOX = (effect: string) => `sox -D -q ${RAW} - ${RAW} - ${effect}`;
const SYNTH = join(ROOT, 'bin/audiofs-synth');
/** The middle stage's directory. */
const VOL = 'sox';

let m: TestMount;
/** The uninterrupted renders: the synth alone, and through sox vol 0.5 and vol 0.25. */
let raw: Buffer;
let halved: Buffer;
let quartered: Buffer;

before(async () => {
  m = await mountAudiofs();
  await m.ctl('realtime off');
  raw = await pipeline(SYNTH, MIDI);
  halved = await pipeline(`${SYNTH} | ${SOX('vol 0.5')}`, MIDI);
  quartered = await pipeline(`${SYNTH} | ${SOX('vol 0.25')}`, MIDI);
  // Far more than the pipes and a reader's queue (4 MiB) hold: the chain is still playing at the edit.
  assert.ok(raw.length > 10 << 20 && raw.length === halved.length && raw.length === quartered.length, `the renders: ${raw.length}, ${halved.length}, ${quartered.length} bytes`);
});

after(async () => {
  assert.deepEqual(await clientsOf(m.tmp), []);
  assert.equal(await m.close(), 0);
});

/**
 * Makes chain NAME = synth | sox vol 0.5 | passthrough on the MIDI file, plays it with a slow reader of
 * NAME/out (64 KiB every 300 ms: in export mode the chain is held back, so the edit falls inside the
 * stream), makes `edit` once the chain is held back, then reads fast to the end. Returns the output and what
 * the edited stage had taken and given when the splice stopped it (its /log line).
 */
async function playWithEdit(name: string, edit: () => Promise<void>): Promise<{ out: Buffer; taken: number; given: number }> {
  await m.ctl(`${name} audiofs-synth | ${SOX('vol 0.5')} | passthrough`);
  await writeFile(m.path(name, 'in'), await readFile(MIDI));
  const reader = await slowReader(m.path(name, 'out'));
  await m.ctl('play', `${name}/ctl`);
  // The reader's queue (4 MiB) full: the chain is held back, the stage blocked on its full stdout when the
  // edit comes, so the splice stops it with output written and not yet read.
  await waitFor(async () => (await outBytes(name)) > 4.5 * (1 << 20), 'the chain held back by the slow reader', 60_000);
  // No reading for 3.5 s (a reader is dropped as stalled after 5 s): the stage stays blocked for all of the
  // 3 s a splice lets it settle, so it is stopped busy, with output written and not yet read.
  reader.pauseFor(3500);
  await edit();
  reader.fast();
  let timer: NodeJS.Timeout | undefined;
  const out = await Promise.race([reader.all, new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}/out did not end within 120 s`)), 120_000);
  })]).finally(() => clearTimeout(timer));
  await waitFor(async () => /transport: stopped/.test(await readFile(m.path('status'), 'utf8')), 'the transport to stop at the end', 30_000);
  const figures = await spliceFigures(name);
  const log = await readFile(m.path('log'), 'utf8');
  assert.equal(figures.length, 1, `one splice of ${name} logged, of the stage stopped busy:\n${log}`);
  assert.deepEqual(log.split('\n').filter((l) => / (warn|error) /.test(l) && l.includes(name)), [], 'no warning about the chain');
  await run('rm', ['-r', m.path(name)], { timeout: 10_000 });
  return { out, ...figures[0] };
}

/** What the middle stage of chain NAME had taken and given when each splice stopped it busy (its /log lines). */
async function spliceFigures(name: string): Promise<Array<{ taken: number; given: number }>> {
  const log = await readFile(m.path('log'), 'utf8');
  const lines = log.matchAll(new RegExp(`${name}/${VOL}: \\w+ while playing: \\w+ after taking (\\d+) bytes and giving (\\d+) \\(still busy after 3000 ms\\)`, 'g'));
  return [...lines].map((f) => ({ taken: Number(f[1]), given: Number(f[2]) }));
}

test('rm -r of the middle stage while the synth plays: its output up to the splice, then the synth\'s own from where the stage had read to; only what it held is missing; the chain plays to its end', async () => {
  const { out, taken, given } = await playWithEdit('rmr', async () => {
    await run('rm', ['-r', m.path('rmr', VOL)], { timeout: 15_000 });
  });
  // The oracle: the chain's output is what the stage gave (`given` bytes: vol 0.5 of the synth), then the
  // synth's output from where the stage had read to (`taken`) to its end; the `taken - given` bytes the
  // removed process held end with it.
  const held = taken - given;
  assert.ok(given > 0 && given < raw.length && held >= 0 && held < 1 << 20, `taken ${taken}, given ${given}`);
  assert.equal(out.length, raw.length - held, `the whole song less the ${held} bytes the removed process held`);
  assert.ok(out.subarray(0, given).equals(halved.subarray(0, given)), `up to the splice at ${given}: vol 0.5 of the synth`);
  assert.ok(out.subarray(given).equals(raw.subarray(taken)), `from the splice: the synth from byte ${taken} to its end`);
});

test('cmd of the middle stage rewritten while the synth plays: the old command up to the splice, then the new one from where the old had read to', async () => {
  const { out, taken, given } = await playWithEdit('cmd', async () => {
    await writeFile(m.path('cmd', VOL, 'cmd'), `${SOX('vol 0.25')}\n`);
  });
  const held = taken - given;
  assert.ok(given > 0 && given < raw.length && held >= 0 && held < 1 << 20, `taken ${taken}, given ${given}`);
  assert.equal(out.length, raw.length - held, `the whole song less the ${held} bytes the old process held`);
  assert.ok(out.subarray(0, given).equals(halved.subarray(0, given)), `up to the splice at ${given}: vol 0.5`);
  assert.ok(out.subarray(given).equals(quartered.subarray(taken)), `from the splice: vol 0.25 of the synth from byte ${taken} to its end`);
});

test('bypass and restore of the middle stage while the synth plays: nothing lost or repeated; what the stopped stage held comes out when it is back', async () => {
  const dir = m.path('byp', VOL);
  const { out, taken, given } = await playWithEdit('byp', async () => {
    await chmod(dir, 0o155);
    // Back in once a megabyte around it has come out: past what the stage gave before it stopped (the
    // splice does not wait for the reader to take that).
    const given = (await spliceFigures('byp'))[0].given;
    await waitFor(async () => (await outBytes('byp')) >= given + (1 << 20), 'a megabyte around the bypassed stage', 60_000);
    await chmod(dir, 0o755);
  });
  const held = taken - given;
  assert.ok(given > 0 && held >= 0 && held < 1 << 20, `taken ${taken}, given ${given}`);
  assert.equal(out.length, raw.length, 'the whole song, no byte lost or repeated');
  // The oracle: vol 0.5 up to the splice (`given`); the synth itself from `taken` up to the restore at
  // output byte b (synth byte b + held); the held bytes, processed (vol 0.5 of synth bytes given..taken);
  // vol 0.5 from synth byte b + held to the end. b is where the synth's own bytes stop matching (tried
  // back over a few frames, where a silent frame reads the same either way).
  assert.ok(out.subarray(0, given).equals(halved.subarray(0, given)), `up to the splice at ${given}: vol 0.5`);
  let b = given;
  while (b + 4 <= out.length - held && out.readUInt32LE(b) === raw.readUInt32LE(b + held)) b += 4;
  const fits = (c: number) => out.subarray(c, c + held).equals(halved.subarray(given, taken)) && out.subarray(c + held).equals(halved.subarray(c + held));
  let c = b;
  while (c > given && b - c < 4096 && !fits(c)) c -= 4;
  assert.ok(c > given + (1 << 19), `bypassed: the synth's own output from byte ${taken}, for ${c - given} bytes`);
  assert.ok(out.subarray(given, c).equals(raw.subarray(taken, c + held)), 'the bypassed stretch is the synth\'s own output');
  assert.ok(fits(c), `at the restore (output byte ${c}): the ${held} bytes the stage held, processed, then vol 0.5 to the end`);
});

/** What the chain's out has given so far (its out_bytes in /status). */
async function outBytes(chain: string): Promise<number> {
  const status = await readFile(m.path('status'), 'utf8');
  const at = status.indexOf(`\n  ${chain}:\n`);
  const rest = status.slice(at);
  const outs = [...rest.matchAll(/\n {4}out_bytes: (\d+)/g)];
  return Number(outs[0]?.[1] ?? 0);
}
