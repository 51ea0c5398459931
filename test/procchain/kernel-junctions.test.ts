// ChainRun with its junctions carried by the kernel pump: the same bytes as the shell pipeline, and none lost or
// duplicated while taps open and close and stages are bypassed at random moments during an export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LiveStream } from '../../lib/base/live-stream.js';
import { ChainRun } from '../../lib/procchain/chain-run.js';
import { Chain } from '../../lib/procchain/chain.js';
import { kernelPumpAvailable, kernelPumpProblem } from '../../lib/procchain/kernel-pump.js';
import { Stage } from '../../lib/procchain/stage.js';
import { StoredInput } from '../../lib/sequencer/stored-input.js';
import { pipeline, soxSignal } from '../helpers/mount.js';
import { readStream, tapFor } from '../helpers/stream-read.js';

const skip = kernelPumpAvailable() ? false : `no kernel pump here: ${kernelPumpProblem()}`;
const MiB = 1024 * 1024;
const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';
const SOX_ARGS = (effect: string) => ['-D', '-q', ...RAW.split(' '), '-', ...RAW.split(' '), '-', ...effect.split(' ')];
const which = (cmd: string) => execFileSync('sh', ['-c', `command -v ${cmd}`]).toString().trim();
const cat = (name: string) => new Stage({ name, argv: ['cat'], file: which('cat') });
const sox = (effect: string) => new Stage({ name: effect.split(' ')[0], argv: ['sox', ...SOX_ARGS(effect)], file: which('sox') });
/** Copies stdin to stdout 32 KiB at a time with a short sleep after each: an export that lasts. */
const paced = () => new Stage({
  name: 'paced',
  argv: ['python3', '-c', 'import sys,time\ni=sys.stdin.buffer\no=sys.stdout.buffer\nwhile True:\n b=i.read1(32768)\n if not b: break\n o.write(b); o.flush(); time.sleep(0.0008)'],
  file: which('python3'),
});
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readAll(stream: LiveStream, ms = 120_000): Promise<Buffer> {
  return readStream(stream, ms);
}

function newRun(chain: Chain, input: Buffer, kernelJunctions: boolean, log: string[] = []): ChainRun {
  chain.input.write(0, input);
  const run = new ChainRun(chain, {
    lossless: true,
    env: process.env,
    cwd: process.cwd(),
    log: (level, m) => log.push(`${level} ${m}`),
    kernelJunctions,
  });
  chain.run = run;
  return run;
}

test('sox | sox | sox with kernel junctions gives the bytes of the shell pipeline, and the kernel moved them', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kernel-junctions-'));
  try {
    const file = await soxSignal(dir, 'in.raw', ['20', 'sine', '300', 'pinknoise', 'mix']);
    const effects = ['vol 0.5', 'lowpass 2000', 'highpass 200'];
    const oracle = await pipeline(effects.map((e) => `sox ${SOX_ARGS(e).join(' ')}`).join(' | '), file);
    const input = (await import('node:fs')).readFileSync(file);
    for (const kernel of [true, false]) {
      const chain = new Chain('c');
      chain.stages = effects.map(sox);
      const run = newRun(chain, input, kernel);
      const out = readAll(chain.out);
      await run.start();
      const got = await out;
      await run.done;
      assert.equal(got.length, oracle.length);
      assert.ok(got.equals(oracle), `kernel junctions ${kernel}: the bytes of the pipeline`);
      if (kernel) assert.ok(run.kernelBytes > input.length, `the kernel moved ${run.kernelBytes} bytes of 2 x ${input.length}`);
      else assert.equal(run.kernelBytes, 0);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

async function chaos(options: { bypass: boolean; kernel: boolean; spilled?: boolean }): Promise<void> {
  const input = randomBytes(48 * MiB);
  // Spilled: the input is in a file the kernel feeds the first stage from, and that stage is bypassed too.
  const spillDir = options.spilled ? await mkdtemp(join(tmpdir(), 'kernel-feed-')) : undefined;
  const store = spillDir ? new StoredInput({ spillDir, memoryLimit: 0 }) : undefined;
  await store?.write(0, input);
  const chain = new Chain('x', store);
  chain.stages = options.spilled ? [cat('cat0'), paced(), cat('cat2'), cat('cat3')] : [paced(), cat('cat1'), cat('cat2'), cat('cat3')];
  const log: string[] = [];
  const run = newRun(chain, store ? Buffer.alloc(0) : input, options.kernel, log);
  const out = readAll(chain.out);
  let done = false;
  void out.finally(() => (done = true)).catch(() => undefined);
  await run.start();
  const taps: Buffer[] = [];
  let bypasses = 0;
  try {
    while (!done) {
      const s = chain.stages[Math.floor(Math.random() * 3)];
      if (!options.bypass || Math.random() < 0.6) {
        taps.push(await tapFor(s.out, Math.random() * 20));
      } else if (s.name !== 'paced') {
        s.mode = 0o155;
        await run.spliceOut(s);
        await pause(Math.random() * 10);
        s.mode = 0o755;
        await run.spliceIn(s);
        bypasses++;
      }
      await pause(Math.random() * 10);
    }
    const got = await out;
    await run.done;
    assert.equal(got.length, input.length, 'as many bytes out as in');
    assert.ok(got.equals(input), 'every byte once, in order');
  } finally {
    await run.stop();
    await store?.dispose();
    if (spillDir) await rm(spillDir, { recursive: true, force: true });
  }
  if (options.spilled) assert.ok(run.kernelFed > 0 && run.kernelFed <= input.length, `the kernel fed ${run.kernelFed} bytes of the input`);
  // Every tap got a stretch of the stream, whole.
  let tapped = 0;
  for (const t of taps) {
    if (t.length < 64) continue;
    const at = input.indexOf(t.subarray(0, 64));
    assert.ok(at >= 0 && input.subarray(at, at + t.length).equals(t), `a tap of ${t.length} bytes is a stretch of the input`);
    tapped++;
  }
  // Taps opened throughout: a run with many bypasses (each a few ms of settling, and a tap on a stopped stage
  // gets nothing) has fewer; 9 of 32 in the slowest of about 40 runs.
  assert.ok(tapped >= 5, `only ${tapped} taps got data`);
  if (options.kernel) assert.ok(run.kernelBytes > 0, 'the kernel moved some of it');
  else assert.equal(run.kernelBytes, 0);
  console.log(`# ${taps.length} taps (${tapped} with data), ${bypasses} bypasses; the kernel moved ${run.kernelBytes} bytes (3 junctions x ${input.length}) and fed ${run.kernelFed}`);
}

test('taps opened and closed at random moments during an export: the output is the input, every tap a whole stretch of it', { skip }, async () => {
  await chaos({ bypass: false, kernel: true });
});

// A splice waits until the stopped stage's output is handed on (issue 13): nothing it wrote is lost.
test('taps and bypasses at random moments during an export: the output is the input', { skip }, async () => {
  await chaos({ bypass: true, kernel: true });
});

test('the input fed by the kernel from its spill file, with taps and bypasses of every stage (the first too) at random moments: the output is the input', { skip }, async () => {
  await chaos({ bypass: true, kernel: true, spilled: true });
});

// Before: in 1 run of 8 beside two CPU hogs, the output was the input reordered: a cat bypassed right after it was
// given 32 KiB, before the machine had run it, counted as at rest (its output had been quiet) and was stopped
// holding them; they came out when it was put back. A splice now waits until the stage has read its stdin
// (stop-at-rest.ts): 0 of 25 runs beside the hogs.
test('the same with JavaScript junctions (the control)', async () => {
  await chaos({ bypass: true, kernel: false });
});
