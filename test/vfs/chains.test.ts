import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { slowReader } from '../helpers/live-read.js';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { entriesInOrder, mountAudiofs, pipeline, run, soxSignal, waitFor, ROOT, type TestMount, openReader } from '../helpers/mount.js';

const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';
const SOX = (effect: string) => `sox -D -q ${RAW} - ${RAW} - ${effect}`;
const STAGES = [SOX('vol 0.5'), SOX('lowpass 2000'), SOX('highpass 200')];
const PREFIX = 'sox-D-q-t-raw-r-44100-e-signed-b-16-c-2-t-raw-r-44100-e-signed-b-16-c-2';
const NAMES = [`${PREFIX}-vol`, `${PREFIX}-lowpass`, `${PREFIX}-highpass`];

let m: TestMount;
let input: string;

before(async () => {
  m = await mountAudiofs();
  input = await soxSignal(m.tmp, 'in.raw', ['4', 'sine', '300', 'pinknoise', 'mix']);
  await m.ctl('realtime off');
});

after(async () => {
  assert.equal(await m.close(), 0);
});

/** Plays the project and returns what a reader of `file` got (opened before play). */
async function playAndRead(file: string): Promise<Buffer> {
  const reading = (await openReader(m.path(file))).all;
  await m.ctl('play');
  return reading;
}

test('a chain of sox stages gives, through audiofs, the same bytes as the same shell pipeline', async () => {
  await m.ctl(`fx ${STAGES.join(' | ')}`);
  assert.deepEqual(await entriesInOrder(m.path('fx')), ['in', 'out', 'ctl', 'mixer', ...NAMES]);
  assert.equal((await entriesInOrder(m.dir))[0], 'ctl', 'readdir of / lists ctl first');
  await writeFile(m.path('fx/in'), await readFile(input));
  assert.equal((await stat(m.path('fx/in'))).size, (await stat(input)).size, 'in stores what was written');
  const tap = (await openReader(m.path('fx', NAMES[0], 'out'))).all;
  const out = await playAndRead('fx/out');
  const expected = await pipeline(STAGES.join(' | '), input);
  assert.equal(out.length, expected.length);
  assert.ok(out.equals(expected), 'chain output differs from the shell pipeline');
  const firstStage = await pipeline(STAGES[0], input);
  assert.ok((await tap).equals(firstStage), 'the first stage\'s out tap is that stage\'s output');
});

test('a stage bypassed with chmod u-rw gives the bytes of the pipeline without it, and ls -l shows it', async () => {
  await chmod(m.path('fx', NAMES[1]), 0o155);
  assert.equal((await stat(m.path('fx', NAMES[1]))).mode & 0o777, 0o155);
  const out = await playAndRead('fx/out');
  const expected = await pipeline(`${STAGES[0]} | ${STAGES[2]}`, input);
  assert.ok(out.equals(expected), 'bypassed output differs from the pipeline without the stage');
  const status = await readFile(m.path('status'), 'utf8');
  assert.match(status, /bypassed: true/);
  await chmod(m.path('fx', NAMES[1]), 0o755);
  const back = await playAndRead('fx/out');
  assert.ok(back.equals(await pipeline(STAGES.join(' | '), input)), 'chmod u+rw puts the stage back');
});

test('input written to a middle stage\'s in: the chain continues from that stage', async () => {
  await m.ctl(`mid ${STAGES.join(' | ')}`);
  await writeFile(m.path('mid', NAMES[1], 'in'), await readFile(input));
  const out = await playAndRead('mid/out');
  const expected = await pipeline(`${STAGES[1]} | ${STAGES[2]}`, input);
  assert.ok(out.equals(expected), 'injected output differs from the pipeline from that stage');
});

// Issue 13: a splice used to drop what the stage had written and audiofs had not yet read when SIGSTOP
// came (80 KiB, 1 full run in 4 under load); the figures audiofs logs pin the splice point and the held bytes.
test('bypass during play splices the stage out and back in with nothing lost or duplicated', async () => {
  await m.ctl(`live passthrough | ${SOX('vol 0.5')} | passthrough`);
  // Noise in the signal makes every position in it unique, so each byte of the output can be placed.
  const big = await soxSignal(m.tmp, 'big.raw', ['60', 'sine', '440', 'pinknoise', 'mix']);
  await writeFile(m.path('live/in'), await readFile(big));
  // A slow reader until both splices are done: in export mode it holds the chain back (a 64 KiB read every
  // 300 ms keeps it from being dropped as stalled), so the splices fall inside the stream however loaded the machine.
  const reader = await slowReader(m.path('live/out'));
  await m.ctl('play');
  const stageDir = m.path('live', 'sox');
  // The chain's own output (what reaches live/out through the sox stage), not any stage's: the splice must come after it.
  await waitFor(async () => ((yaml.load(await readFile(m.path('status'), 'utf8')) as { chains: { live: { out_bytes: number } } }).chains.live.out_bytes) > 0, 'output of the chain');
  await chmod(stageDir, 0o155);
  await chmod(stageDir, 0o755);
  reader.fast();
  const out = await reader.all;
  const raw = await readFile(big);
  // The oracles: the pipeline with the stage (vol 0.5 of the input) and without it (the input itself).
  // What the README promises: the processed input up to the splice out (at output byte k); then the input
  // itself from where the stopped stage had read to (k + held) up to the splice back in; then what the
  // stage still held when it stopped (processed bytes k .. k + held); then the processed input to the end.
  const halved = await pipeline(SOX('vol 0.5'), big);
  assert.equal(out.length, raw.length, 'as many bytes out as in: nothing lost or duplicated');
  let k = 0;
  while (k < out.length && out.readUInt32LE(k) === halved.readUInt32LE(k)) k += 4;
  assert.ok(k > 0 && k < out.length, `splice point inside the stream (at ${k} of ${out.length})`);
  const at = raw.indexOf(out.subarray(k, k + 4096), k);
  assert.ok(at >= k && (at - k) % 4 === 0, `after the splice out at byte ${k}: the input itself, from where the stage had read to (found at ${at})`);
  const held = at - k;
  assert.ok(held < 1 << 20, `the stage held ${held} bytes when it stopped (expected under 1 MiB)`);
  const log = await readFile(m.path('log'), 'utf8');
  const figures = /live\/sox: bypassed while playing: stopped after taking (\d+) bytes and giving (\d+)/.exec(log);
  assert.ok(figures, `the splice is logged with what the stage had taken and given:\n${log}`);
  assert.deepEqual([k, held], [Number(figures[2]), Number(figures[1]) - Number(figures[2])], 'the splice point is what the stage had given, and it held what it had taken and not given');
  let r = 0;
  while (k + r < out.length && out.readUInt32LE(k + r) === raw.readUInt32LE(at + r)) r += 4;
  const back = at + r;
  assert.ok(back < out.length, `the stage came back: the output is processed again before the end (bypassed from input byte ${at} to ${back} of ${out.length})`);
  assert.ok(out.subarray(k + r, back).equals(halved.subarray(k, at)), `at the splice back in: the ${held} bytes the stage held, processed`);
  let d = back;
  while (d < out.length && out.readUInt32LE(d) === halved.readUInt32LE(d)) d += 4;
  assert.equal(d, out.length, `after the splice back in at byte ${back}: vol 0.5 of the input to the end (first difference at byte ${d} of ${out.length})`);
});

test('stage names: colliding last elements use the whole path, identical commands add arguments', async () => {
  const bin = join(ROOT, 'fixtures/bin-collide');
  await m.ctl(`names ${bin}/audio/synth | ${bin}/test/synth | audiofs-none-such-x 2>/dev/null`).catch((e: NodeJS.ErrnoException) => {
    assert.equal(e.code, 'ENOENT');
  });
  await m.ctl(`names ${bin}/audio/synth | ${bin}/test/synth | passthrough -echo 300 | passthrough -echo 0.43 | passthrough`);
  const names = await entriesInOrder(m.path('names'));
  const pathName = (p: string) => `${bin}/${p}`.split('/').filter(Boolean).join('_');
  assert.deepEqual(names.slice(4), [pathName('audio/synth'), pathName('test/synth'), 'passthrough-echo-300', 'passthrough-echo-0.43', 'passthrough']);
});

test('commands with a / are looked up under each PATH directory (audio/synth)', async () => {
  const m2 = await mountAudiofs({ path: [join(ROOT, 'fixtures/bin-collide')] });
  try {
    await m2.ctl('plan9 audio/synth | test/synth');
    assert.deepEqual((await entriesInOrder(m2.path('plan9'))).slice(4), ['audio_synth', 'test_synth']);
  } finally {
    await m2.close();
  }
});

test('mkdir NAME makes an empty chain that passes input through; mkdir NAME/STAGE plus cmd adds a stage', async () => {
  const outer = m;
  m = await mountAudiofs();
  await m.ctl('realtime off');
  try {
  await mkdir(m.path('hand'));
  await writeFile(m.path('hand/in'), await readFile(input));
  assert.ok((await playAndRead('hand/out')).equals(await readFile(input)), 'an empty chain passes its input through');
  await mkdir(m.path('hand/gain'));
  await writeFile(m.path('hand/gain/cmd'), `${SOX('vol 0.5')}\n`);
  assert.equal(await readFile(m.path('hand/gain/cmd'), 'utf8'), `${SOX('vol 0.5')}\n`);
  assert.ok((await playAndRead('hand/out')).equals(await pipeline(SOX('vol 0.5'), input)));
  await writeFile(m.path('hand/gain/cmd'), `${SOX('vol 0.25')}\n`);
  assert.ok((await playAndRead('hand/out')).equals(await pipeline(SOX('vol 0.25'), input)), 'writing cmd changes the stage');
  } finally {
    await m.close();
    m = outer;
  }
});

// O_TRUNC reached audiofs as a truncate after the open, so `>` was taken as an append: a line redefining a
// chain got EEXIST ("chain exists"). With atomic_o_trunc the open carries it: the file is written anew.
test('printf > ctl and cp over /ctl write it anew: a chain that differs is redefined', async () => {
  const m = await mountAudiofs();
  try {
    const sh = (cmd: string) => run('bash', ['-c', cmd], { cwd: m.dir, timeout: 10_000 });
    await m.ctl('zz passthrough | cat');
    await sh("printf 'zz passthrough\\n' > ctl");
    assert.equal(await readFile(m.path('ctl'), 'utf8'), 'zz passthrough\n');
    assert.deepEqual((await readdir(m.path('zz'))).sort(), ['ctl', 'in', 'mixer', 'out', 'passthrough']);
    await writeFile(join(m.tmp, 'ctl'), 'zz passthrough | cat\n');
    await sh(`cp ${join(m.tmp, 'ctl')} ctl`);
    assert.equal(await readFile(m.path('ctl'), 'utf8'), 'zz passthrough | cat\n');
    // Appending the line of a chain that exists with another definition is still refused.
    await assert.rejects(sh("echo 'zz cat' >> ctl"), /File exists/);
  } finally {
    assert.equal(await m.close(), 0);
  }
});
