// A spilled input fed to a real process's stdin by the kernel: from any byte, stopped at random moments and
// taken over by JavaScript from where the kernel stopped, the process gets every byte once, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelFeed } from '../../lib/procchain/kernel-feed.js';
import { kernelPumpAvailable, kernelPumpProblem } from '../../lib/procchain/kernel-pump.js';
import { Feeder } from '../../lib/procchain/feeder.js';
import { StdinTarget } from '../../lib/procchain/target.js';
import { StoredInput } from '../../lib/sequencer/stored-input.js';

const skip = kernelPumpAvailable() ? false : `no kernel pump here: ${kernelPumpProblem()}`;
const MiB = 1024 * 1024;

/** A `cat` whose stdin is Node's (a socket pair, as for a stage) and whose stdout is collected. */
function cat() {
  const child = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => chunks.push(b));
  const out = new Promise<Buffer>((resolve) => child.once('close', () => resolve(Buffer.concat(chunks))));
  return { stdin: child.stdin, out };
}

/** Runs `body` with a store that holds `data` in its spill file; removes both after. */
async function withSpilledStore(data: Buffer, body: (store: StoredInput) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kernel-feed-'));
  const store = new StoredInput({ spillDir: dir, memoryLimit: 0 });
  try {
    await store.write(0, data);
    await body(store);
  } finally {
    await store.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

test('KernelFeed gives a process a file from a byte to its end; stopped midway it says how much it gave, exactly', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kernel-feed-'));
  try {
    const data = randomBytes(8 * MiB);
    const path = join(dir, 'in.spill');
    await writeFile(path, data);
    // To the end, from byte 12345.
    const whole = cat();
    const feed = KernelFeed.start(path, 12345, whole.stdin)!;
    assert.ok(feed, 'the kernel feeds a socket pair stdin');
    const finish = await feed.finished;
    assert.equal(finish.outcome, 'end');
    assert.equal(feed.stop(), data.length - 12345);
    whole.stdin.end();
    assert.ok((await whole.out).equals(data.subarray(12345)));
    // Stopped after a few ms, then JavaScript writes the rest from where the kernel stopped.
    for (let i = 0; i < 5; i++) {
      const c = cat();
      const f = KernelFeed.start(path, 0, c.stdin)!;
      await new Promise((r) => setTimeout(r, Math.random() * 8));
      const given = f.stop();
      assert.equal(f.stop(), given, 'the same answer on every call');
      c.stdin.end(data.subarray(given));
      const got = await c.out;
      assert.equal(got.length, data.length, `stopped after ${given} bytes: as many bytes out as in`);
      assert.ok(got.equals(data), `stopped after ${given} bytes: every byte once, in order`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a Feeder over a spilled store: the kernel feeds it, pokes and reroutes at random moments hand over to JavaScript and back, nothing lost or repeated', { skip }, async () => {
  const data = randomBytes(32 * MiB);
  await withSpilledStore(data, async (store) => {
    assert.ok(store.spillFile(), 'the store is spilled');
    const c = cat();
    const target = new StdinTarget(c.stdin);
    let fed = 0;
    let done = false;
    const feeder = new Feeder(store, {
      target: () => target,
      // Half the time the kernel may not (a splice under way): JavaScript feeds a chunk, then it is asked again.
      kernelTarget: () => (Math.random() < 0.5 ? target : undefined),
      onKernelFed: (n) => (fed += n),
      onDone: () => (done = true),
    });
    feeder.start();
    let handovers = 0;
    while (!done) {
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      if (Math.random() < 0.5) feeder.poke();
      else feeder.reroute();
      handovers++;
    }
    const got = await c.out;
    assert.equal(got.length, data.length, 'as many bytes out as in');
    assert.ok(got.equals(data), 'every byte once, in order');
    assert.equal(target.taken, data.length, 'the target counts what the kernel gave as taken');
    assert.ok(fed > 0 && fed < data.length, `the kernel fed ${fed} bytes, JavaScript the rest`);
    console.log(`# ${handovers} handovers; the kernel fed ${fed} of ${data.length} bytes`);
  });
});

test('another write to the stdin while the kernel feeds it stops the kernel first: its bytes come whole, between two stretches of the input', { skip }, async () => {
  const data = randomBytes(32 * MiB);
  await withSpilledStore(data, async (store) => {
    const c = cat();
    const target = new StdinTarget(c.stdin);
    const done = new Promise<void>((resolve) => {
      new Feeder(store, { target: () => target, kernelTarget: () => target, onDone: resolve }).start();
    });
    await new Promise((r) => setTimeout(r, 3));
    const other = Buffer.from(`another writer ${'x'.repeat(100)}`);
    target.write(other);
    await done;
    const got = await c.out;
    const at = got.indexOf(other);
    assert.ok(at >= 0, 'the other bytes are there, whole');
    assert.ok(Buffer.concat([got.subarray(0, at), got.subarray(at + other.length)]).equals(data), `around them (at ${at}), the input once, in order`);
  });
});

test('a Feeder whose process is gone: the kernel feed fails once (EPIPE) and JavaScript finishes, the target ended', { skip }, async () => {
  await withSpilledStore(randomBytes(4 * MiB), async (store) => {
    const child = spawn('head', ['-c', '1000'], { stdio: ['pipe', 'ignore', 'inherit'] });
    child.stdin.on('error', () => undefined);
    const target = new StdinTarget(child.stdin);
    const done = new Promise<void>((resolve) => {
      new Feeder(store, { target: () => target, kernelTarget: () => target, onDone: resolve }).start();
    });
    await done;
    assert.ok(child.stdin.writableEnded || child.stdin.destroyed, 'the target is ended');
  });
});
