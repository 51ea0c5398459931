// The native splice pump on real pipes between real processes: every byte arrives once and in order, across
// thousands of stops and restarts at random moments; stop() is prompt even when the reader never reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelPump, kernelPumpAvailable, kernelPumpProblem, makePipe } from '../../lib/procchain/kernel-pump.js';

const skip = kernelPumpAvailable() ? false : `no kernel pump here: ${kernelPumpProblem()}`;
const MiB = 1024 * 1024;

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));
}

/** `cat IN | <pump> | cat > OUT` with real pipes on both sides of the pump. */
function catPipeline(input: Buffer) {
  const dir = mkdtempSync(join(tmpdir(), 'kernel-pump-'));
  const inFile = join(dir, 'in');
  const outFile = join(dir, 'out');
  writeFileSync(inFile, input);
  const a = makePipe();
  const b = makePipe();
  const out = openSync(outFile, 'w');
  const writer = spawn('cat', [inFile], { stdio: ['ignore', a.write, 'inherit'] });
  const reader = spawn('cat', [], { stdio: [b.read, out, 'inherit'] });
  closeSync(a.write);
  closeSync(b.read);
  closeSync(out);
  return {
    src: a.read,
    dst: b.write,
    /** Closes the pump's ends, waits for both processes, and gives what the reader wrote. */
    async finish(): Promise<Buffer> {
      closeSync(a.read);
      closeSync(b.write);
      assert.equal(await exited(writer), 0);
      assert.equal(await exited(reader), 0);
      const got = readFileSync(outFile);
      rmSync(dir, { recursive: true, force: true });
      return got;
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('pipe to pipe: everything, in order, then end of file with the byte count', { skip }, async () => {
  const input = randomBytes(24 * MiB);
  const p = catPipeline(input);
  const pump = KernelPump.start(p.src, p.dst);
  const f = await pump.finished;
  assert.deepEqual(f, { outcome: 'end', moved: input.length, code: undefined, op: undefined });
  const s = pump.stop();
  assert.deepEqual({ outcome: s.outcome, moved: s.moved, taken: s.taken, residue: s.residue.length }, { outcome: 'end', moved: input.length, taken: input.length, residue: 0 });
  assert.ok((await p.finish()).equals(input));
});

test('thousands of stops and restarts at random moments lose and duplicate nothing (pipe to pipe holds nothing back)', { skip }, async () => {
  // Transfers of 32 MiB, each checked whole, until 1000 stops have fallen inside one (how many it takes depends on the load).
  let toggles = 0;
  let rounds = 0;
  while (toggles < 1000 && rounds < 30) {
    rounds++;
    const input = randomBytes(32 * MiB);
    const p = catPipeline(input);
    let moved = 0;
    let residue = 0;
    try {
      for (;;) {
        const pump = KernelPump.start(p.src, p.dst);
        // Stopped at once (racing the thread's start), after a turn of the event loop, or after a millisecond.
        const r = Math.random();
        if (r < 0.6) undefined;
        else if (r < 0.97) await new Promise((res) => setImmediate(res));
        else await pause(1);
        const s = pump.stop();
        moved += s.moved;
        residue += s.residue.length;
        if (s.outcome === 'end') break;
        if (moved < input.length) toggles++;
        // Sometimes nobody moves anything for a while.
        if (Math.random() < 0.1) await pause(1);
      }
    } finally {
      assert.ok((await p.finish()).equals(input), `round ${rounds}: the reader got the input`);
    }
    assert.equal(residue, 0);
    assert.equal(moved, input.length);
  }
  assert.ok(toggles >= 1000, `only ${toggles} stops inside ${rounds} transfers`);
});

test('a reader that never reads: stop() is prompt, and every byte is in the destination pipe or still in the source', { skip }, async () => {
  const input = randomBytes(4 * MiB);
  const a = makePipe();
  const b = makePipe();
  const dir = mkdtempSync(join(tmpdir(), 'kernel-pump-'));
  writeFileSync(join(dir, 'in'), input);
  const writer = spawn('cat', [join(dir, 'in')], { stdio: ['ignore', a.write, 'inherit'] });
  closeSync(a.write);
  const pump = KernelPump.start(a.read, b.write);
  // Let it fill the destination pipe (64 KiB) and block there.
  let last = -1;
  while (pump.moved !== last || pump.moved === 0) {
    last = pump.moved;
    await pause(30);
  }
  const t0 = performance.now();
  const s = pump.stop();
  const ms = performance.now() - t0;
  assert.equal(s.outcome, 'stopped');
  assert.ok(ms < 50, `stop() took ${ms.toFixed(2)} ms`);
  assert.equal(s.residue.length, 0);
  assert.ok(s.moved > 0 && s.moved < input.length);
  // Drain both pipes: the destination holds the first `moved` bytes, the source the rest.
  const readAll = async (fd: number, until: number): Promise<Buffer> => {
    const parts: Buffer[] = [];
    let n = 0;
    const buf = Buffer.alloc(MiB);
    while (n < until) {
      let k = 0;
      try {
        k = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        await pause(1);
        continue;
      }
      if (k === 0) break;
      parts.push(Buffer.from(buf.subarray(0, k)));
      n += k;
    }
    return Buffer.concat(parts);
  };
  const inDst = await readAll(b.read, s.moved);
  const inSrc = await readAll(a.read, Infinity);
  assert.equal(await exited(writer), 0);
  for (const fd of [a.read, b.read, b.write]) closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  assert.equal(inDst.length, s.moved);
  assert.ok(Buffer.concat([inDst, inSrc]).equals(input));
});

test('a reader that goes away: the pump reports EPIPE as a value, and what it did not move is still in the source', { skip }, async () => {
  const a = makePipe();
  const b = makePipe();
  const pump = KernelPump.start(a.read, b.write);
  closeSync(b.read);
  writeSync(a.write, Buffer.from('hello'));
  const f = await pump.finished;
  assert.deepEqual(f, { outcome: 'error', moved: 0, code: 'EPIPE', op: 'splice' });
  const s = pump.stop();
  assert.deepEqual({ outcome: s.outcome, code: s.code, moved: s.moved, residue: s.residue.length }, { outcome: 'error', code: 'EPIPE', moved: 0, residue: 0 });
  const buf = Buffer.alloc(16);
  assert.equal(readSync(a.read, buf, 0, 16, null), 5);
  assert.equal(buf.toString('utf8', 0, 5), 'hello');
  for (const fd of [a.read, a.write, b.write]) closeSync(fd);
});
