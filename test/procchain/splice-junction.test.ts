// A junction between two real processes' stdio (as Node spawns them: sockets) handed back and forth between
// the JavaScript relay and the kernel pump at random moments: the next process gets every byte once, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { kernelPumpAvailable, kernelPumpProblem } from '../../lib/procchain/kernel-pump.js';
import { SpliceJunction, type ReleaseReason } from '../../lib/procchain/splice-junction.js';

const skip = kernelPumpAvailable() ? false : `no kernel pump here: ${kernelPumpProblem()}`;
const MiB = 1024 * 1024;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));
}

/** Writes IN to stdout in 32 KiB pieces with a pause after each (a transfer that lasts). */
const SLOW_CAT = ['python3', '-c', 'import sys,time\nf=open(sys.argv[1],"rb")\nwhile True:\n b=f.read(32768)\n if not b: break\n sys.stdout.buffer.write(b); sys.stdout.flush(); time.sleep(0.0006)'];

/** `cat IN | <junction> | NEXT > OUT` with Node's own stdio on both sides, and the JavaScript relay between (as chain-run's: a dead stdin swallows). */
function pair(input: Buffer, next: string[], writer = ['cat']) {
  const dir = mkdtempSync(join(tmpdir(), 'splice-junction-'));
  const inFile = join(dir, 'in');
  const outFile = join(dir, 'out');
  writeFileSync(inFile, input);
  const out = openSync(outFile, 'w');
  const a = spawn(writer[0], [...writer.slice(1), inFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const b = spawn(next[0], next.slice(1), { stdio: ['pipe', out, 'inherit'] });
  closeSync(out);
  const src = a.stdout as Readable;
  const dst = b.stdin as Writable;
  dst.on('error', () => undefined);
  const releases: ReleaseReason[] = [];
  const junction = new SpliceJunction(src, dst, { onRelease: (why) => releases.push(why) });
  let relayed = 0;
  src.on('data', (c: Buffer) => {
    relayed += c.length;
    if (dst.destroyed || dst.writableEnded) return;
    if (!dst.write(c)) {
      src.pause();
      const go = () => { dst.off('drain', go).off('close', go); src.resume(); };
      dst.on('drain', go).on('close', go);
    }
  });
  const ended = new Promise<void>((r) => src.once('end', () => { if (!dst.destroyed) dst.end(); r(); }));
  return {
    junction,
    src,
    dst,
    releases,
    ended,
    get relayed() { return relayed; },
    async finish(): Promise<Buffer> {
      await exited(a);
      await exited(b);
      const got = readFileSync(outFile);
      rmSync(dir, { recursive: true, force: true });
      return got;
    },
    kill(): void {
      a.kill('SIGKILL');
      b.kill('SIGKILL');
    },
  };
}

test('engaged for the whole transfer: the kernel moves everything, hands back at end of file, Node sees the end', { skip }, async () => {
  const input = randomBytes(32 * MiB);
  const p = pair(input, ['cat']);
  try {
    while (!p.junction.engage()) await pause(1);
    await p.ended;
    assert.ok((await p.finish()).equals(input));
    assert.equal(p.junction.engaged, false);
    assert.deepEqual(p.releases, ['end']);
    assert.equal(p.junction.moved + p.relayed, input.length);
    assert.ok(p.junction.moved > input.length / 2, `the kernel moved only ${p.junction.moved} bytes`);
  } finally {
    p.kill();
  }
});

test('thousands of hand-overs between JavaScript and the kernel at random moments lose and duplicate nothing', { skip }, async () => {
  const input = randomBytes(64 * MiB);
  const p = pair(input, ['cat'], SLOW_CAT);
  let engaged = 0;
  let refused = 0;
  let residue = 0;
  let done = false;
  void p.ended.then(() => (done = true));
  try {
    while (!done) {
      if (p.junction.engage()) engaged++;
      else refused++;
      const r = Math.random();
      if (r < 0.5) await new Promise((res) => setImmediate(res));
      else if (r < 0.95) await pause(0);
      else await pause(2);
      residue += p.junction.release();
      if (Math.random() < 0.5) await new Promise((res) => setImmediate(res));
    }
    assert.ok((await p.finish()).equals(input));
  } finally {
    p.kill();
  }
  assert.equal(p.junction.moved + p.relayed, input.length);
  assert.ok(engaged >= 1000, `engaged ${engaged} times (refused ${refused})`);
  console.log(`# ${engaged} engagements, ${refused} refused, ${residue} bytes handed back, kernel ${p.junction.moved} / JS ${p.relayed}`);
});

test('a next process that does not read: release is prompt, and the relay delivers the rest when it reads again', { skip }, async () => {
  const input = randomBytes(8 * MiB);
  const p = pair(input, ['sh', '-c', 'sleep 1; exec cat']);
  try {
    while (!p.junction.engage()) await pause(1);
    let last = -1;
    while (p.junction.moved !== last || p.junction.moved === 0) {
      last = p.junction.moved;
      await pause(50);
    }
    const t0 = performance.now();
    const back = p.junction.release();
    const ms = performance.now() - t0;
    assert.ok(ms < 50, `release took ${ms.toFixed(2)} ms`);
    assert.ok(p.junction.moved < input.length);
    await p.ended;
    assert.ok((await p.finish()).equals(input));
    console.log(`# blocked after ${p.junction.moved} bytes, released in ${ms.toFixed(3)} ms, ${back} bytes handed back`);
  } finally {
    p.kill();
  }
});

test('a next process that exits early: the pump reports EPIPE, hands back, and the relay carries on as before', { skip }, async () => {
  const input = randomBytes(8 * MiB);
  const p = pair(input, ['head', '-c', '100000']);
  try {
    while (!p.junction.engage()) await pause(1);
    await p.ended;
    assert.ok((await p.finish()).equals(input.subarray(0, 100000)));
    assert.deepEqual(p.releases, ['error']);
    assert.equal(p.junction.engaged, false);
  } finally {
    p.kill();
  }
});
