import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AudiofsError } from '../../lib/base/errors.js';
import { LiveStream } from '../../lib/base/live-stream.js';

const isEintr = (e: unknown) => e instanceof AudiofsError && e.code === 'EINTR' && e.op === 'read';

test('an abort during a pending read rejects it with EINTR; the next read gets the data that arrived, and another reader gets it all', async () => {
  const stream = new LiveStream();
  const a = stream.openReader();
  const b = stream.openReader();
  const ac = new AbortController();
  const pendingA = a.read(100, ac.signal);
  const pendingB = b.read(100);
  ac.abort();
  await assert.rejects(pendingA, isEintr);
  stream.write(Buffer.from('abc'));
  stream.write(Buffer.from('def'));
  assert.equal((await pendingB)?.toString(), 'abc');
  assert.equal((await a.read(100))?.toString(), 'abcdef', 'the interrupted reader lost nothing and took nothing');
  assert.equal((await b.read(100))?.toString(), 'def');
  assert.equal(a.lost + b.lost, 0);
  assert.equal(stream.readerCount, 2, 'the interrupted reader stays attached until it is closed');
});

test('a read whose signal already fired rejects with EINTR and leaves queued data for the next read', async () => {
  const stream = new LiveStream();
  const r = stream.openReader();
  stream.write(Buffer.from('queued'));
  const ac = new AbortController();
  ac.abort(new AudiofsError('EINTR', 'read', '/out', 'interrupted by a signal'));
  await assert.rejects(r.read(100, ac.signal), (e: unknown) => isEintr(e) && (e as AudiofsError).path === '/out');
  assert.equal((await r.read(100))?.toString(), 'queued');
});

test('an abort after the data reached a pending read changes nothing: the read has the data, nothing is read twice', async () => {
  const stream = new LiveStream();
  const r = stream.openReader();
  const ac = new AbortController();
  const pending = r.read(4, ac.signal);
  stream.write(Buffer.from('123456'));
  ac.abort();
  assert.equal((await pending)?.toString(), '1234');
  assert.equal((await r.read(100))?.toString(), '56');
});

test('of two pending reads on one reader, the aborted one goes and the other gets the data; end of run still ends it', async () => {
  const stream = new LiveStream();
  const r = stream.openReader();
  const ac = new AbortController();
  const first = r.read(100, ac.signal);
  const second = r.read(100, new AbortController().signal);
  ac.abort();
  await assert.rejects(first, isEintr);
  stream.write(Buffer.from('x'));
  assert.equal((await second)?.toString(), 'x');
  const third = r.read(100, new AbortController().signal);
  stream.end();
  assert.equal(await third, null);
});

test('in lossless mode an interrupted reader still holds the writer back until it reads on or closes (nothing is dropped)', async () => {
  const stream = new LiveStream({ lossless: true, limit: 4 });
  const r = stream.openReader();
  const ac = new AbortController();
  const pending = r.read(2, ac.signal);
  ac.abort();
  await assert.rejects(pending, isEintr);
  assert.equal(stream.write(Buffer.from('abcdef')), false, 'full: the writer is told to wait');
  let writable = false;
  const waiting = stream.whenWritable().then(() => (writable = true));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(writable, false);
  assert.equal((await r.read(100))?.toString(), 'abcdef');
  await waiting;
  assert.equal(r.lost, 0);
});

test('readInto gives the bytes read() would, copied into the caller\'s buffer: across chunks, cut at its length, waiting, then 0 at the end', async () => {
  const stream = new LiveStream();
  const r = stream.openReader();
  const oracle = stream.openReader();
  for (const s of ['abc', 'defgh', 'ij']) stream.write(Buffer.from(s));
  const target = Buffer.alloc(6, '.');
  assert.equal(await r.readInto(target), 6);
  assert.equal(target.toString(), 'abcdef');
  assert.equal((await oracle.read(6))?.toString(), 'abcdef');
  assert.equal(await r.readInto(target), 4, 'what is left, not more');
  assert.equal(target.subarray(0, 4).toString(), 'ghij');
  const waiting = r.readInto(target);
  stream.write(Buffer.from('klmnopq'));
  assert.equal(await waiting, 6, 'a waiting read takes what comes, up to its length');
  assert.equal(target.toString(), 'klmnop');
  stream.end();
  assert.equal(await r.readInto(target), 1);
  assert.equal(target.subarray(0, 1).toString(), 'q');
  assert.equal(await r.readInto(target), 0, 'end of file');
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(stream.openReader().readInto(target, ac.signal), isEintr);
});

test('in export mode (lossless) a read fills its buffer with what comes within a few ms; in realtime it returns with the first chunk', async () => {
  for (const lossless of [true, false]) {
    const stream = new LiveStream();
    stream.setLossless(lossless);
    const r = stream.openReader();
    const target = Buffer.alloc(1 << 20);
    const t0 = performance.now();
    const reading = r.readInto(target);
    stream.write(Buffer.from('abc'));
    setImmediate(() => stream.write(Buffer.from('def')));
    const n = await reading;
    const ms = performance.now() - t0;
    if (lossless) {
      assert.equal(target.subarray(0, n).toString(), 'abcdef', 'what came meanwhile, in one read');
      assert.ok(ms < 100, `and it returned without the buffer full (${ms.toFixed(1)} ms)`);
    } else {
      assert.equal(target.subarray(0, n).toString(), 'abc', 'realtime: at once');
    }
    await new Promise((r) => setImmediate(r));
    // A full buffer returns at once, the rest stays queued (realtime: 'def' came after the first read).
    stream.write(Buffer.alloc((1 << 20) + 5, 1));
    assert.equal(await r.readInto(target), 1 << 20);
    stream.end();
    assert.equal(await r.readInto(target), lossless ? 5 : 8);
  }
});

test('two reads in flight on one open take turns: each gathers whole, and what they return is the stream in order', async () => {
  const stream = new LiveStream();
  stream.setLossless(true);
  const r = stream.openReader();
  const a = Buffer.alloc(6);
  const b = Buffer.alloc(6);
  const first = r.readInto(a);
  const second = r.readInto(b);
  stream.write(Buffer.from('abc'));
  stream.write(Buffer.from('def'));
  stream.write(Buffer.from('ghi'));
  stream.end();
  const [na, nb] = await Promise.all([first, second]);
  assert.equal(a.subarray(0, na).toString() + b.subarray(0, nb).toString(), 'abcdefghi');
  // An aborted read waiting its turn ends at once, taking nothing.
  const s2 = new LiveStream();
  s2.setLossless(true);
  const r2 = s2.openReader();
  const waiting = r2.readInto(Buffer.alloc(4));
  const ac = new AbortController();
  const queuedBehind = r2.readInto(Buffer.alloc(4), ac.signal);
  ac.abort();
  await assert.rejects(queuedBehind, isEintr);
  s2.write(Buffer.from('wxyz'));
  assert.equal(await waiting, 4);
});
