// ChainRun without a mount: real fixture programs and sox as stages, checked against the same shell pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ChainRun, type RunOptions } from '../../lib/procchain/chain-run.js';
import { Chain } from '../../lib/procchain/chain.js';
import { Stage } from '../../lib/procchain/stage.js';
import type { LiveStream } from '../../lib/base/live-stream.js';
import { FIXTURE_BIN, pipeline, soxSignal } from '../helpers/mount.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';
const SOX_ARGS = (effect: string[]) => ['-D', '-q', ...RAW.split(' '), '-', ...RAW.split(' '), '-', ...effect];

function stage(name: string, argv: string[], file: string): Stage {
  return new Stage({ name, argv, file });
}
const fixture = (name: string, ...args: string[]) => stage(name, [name, ...args], join(FIXTURE_BIN, name));
const sox = (name: string, effect: string[]) => stage(name, ['sox', ...SOX_ARGS(effect)], '/usr/bin/sox');

/** Reads a live stream to its end; fails after `ms` (a hang, not a speed figure) saying how much came. */
async function readAll(stream: LiveStream, ms = 30_000): Promise<Buffer> {
  const reader = stream.openReader();
  const parts: Buffer[] = [];
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    for (;;) {
      const b = await reader.read(1 << 20, ac.signal).catch((err: NodeJS.ErrnoException) => {
        throw new Error(`the output did not end within ${ms} ms (${Buffer.concat(parts).length} bytes read): ${err.code}`);
      });
      if (b === null) return Buffer.concat(parts);
      parts.push(b);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `chain` over `input` to the end of its output; returns the output and the log lines. */
async function runChain(chain: Chain, input: Buffer, options: Partial<RunOptions> = {}): Promise<{ out: Buffer; log: string[]; run: ChainRun }> {
  const log: string[] = [];
  chain.input.write(0, input);
  const run = new ChainRun(chain, {
    lossless: true,
    env: { ...process.env, PATH: `${FIXTURE_BIN}:${process.env.PATH}` },
    cwd: process.cwd(),
    log: (level, message) => log.push(`${level} ${message}`),
    ...options,
  });
  chain.run = run;
  const out = readAll(chain.out);
  try {
    await run.start();
    const result = { out: await out, log, run };
    await run.done;
    return result;
  } catch (err) {
    await run.stop();
    throw err;
  }
}

async function withSignal(body: (file: string, data: Buffer) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-chainrun-'));
  try {
    const file = await soxSignal(dir, 'in.raw', ['2', 'sine', '300', 'pinknoise', 'mix']);
    await body(file, await readFile(file));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('passthrough | sox vol 0.5 | sox lowpass gives the bytes of the same shell pipeline; every stage exits 0', async () => {
  await withSignal(async (file, data) => {
    const chain = new Chain('c');
    chain.stages = [fixture('passthrough'), sox('vol', ['vol', '0.5']), sox('lowpass', ['lowpass', '2000'])];
    const { out, log } = await runChain(chain, data);
    const expected = await pipeline(`passthrough | sox ${SOX_ARGS(['vol', '0.5']).join(' ')} | sox ${SOX_ARGS(['lowpass', '2000']).join(' ')}`, file);
    assert.equal(out.length, expected.length);
    assert.ok(out.equals(expected), 'chain output differs from the shell pipeline');
    assert.deepEqual(chain.stages.map((s) => s.lastExit), [{ exitCode: 0, signal: null }, { exitCode: 0, signal: null }, { exitCode: 0, signal: null }]);
    assert.deepEqual(log.filter((l) => !l.startsWith('debug')), []);
  });
});

test('a stage bypassed before the run is out of the data path: the output is the pipeline without it', async () => {
  await withSignal(async (file, data) => {
    const chain = new Chain('c');
    chain.stages = [sox('vol', ['vol', '0.5']), sox('lowpass', ['lowpass', '2000'])];
    chain.stages[0].mode = 0o155;
    const { out } = await runChain(chain, data);
    assert.ok(out.equals(await pipeline(`sox ${SOX_ARGS(['lowpass', '2000']).join(' ')}`, file)), 'bypassed output differs from the pipeline without the stage');
  });
});

test('input stored in a middle stage: the chain is fed there, and the stages before it get end of file', async () => {
  await withSignal(async (file, data) => {
    const chain = new Chain('c');
    chain.stages = [sox('vol', ['vol', '0.5']), fixture('passthrough')];
    chain.stages[1].input.write(0, data);
    const { out, run } = await runChain(chain, Buffer.alloc(0));
    assert.equal(run.entry, 1);
    assert.ok(out.equals(await pipeline('passthrough', file)));
  });
});

test('a stage that exits 3 on its own: its exit and the tail of its stderr are logged as a warning; the output still ends', async () => {
  const chain = new Chain('bad');
  chain.stages = [fixture('passthrough'), fixture('exits-with-3')];
  const { out, log } = await runChain(chain, Buffer.alloc(1 << 20, 1));
  assert.equal(out.length, 0);
  assert.deepEqual(chain.stages[1].lastExit, { exitCode: 3, signal: null });
  assert.deepEqual(log.filter((l) => l.startsWith('warn')), ['warn bad/exits-with-3: exited with 3; stderr: exits-with-3: giving up on purpose']);
  assert.ok(log.includes('info bad/exits-with-3: exits-with-3: giving up on purpose'), log.join('\n'));
});

test('stop ends a stage that never exits: SIGTERM, logged as ours (debug), done resolves and the output ends', async () => {
  const chain = new Chain('idle');
  chain.stages = [fixture('never-exits')];
  const log: string[] = [];
  chain.input.write(0, Buffer.from('x'));
  const run = new ChainRun(chain, { lossless: true, env: process.env, cwd: process.cwd(), log: (l, m) => log.push(`${l} ${m}`) });
  const out = readAll(chain.out);
  await run.start();
  const pid = chain.stages[0].proc!.pid;
  assert.ok(pid > 0);
  await run.stop();
  assert.deepEqual(await out, Buffer.alloc(0));
  assert.deepEqual(chain.stages[0].lastExit, { exitCode: null, signal: 'SIGTERM', byAudiofs: true });
  assert.deepEqual(log.filter((l) => !l.startsWith('info')), ['debug idle/never-exits: stopped by audiofs (SIGTERM)']);
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'the process is gone');
});

test('splice out and back in during a run: the output is the stage\'s output, then the input itself, then the held bytes, then the stage again', async () => {
  await withSignal(async (_file, data) => {
    const chain = new Chain('live');
    chain.stages = [fixture('passthrough'), sox('vol', ['vol', '0.5']), fixture('passthrough')];
    const log: string[] = [];
    chain.input.write(0, Buffer.concat(Array.from({ length: 10 }, () => data)));
    const raw = Buffer.concat(Array.from({ length: 10 }, () => data));
    // Lossless, and read only as far as the first chunk before the splice: the chain is held back by this reader, so the splice falls inside the stream.
    const run = new ChainRun(chain, { lossless: true, env: process.env, cwd: process.cwd(), log: (l, m) => log.push(`${l} ${m}`) });
    const reader = chain.out.openReader();
    const parts: Buffer[] = [];
    await run.start();
    const first = await reader.read(64 * 1024);
    assert.ok(first && first.length > 0);
    parts.push(first);
    const vol = chain.stages[1];
    vol.mode = 0o155;
    const spliced = run.spliceOut(vol);
    const back = spliced.then(() => { vol.mode = 0o755; return run.spliceIn(vol); });
    for (;;) {
      const b = await reader.read(1 << 20);
      if (b === null) break;
      parts.push(b);
    }
    await back;
    await run.done;
    const out = Buffer.concat(parts);
    const oracle = await pipelineOf(raw, `sox ${SOX_ARGS(['vol', '0.5']).join(' ')}`);
    assert.equal(out.length, raw.length, 'as many bytes out as in');
    let k = 0;
    while (k < out.length && out.readUInt32LE(k) === oracle.readUInt32LE(k)) k += 4;
    assert.ok(k > 0 && k < out.length, `the splice out is inside the stream (at ${k} of ${out.length})`);
    const at = raw.indexOf(out.subarray(k, k + 4096), k);
    assert.ok(at >= k && at - k < 1 << 20, `after the splice out at ${k}: the input itself, from where the stage had read to (${at})`);
    let r = 0;
    while (k + r < out.length && out.readUInt32LE(k + r) === raw.readUInt32LE(at + r)) r += 4;
    assert.ok(out.subarray(k + r, at + r).equals(oracle.subarray(k, at)), 'then the bytes the stage held, processed');
    assert.ok(at + r < out.length, 'the stage came back before the end');
    assert.ok(out.subarray(at + r).equals(oracle.subarray(at + r)), 'then the processed input to the end');
  });
});

/** Runs a shell pipeline over bytes given in memory. */
async function pipelineOf(input: Buffer, command: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-chainrun-'));
  try {
    const f = join(dir, 'in.raw');
    await (await import('node:fs/promises')).writeFile(f, input);
    return await pipeline(command, f);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
