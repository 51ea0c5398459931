// The Feeder without a mount or a process: a stored input fed to a target in order, with backpressure, regions and later data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Feeder } from '../../lib/procchain/feeder.js';
import { MemoryInputStore } from '../../lib/procchain/input-store.js';
import { LiveInput } from '../../lib/studio/live-input.js';
import type { Target } from '../../lib/procchain/target.js';

/** A target that keeps what it gets; `full` makes each write ask the feeder to wait. */
class Collect implements Target {
  chunks: Buffer[] = [];
  ended = 0;
  full = false;
  onWhenWritable: (() => Promise<void>) | undefined;
  write(chunk: Buffer): boolean {
    this.chunks.push(Buffer.from(chunk));
    return !this.full;
  }
  whenWritable(): Promise<void> {
    return this.onWhenWritable?.() ?? Promise.resolve();
  }
  end(): void {
    this.ended++;
  }
  get data(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function storeOf(data: Buffer): MemoryInputStore {
  const store = new MemoryInputStore();
  store.write(0, data);
  return store;
}

const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) & 0xff));


test('feeds the whole store in order, in chunks of at most `chunk`, then ends the target and says done once', async () => {
  const data = bytes(10_000);
  const target = new Collect();
  let dones = 0;
  const done = new Promise<void>((resolve) => {
    const feeder = new Feeder(storeOf(data), { target: () => target, chunk: 4096, onDone: () => { dones++; resolve(); } });
    feeder.start();
    feeder.start();
  });
  await done;
  assert.deepEqual(target.chunks.map((c) => c.length), [4096, 4096, 1808]);
  assert.ok(target.data.equals(data));
  assert.deepEqual({ ended: target.ended, dones }, { ended: 1, dones: 1 });
});

test('a region feeds bytes from..to only; its position ends at to', async () => {
  const data = bytes(10_000);
  const target = new Collect();
  let feeder!: Feeder;
  const store = storeOf(data);
  // A writer holds it open: the region's end still ends it.
  store.countWriter(+1);
  await new Promise<void>((resolve) => {
    feeder = new Feeder(store, { target: () => target, from: 1000, to: 3000, chunk: 512, onDone: resolve });
    feeder.start();
  });
  assert.ok(target.data.equals(data.subarray(1000, 3000)), `fed ${target.data.length} bytes`);
  assert.equal(feeder.position, 3000);
  assert.equal(target.ended, 1);
});

test('while a writer has the file open it waits for more, follows what is written later, and ends when the writer closes', async () => {
  const store = new MemoryInputStore();
  store.write(0, Buffer.from('abc'));
  store.countWriter(+1);
  const target = new Collect();
  let first!: () => void;
  const sawFirst = new Promise<void>((r) => (first = r));
  const origWrite = target.write.bind(target);
  target.write = (c) => { const ok = origWrite(c); first(); return ok; };
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const feeder = new Feeder(store, { target: () => target, onDone: done });
  feeder.start();
  await sawFirst;
  store.write(3, Buffer.from('def'));
  feeder.poke();
  store.countWriter(-1);
  feeder.poke();
  await finished;
  assert.equal(target.data.toString(), 'abcdef');
  assert.equal(target.ended, 1);
});

test('backpressure: after a write the target refuses, the feeder asks whenWritable before writing more', async () => {
  const data = bytes(3 * 1024);
  const target = new Collect();
  target.full = true;
  const writesAtWait: number[] = [];
  target.onWhenWritable = () => {
    writesAtWait.push(target.chunks.length);
    return new Promise((r) => setImmediate(r));
  };
  await new Promise<void>((resolve) => {
    new Feeder(storeOf(data), { target: () => target, chunk: 1024, onDone: resolve }).start();
  });
  assert.deepEqual(writesAtWait, [1, 2, 3], 'one wait after each refused write, before the next');
  assert.ok(target.data.equals(data));
});

test('the target is chosen per chunk: a splice between chunks sends the rest elsewhere, nothing lost or repeated', async () => {
  const data = bytes(4096);
  const a = new Collect();
  const b = new Collect();
  let current: Collect = a;
  a.onWhenWritable = async () => { current = b; };
  a.full = true;
  await new Promise<void>((resolve) => {
    new Feeder(storeOf(data), { target: () => current, chunk: 1024, onDone: resolve }).start();
  });
  assert.equal(a.chunks.length, 1);
  assert.ok(Buffer.concat([a.data, b.data]).equals(data));
  assert.deepEqual({ a: a.ended, b: b.ended }, { a: 0, b: 1 });
});

test('cancel stops feeding without ending the target', async () => {
  const store = new MemoryInputStore();
  store.write(0, Buffer.from('abc'));
  store.countWriter(+1);
  const target = new Collect();
  let dones = 0;
  const feeder = new Feeder(store, { target: () => target, onDone: () => dones++ });
  let waited!: () => void;
  const atWait = new Promise<void>((r) => (waited = r));
  const origWrite = target.write.bind(target);
  target.write = (c) => { const ok = origWrite(c); waited(); return ok; };
  feeder.start();
  await atWait;
  feeder.cancel();
  // Data written after the cancel, and a poke, must not reach the target. Store and target are synchronous, so a
  // feeder that went on would have written within the microtasks that run before setImmediate.
  store.write(3, Buffer.from('def'));
  feeder.poke();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual({ data: target.data.toString(), ended: target.ended, dones }, { data: 'abc', ended: 0, dones: 0 });
});


test('lingering: with everything fed and no writer, the target stays open while linger says the chain still plays; an append then is fed', async () => {
  const store = storeOf(Buffer.from('abc'));
  const target = new Collect();
  let playing = true;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const feeder = new Feeder(store, { target: () => target, linger: () => playing, onDone: done });
  feeder.start();
  await new Promise((r) => setTimeout(r, 50));
  const before = { data: target.data.toString(), ended: target.ended, lingering: feeder.lingering };
  store.write(3, Buffer.from('def'));
  feeder.poke();
  await new Promise((r) => setTimeout(r, 50));
  playing = false;
  await finished;
  assert.deepEqual({ before, data: target.data.toString(), ended: target.ended, lingering: feeder.lingering }, {
    before: { data: 'abc', ended: 0, lingering: true }, data: 'abcdef', ended: 1, lingering: false,
  });
});

test('a lingering feeder asks again after 10 ms, then less often while the chain plays on (at most every 40 ms), and at 10 ms again after new data', async () => {
  const store = new MemoryInputStore();
  store.write(0, bytes(100));
  const target = new Collect();
  const asked: number[] = [];
  let playing = true;
  const feeder = new Feeder(store, { target: () => target, linger: () => { asked.push(performance.now()); return playing; } });
  feeder.start();
  await new Promise((r) => setTimeout(r, 600));
  const gaps = asked.slice(1).map((t, i) => t - asked[i]);
  // 10, 20, 40, 40, ...: about 16 asks in 600 ms, where every 10 ms would be about 60.
  assert.ok(asked.length >= 5 && asked.length <= 25, `asked ${asked.length} times in 600 ms: ${gaps.map((g) => g.toFixed(0)).join(', ')} ms apart`);
  assert.ok(gaps.slice(3).every((g) => g >= 35), `after the first asks, at most every 40 ms: ${gaps.map((g) => g.toFixed(0)).join(', ')}`);
  // Data written meanwhile is fed at once (a poke, not a poll), and the asking starts again from 10 ms.
  const before = asked.length;
  store.write(100, bytes(50));
  feeder.poke();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(target.data.length, 150);
  const again = asked.slice(before);
  assert.ok(again.length >= 3, `asked ${again.length} times in the 100 ms after new data (10, 20, 40 ms apart: at least 3)`);
  playing = false;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(target.ended, 1, 'the target ends once the chain no longer plays');
  feeder.cancel();
});

test('a live input emptied before its bytes were fed (truncate, rm -r): the feeder goes on from its end, feeds what comes next, and never holds the thread', { timeout: 10_000 }, async () => {
  const input = new LiveInput();
  await input.write(0, bytes(3000));
  input.truncate();
  const target = new Collect();
  // The feeder used to ask the store again at once, without end: past 1,000 reads it is stopped, so that a
  // return of that fails this test instead of holding its thread (no timer could fire).
  let reads = 0;
  const store = {
    get size() { return input.size; },
    get growing() { return input.growing; },
    write: input.write.bind(input),
    truncate: input.truncate.bind(input),
    read: (offset: number, length: number) => {
      if (++reads > 1000) feeder.cancel();
      return input.read(offset, length);
    },
  };
  const feeder: Feeder = new Feeder(store, { target: () => target });
  feeder.start();
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(reads < 10, `${reads} reads of an emptied input`);
  assert.equal(target.data.length, 0, 'what was dropped is not fed');
  assert.equal(feeder.position, 3000);
  const next = bytes(500).reverse();
  await input.write(3000, next);
  feeder.poke();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(target.data, next);
  feeder.cancel();
});
