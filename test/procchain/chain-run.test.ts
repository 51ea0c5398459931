// ChainRun without a mount: real fixture programs and sox as stages, checked against the same shell pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ChainRun, type RunOptions } from '../../lib/procchain/chain-run.js';
import { Chain } from '../../lib/procchain/chain.js';
import { Stage } from '../../lib/procchain/stage.js';
import type { LiveStream } from '../../lib/base/live-stream.js';
import { clientsOf, FIXTURE_BIN, pipeline, soxSignal } from '../helpers/mount.js';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { readStream } from '../helpers/stream-read.js';
import { randomBytes } from 'node:crypto';
import { kernelPumpAvailable } from '../../lib/procchain/kernel-pump.js';

const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';
const SOX_ARGS = (effect: string[]) => ['-D', '-q', ...RAW.split(' '), '-', ...RAW.split(' '), '-', ...effect];

function stage(name: string, argv: string[], file: string): Stage {
  return new Stage({ name, argv, file });
}
const fixture = (name: string, ...args: string[]) => stage(name, [name, ...args], join(FIXTURE_BIN, name));
const sox = (name: string, effect: string[]) => stage(name, ['sox', ...SOX_ARGS(effect)], '/usr/bin/sox');

function readAll(stream: LiveStream, ms = 30_000): Promise<Buffer> {
  return readStream(stream, ms);
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

/**
 * Runs `chain` over `raw` in export mode, holding the chain back with a reader that takes one chunk before
 * `edit` is made (so the edit falls inside the stream), waits 600 ms more (the stages are then blocked on
 * full pipes: a splice stops the edited stage after its 300 ms to settle with output written and not yet
 * read), then reads to the end. With `readsWhileEditing` false the reader waits for the edit instead, and
 * the edit moves the chain on itself with `readMore` (so nothing goes by while it is not looking).
 * Returns the output and the log.
 */
async function runWithEdit(
  chain: Chain, raw: Buffer, edit: (run: ChainRun, readMore: (bytes: number) => Promise<void>) => Promise<void>,
  readsWhileEditing = true,
): Promise<{ out: Buffer; log: string[] }> {
  const log: string[] = [];
  chain.input.write(0, raw);
  const run = new ChainRun(chain, {
    lossless: true, env: process.env, cwd: process.cwd(), log: (l, m) => log.push(`${l} ${m}`),
    rest: { quietMs: 50, settleMs: 300, drainMs: 10_000 },
  });
  chain.run = run;
  const reader = chain.out.openReader();
  const parts: Buffer[] = [];
  try {
    await run.start();
    const first = await reader.read(64 * 1024);
    assert.ok(first && first.length > 0);
    parts.push(first);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 60_000);
    const readMore = async (bytes: number): Promise<void> => {
      for (let left = bytes; left > 0;) {
        const b = await reader.read(Math.min(left, 1 << 20), ac.signal);
        if (b === null) return;
        parts.push(b);
        left -= b.length;
      }
    };
    try {
      await new Promise((r) => setTimeout(r, 300));
      const edited = edit(run, readMore);
      if (readsWhileEditing) await new Promise((r) => setTimeout(r, 600));
      else await edited;
      await readMore(Infinity);
      await edited;
    } finally {
      clearTimeout(timer);
    }
    await run.done;
  } finally {
    await run.stop();
  }
  return { out: Buffer.concat(parts), log };
}

/** The bytes a 1:1 stage held when a splice stopped it: what it had taken less what it had given (its one log line). */
function heldOf(log: string[]): number {
  const figures = log.map((l) => /: (bypassed|removed|replaced) while playing: (?:stopped|ended) after taking (\d+) bytes and giving (\d+)/.exec(l)).filter((x) => x !== null);
  assert.equal(figures.length, 1, `one splice logged:\n${log.join('\n')}`);
  const held = Number(figures[0]![2]) - Number(figures[0]![3]);
  assert.ok(held >= 0 && held % 4 === 0, `the stage held whole frames (${held} bytes)`);
  return held;
}

/** The first byte offset (a multiple of 4) where `a` and `b` differ, or the shorter length. */
function firstDifference(a: Buffer, b: Buffer, from = 0): number {
  let k = from;
  const n = Math.min(a.length, b.length);
  while (k + 4 <= n && a.readUInt32LE(k) === b.readUInt32LE(k)) k += 4;
  return k;
}

/**
 * 120 s of noise (21 MB, far more than the pipes and the reader hold: in export mode each stage writes into a
 * pipe of 1 MiB), made whole by sox (not a short signal repeated): every position in it is
 * unique, so each output byte can be placed.
 */
async function withLongSignal(body: (raw: Buffer, halved: Buffer) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-chainrun-'));
  try {
    const raw = await readFile(await soxSignal(dir, 'long.raw', ['120', 'sine', '300', 'pinknoise', 'mix']));
    await body(raw, await pipelineOf(raw, `sox ${SOX_ARGS(['vol', '0.5']).join(' ')}`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('splice out and back in during a run: the stage\'s output, then the input itself, then the held bytes, then the stage again; nothing lost', async () => {
  await withLongSignal(async (raw, oracle) => {
    const chain = new Chain('live');
    chain.stages = [fixture('passthrough'), sox('vol', ['vol', '0.5']), fixture('passthrough')];
    const vol = chain.stages[1];
    const { out, log } = await runWithEdit(chain, raw, async (run, readMore) => {
      vol.mode = 0o155;
      // The stage's output is handed on before the splice ends: read it in small steps until then.
      let out = false;
      const spliced = run.spliceOut(vol).finally(() => (out = true));
      while (!out) await readMore(16 * 1024);
      await spliced;
      // Back in once a megabyte more has gone around it; nothing is read meanwhile, so the chain still
      // plays when it comes back.
      await readMore(1 << 20);
      assert.ok(!run.ended, `the run ended before the stage was put back (${chain.out.written} bytes out)`);
      vol.mode = 0o755;
      await run.spliceIn(vol);
    }, false);
    const held = heldOf(log);
    assert.equal(out.length, raw.length, `as many bytes out as in; the run's log:\n${log.join('\n')}`);
    // The oracle: vol 0.5 of the input up to the splice out at output byte k (the stage had taken k + held
    // bytes and given k); then the input itself from k + held up to the splice back in at b + held; then the
    // held bytes processed; then vol 0.5 of the input from b + held to the end.
    const k = firstDifference(out, oracle);
    assert.ok(k > 0 && k < out.length, `the splice out is inside the stream (at ${k} of ${out.length})`);
    const r = firstDifference(out.subarray(k), raw.subarray(k + held));
    const b = k + r;
    assert.ok(r > 0 && b + held < out.length, `bypassed: the input itself from ${k + held}, for ${r} bytes, and the stage came back before the end`);
    assert.ok(out.subarray(b, b + held).equals(oracle.subarray(k, k + held)), `at the splice back in: the ${held} bytes the stage held, processed`);
    assert.ok(out.subarray(b + held).equals(oracle.subarray(b + held)), 'then vol 0.5 of the input to the end');
  });
});

test('a middle stage removed during a run: its output up to the splice, then the input itself from where it had read to; only what it held is missing', async () => {
  await withLongSignal(async (raw, oracle) => {
    const chain = new Chain('live');
    chain.stages = [fixture('passthrough'), sox('vol', ['vol', '0.5']), fixture('passthrough')];
    const vol = chain.stages[1];
    const { out, log } = await runWithEdit(chain, raw, async (run) => {
      await run.remove(vol);
      chain.stages = chain.stages.filter((s) => s !== vol);
      assert.equal(vol.proc!.state, 'exited');
    });
    const held = heldOf(log);
    assert.equal(out.length, raw.length - held, `as many bytes out as in, less the ${held} the removed process held`);
    const k = firstDifference(out, oracle);
    assert.ok(k > 0 && k < out.length, `the splice is inside the stream (at ${k} of ${out.length})`);
    assert.ok(out.subarray(k).equals(raw.subarray(k + held)), `from output byte ${k}: the input itself from byte ${k + held} to the end`);
    assert.ok(held < 1 << 20, `the removed stage held ${held} bytes (expected under 1 MiB)`);
  });
});

test('a middle stage\'s command rewritten during a run: the old command\'s output up to the splice, then the new one\'s from where the old had read to', async () => {
  await withLongSignal(async (raw, oracle) => {
    const quartered = await pipelineOf(raw, `sox ${SOX_ARGS(['vol', '0.25']).join(' ')}`);
    const chain = new Chain('live');
    chain.stages = [fixture('passthrough'), sox('vol', ['vol', '0.5']), fixture('passthrough')];
    const vol = chain.stages[1];
    const { out, log } = await runWithEdit(chain, raw, async (run) => {
      vol.argv = ['sox', ...SOX_ARGS(['vol', '0.25'])];
      await run.restartStage(vol);
    });
    const held = heldOf(log);
    assert.equal(out.length, raw.length - held, `as many bytes out as in, less the ${held} the old process held`);
    const k = firstDifference(out, oracle);
    assert.ok(k > 0 && k < out.length, `the splice is inside the stream (at ${k} of ${out.length})`);
    assert.ok(out.subarray(k).equals(quartered.subarray(k + held)), `from output byte ${k}: vol 0.25 of the input from byte ${k + held} to the end`);
    assert.deepEqual(vol.lastExit, { exitCode: 0, signal: null }, 'the new process ran to the end');
  });
});

test('an in emptied while the chain plays (rm -r unlinks it before rmdir) leaves the entry point where it was', async () => {
  await withLongSignal(async (raw, halved) => {
    const chain = new Chain('c');
    chain.stages = [sox('vol', ['vol', '0.5']), fixture('passthrough')];
    const { out, log } = await runWithEdit(chain, raw, async (run) => {
      await chain.stages[1].input.truncate(0);
      run.inject(chain.stages[1]);
      assert.equal(run.entry, 0, 'still fed at the first stage');
    });
    assert.deepEqual(log.filter((l) => !l.startsWith('debug')), []);
    assert.equal(out.length, halved.length);
    assert.ok(out.equals(halved), 'the whole input, through the first stage');
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

test('realtime pacing: a stage that renders as fast as it can is handed on at most the lead ahead of the clock; audiofs holds at most a read for it', async () => {
  const PERIOD = 2048;
  const LEAD = 8 * PERIOD;
  // A clock that moves a period every 5 ms, and a sink that takes everything at once (nothing holds the chain back but the clock).
  let now = 0;
  const listeners = new Set<() => void>();
  const tick = setInterval(() => { now += PERIOD; for (const l of listeners) l(); }, 5);
  let sunk = 0;
  const sink = { write: (b: Buffer) => { sunk += b.length; return true; }, whenWritable: () => Promise.resolve(), end: () => undefined };
  const chain = new Chain('fast');
  chain.stages = [fixture('flooder'), fixture('passthrough')];
  chain.input.write(0, Buffer.from('x'));
  const run = new ChainRun(chain, {
    lossless: false, env: process.env, cwd: process.cwd(), log: () => undefined, sink,
    pace: { clock: { now: () => now, onAdvance: (cb) => { listeners.add(cb); return () => listeners.delete(cb); } }, lead: LEAD },
  });
  chain.run = run;
  const samples: string[] = [];
  try {
    await run.start();
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const [flooder, pass] = chain.stages;
      // Each stage's output is handed on at most the lead ahead of the clock (its out tap counts what was handed on).
      for (const s of [flooder, pass]) {
        if (s.out.written > now + LEAD) samples.push(`${s.name} handed ${s.out.written} at clock ${now}`);
        if (run.buffered(s) > 128 * 1024) samples.push(`${s.name}: ${run.buffered(s)} bytes held in audiofs`);
      }
    }
    assert.deepEqual(samples, [], 'never further ahead than the lead, never more than a read held');
    assert.ok(sunk >= now - 8 * PERIOD && sunk <= now + LEAD, `the mix got ${sunk} bytes with the clock at ${now}: kept up, not ahead`);
    assert.ok(now > 100 * PERIOD, `the clock moved (${now})`);
  } finally {
    clearInterval(tick);
    await run.stop();
  }
});

// A stage bypassed before it has read what it was given (here: not reading for 300 ms, as a process the
// machine has not scheduled yet) is stopped only once it has read it and handed its output on; before, it was
// stopped at once holding its stdin, and those bytes came out when it was put back, after later ones.
test('a stage bypassed before it has read its stdin is stopped once it has: the output is the input, in order', { skip: kernelPumpAvailable() ? false : 'the system cannot tell what a pipe holds' }, async () => {
  const input = randomBytes(4 * 1024 * 1024);
  const chain = new Chain('late');
  chain.stages = [stage('sleepy', ['sh', '-c', 'sleep 0.3; exec cat'], '/bin/sh'), fixture('passthrough')];
  const sleepy = chain.stages[0];
  chain.input.write(0, input);
  const log: string[] = [];
  const run = new ChainRun(chain, {
    lossless: true,
    env: { ...process.env, PATH: `${FIXTURE_BIN}:${process.env.PATH}` },
    cwd: process.cwd(),
    log: (level, message) => log.push(`${level} ${message}`),
  });
  chain.run = run;
  const out = readAll(chain.out);
  try {
    await run.start();
    // At once: its stdin holds what the feeder wrote, unread.
    sleepy.mode = 0o155;
    await run.spliceOut(sleepy);
    const around = (1 << 20);
    while (chain.out.written < around && !run.ended) await new Promise((r) => setTimeout(r, 10));
    sleepy.mode = 0o755;
    await run.spliceIn(sleepy);
    const got = await out;
    await run.done;
    const held = log.map((l) => /bypassed while playing: stopped after taking (\d+) bytes and giving (\d+)/.exec(l)).find((x) => x);
    assert.ok(held, log.join('\n'));
    assert.ok(Number(held[1]) > 0, `it was given data before the bypass (${held[1]} bytes)`);
    assert.equal(held[1], held[2], 'it gave all it had taken before it was stopped');
    assert.equal(got.length, input.length);
    assert.ok(got.equals(input), `the output is the input in order (first difference at ${firstDifference(got, input)})`);
  } finally {
    await run.stop();
  }
});

test('a stage put back after the input went around it to its end: /log says what it held is dropped, and the output is all the rest', async () => {
  const input = randomBytes(100 * 1024);
  const chain = new Chain('late');
  const vol = sox('vol', ['vol', '0.5']);
  // The last stage sleeps before it reads: the input's end reaches its stdin while it still runs.
  const last = stage('late', ['sh', '-c', 'sleep 0.5; exec cat'], '/bin/sh');
  chain.stages = [stage('cat0', ['cat'], '/bin/cat'), vol, last];
  chain.input.write(0, input);
  const log: string[] = [];
  const run = new ChainRun(chain, { lossless: true, env: process.env, cwd: process.cwd(), log: (level, message) => log.push(`${level} ${message}`) });
  chain.run = run;
  const out = readAll(chain.out);
  try {
    await run.start();
    vol.mode = 0o155;
    await run.spliceOut(vol);
    for (let i = 0; !last.proc!.stdin.writableEnded; i++) {
      assert.ok(i < 500, 'the input went around the bypassed stage to its end within 5 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    vol.mode = 0o755;
    await run.spliceIn(vol);
    const got = await out;
    await run.done;
    const figures = log.map((l) => /stopped after taking (\d+) bytes and giving (\d+)/.exec(l)).find((x) => x);
    assert.ok(figures, log.join('\n'));
    const held = Number(figures[1]) - Number(figures[2]);
    assert.ok(log.includes(`warn late/vol: put back after the chain's input had gone around it to its end: what it still held (it had taken ${figures[1]} bytes and given ${figures[2]}) does not reach the output`), log.join('\n'));
    // vol 0.5 of what it gave, then the input itself from where it had read to.
    const given = Number(figures[2]);
    assert.equal(got.length, input.length - held);
    const halved = await pipelineOf(input, `sox ${SOX_ARGS(['vol', '0.5']).join(' ')}`);
    assert.ok(got.subarray(0, given).equals(halved.subarray(0, given)), `up to what it gave (${given} bytes): vol 0.5 of the input`);
    assert.ok(got.subarray(given).equals(input.subarray(given + held)), 'after what it gave: the input itself, from where it had read to');
  } finally {
    await run.stop();
  }
});

test('a first stage bypassed after it ended, while its last output still sits in its stdout, hands that output on: the output is the input', async () => {
  // 900 KiB through cat into a reader that takes 32 KiB every 20 ms: cat has read everything and ended long
  // before its stdout pipe (1 MiB in export mode) is empty.
  const input = randomBytes(900 * 1024);
  const chain = new Chain('ended');
  const slow = stage('slow', ['python3', '-c', 'import sys,time\ni=sys.stdin.buffer\no=sys.stdout.buffer\nwhile True:\n b=i.read1(32768)\n if not b: break\n o.write(b); o.flush(); time.sleep(0.02)'], '/usr/bin/python3');
  chain.stages = [stage('cat0', ['cat'], '/bin/cat'), slow];
  const first = chain.stages[0];
  chain.input.write(0, input);
  const run = new ChainRun(chain, { lossless: true, env: process.env, cwd: process.cwd(), log: () => undefined });
  chain.run = run;
  const out = readAll(chain.out);
  try {
    await run.start();
    for (let i = 0; first.proc?.state !== 'exited'; i++) {
      assert.ok(i < 500, 'cat ended within 5 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(chain.out.written < input.length / 2, `most of it still on its way (${chain.out.written} bytes out)`);
    first.mode = 0o155;
    await run.spliceOut(first);
    first.mode = 0o755;
    await run.spliceIn(first);
    const got = await out;
    await run.done;
    assert.equal(got.length, input.length);
    assert.ok(got.equals(input), `the output is the input in order (first difference at ${firstDifference(got, input)})`);
  } finally {
    await run.stop();
  }
});

test('a stage bypassed while the chain waits for its turn to fork: the run starts, then the stage leaves the path; the output is the pipeline without it, whole', { timeout: 60_000 }, async () => {
  // Before, such a splice found no processes and ended the chain's output before anything was written to it.
  const chain = new Chain('c');
  chain.stages = [sox('vol', ['vol', '0.5']), sox('low', ['lowpass', '1000'])];
  const input = randomBytes(4 * 44100 * 2);
  chain.input.write(0, input);
  const run = new ChainRun(chain, { lossless: true, env: process.env, cwd: '/', log: () => undefined });
  chain.run = run;
  const reader = readAll(chain.out);
  const starting = run.start();
  // The run has not forked yet: its turn comes after this.
  assert.equal(chain.stages[1].proc, undefined);
  chain.stages[1].mode = 0o555;
  const bypassed = run.spliceOut(chain.stages[1]);
  await starting;
  await bypassed;
  try {
    const out = await reader;
    const tmp = await mkdtemp(join(tmpdir(), 'audiofs-run-'));
    try {
      const file = join(tmp, 'in.raw');
      await writeFile(file, input);
      assert.ok(out.equals(await pipeline(`sox ${SOX_ARGS(['vol', '0.5']).join(' ')}`, file)), `the output (${out.length} bytes) is the pipeline without the bypassed stage`);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  } finally {
    await run.stop();
  }
});

/** Resolves once `ready()` holds, looking on every turn of the event loop (the turns the stages fork on). */
async function onTurnWhen(ready: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('not ready in time');
    await new Promise((r) => setImmediate(r));
  }
}

test('stages fork one a turn, the last first; a stop between two forks ends what was forked and forks nothing more', async () => {
  const chain = new Chain('c');
  chain.stages = [fixture('never-exits'), fixture('never-exits'), fixture('never-exits')];
  chain.input.write(0, Buffer.from('x'));
  const run = new ChainRun(chain, { lossless: true, env: process.env, cwd: process.cwd(), log: () => undefined });
  chain.run = run;
  const out = readAll(chain.out);
  const starting = run.start();
  await onTurnWhen(() => chain.stages[2].proc !== undefined);
  assert.equal(chain.stages[0].proc, undefined, 'the first stage is not forked on the turn the last was');
  assert.equal(chain.stages[1].proc, undefined);
  const last = chain.stages[2].proc!.pid;
  await run.stop();
  await starting;
  assert.deepEqual(await out, Buffer.alloc(0), 'the output ends');
  assert.equal(chain.stages[0].proc, undefined, 'nothing forked after the stop');
  assert.equal(chain.stages[1].proc, undefined);
  assert.throws(() => process.kill(last, 0), { code: 'ESRCH' }, 'the stage forked before the stop is gone');
});

test('a stop while a stage is starting on the spawning thread ends that process once it runs; the stop waits for it and nothing of the chain is left', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-chain-run-'));
  try {
    for (let round = 0; round < 5; round++) {
      const chain = new Chain('c');
      chain.stages = [fixture('never-exits'), fixture('never-exits')];
      const run = new ChainRun(chain, { lossless: true, env: process.env, cwd: dir, log: () => undefined });
      chain.run = run;
      const out = readAll(chain.out);
      const starting = run.start();
      // The moment a start has been asked of the spawning thread and has not come back.
      const inFlight = () => (run as unknown as { starting: Set<unknown> }).starting.size > 0;
      await onTurnWhen(inFlight);
      await run.stop();
      await starting;
      assert.deepEqual(await out, Buffer.alloc(0), 'the output ends');
      assert.deepEqual(await clientsOf(dir), [], `round ${round}: no process of the chain is left once the stop is done`);
      // The last stage starts first: the one in flight at the stop; it is not wired into the ended run.
      assert.equal(chain.stages[1].proc, undefined, 'the stage started during the stop is not the run\'s');
      assert.equal(chain.stages[0].proc, undefined, 'nothing started after the stop');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a stage removed from the chain while the run starts (rm -r during play) is never started, or is ended once its start comes back; nothing of it is left', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-chain-run-'));
  try {
    for (const when of ['queued', 'in flight'] as const) {
      for (let round = 0; round < 3; round++) {
        const chain = new Chain('c');
        chain.stages = [fixture('never-exits'), fixture('never-exits')];
        const removed = chain.stages[when === 'queued' ? 0 : 1];
        const run = new ChainRun(chain, { lossless: true, env: process.env, cwd: dir, log: () => undefined });
        chain.run = run;
        const starting = run.start();
        try {
          // As Project.removeStage does for a stage with no process yet: out of the chain, nothing to end. The last
          // stage starts first: 'queued' removes the first once the last runs, 'in flight' the last while it starts.
          if (when === 'in flight') await onTurnWhen(() => (run as unknown as { starting: Set<unknown> }).starting.size > 0);
          else await onTurnWhen(() => chain.stages[1].proc !== undefined);
          assert.equal(removed.proc, undefined, 'not started yet');
          chain.stages = chain.stages.filter((s) => s !== removed);
          await starting;
          assert.equal(removed.proc, undefined, `${when}, round ${round}: the removed stage is not the run's`);
          const kept = chain.stages[0];
          assert.ok(kept.proc, 'the other stage runs');
          assert.deepEqual((await clientsOf(dir)).length, 1, `${when}, round ${round}: only the kept stage's process runs`);
        } finally {
          // What a failed round started goes too (as Project.removeChain would end it, and the removed stage's).
          chain.stages = [...chain.stages, removed];
          await starting.catch(() => undefined);
          await run.stop();
          await removed.proc?.terminate();
        }
        assert.deepEqual(await clientsOf(dir), [], 'nothing is left after the stop');
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an in written to a later stage while the stages fork: the run is fed there once they all run, and only that reaches the output', async () => {
  const chain = new Chain('c');
  chain.stages = [stage('a', ['cat'], '/bin/cat'), stage('b', ['cat'], '/bin/cat')];
  chain.input.write(0, Buffer.from('from the chain\'s own in\n'));
  const run = new ChainRun(chain, { lossless: true, env: process.env, cwd: process.cwd(), log: () => undefined });
  chain.run = run;
  const out = readAll(chain.out);
  const starting = run.start();
  await onTurnWhen(() => chain.stages[1].proc !== undefined);
  assert.equal(chain.stages[0].proc, undefined, 'written between two forks');
  const written = randomBytes(64 * 1024);
  chain.stages[1].input.write(0, written);
  run.inject(chain.stages[1]);
  await starting;
  try {
    assert.ok((await out).equals(written), 'the output is what was written to b/in, whole, and nothing of a');
  } finally {
    await run.stop();
  }
});
