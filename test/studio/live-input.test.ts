import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LiveInput } from '../../lib/studio/live-input.js';

/** Lets every promise and I/O callback that is due run (time itself is mocked, so only they can move). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

test('a live input holds a writer while full and lets it on as the chain takes data, in order', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const input = new LiveInput({ limit: 4, stallMs: 1000 });
  await input.write(0, Buffer.from('abcd'));
  let second = false;
  const writing = input.write(4, Buffer.from('ef')).then(() => (second = true));
  // A virtual clock: the writer has had all but 1 ms of stallMs, and nothing but the chain's read can let it on.
  t.mock.timers.tick(999);
  await settle();
  assert.equal(second, false, 'the writer waits while the buffer is full');
  assert.equal(input.read(0, 4).toString(), 'abcd');
  assert.equal(second, false, 'what was read is forgotten only when the next read starts after it');
  assert.equal(input.read(4, 10).toString(), '');
  await writing;
  assert.equal(input.read(4, 10).toString(), 'ef');
});

test('a writer that nothing takes from for stallMs gets EPIPE and what was refused is not stored', async () => {
  const refused: string[] = [];
  const input = new LiveInput({ limit: 4, stallMs: 100, where: '/live/in', onRefused: (d) => refused.push(d) });
  await input.write(0, Buffer.from('abcd'));
  const start = performance.now();
  await assert.rejects(input.write(4, Buffer.from('ef')), (e: any) => e.code === 'EPIPE' && /\/live\/in/.test(e.message));
  assert.ok(performance.now() - start >= 95);
  assert.equal(refused.length, 1);
  assert.match(refused[0], /not playing\): write refused \(expected play first/);
  assert.equal(input.size, 4);
  assert.equal(input.read(0, 10).toString(), 'abcd');
});

test('a writer held by a full live input whose signal fires gets EINTR at once, nothing of its write is stored, and the input goes on', async () => {
  const input = new LiveInput({ limit: 4, stallMs: 10_000, where: '/live/in' });
  await input.write(0, Buffer.from('abcd'));
  const ac = new AbortController();
  const held = input.write(4, Buffer.from('ef'), ac.signal);
  await new Promise((r) => setTimeout(r, 20));
  const start = performance.now();
  ac.abort();
  await assert.rejects(held, (e: any) => e.code === 'EINTR' && e.op === 'write' && e.path === '/live/in');
  assert.ok(performance.now() - start < 50);
  assert.equal(input.size, 4, 'nothing of the interrupted write is stored');
  assert.equal(input.read(0, 10).toString(), 'abcd');
  const next = input.write(4, Buffer.from('gh'));
  assert.equal(input.read(4, 10).toString(), '', 'the chain takes abcd: the next writer goes on');
  await next;
  assert.equal(input.read(4, 10).toString(), 'gh');
});

test('a live input is idle once everything written was fed and nothing came for idleMs', async () => {
  const input = new LiveInput({ idleMs: 50 });
  assert.equal(input.idle(), true, 'never written: nothing to say');
  await input.write(0, Buffer.from('abcd'));
  assert.equal(input.idle(), false, 'data waits to be fed');
  assert.equal(input.read(0, 4).toString(), 'abcd');
  input.read(4, 4);
  assert.equal(input.idle(), false, 'fed, but written just now');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(input.idle(), true);
});

test('what was fed is forgotten: 256 MiB through a 256 KiB live input leave the memory it holds flat', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const input = new LiveInput({ limit: 256 * 1024, stallMs: 10_000 });
  const chunk = Buffer.alloc(64 * 1024, 7);
  gc();
  const before = process.memoryUsage().arrayBuffers;
  let at = 0;
  for (let i = 0; i < 4096; i++) {
    await input.write(at, chunk);
    at += chunk.length;
    assert.equal(input.read(at - chunk.length, chunk.length).length, chunk.length);
  }
  input.read(at, 1);
  // Backing stores are freed after the collection, by other threads that a loaded machine may delay.
  for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); }
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.equal(input.size, 256 * 1024 * 1024);
  assert.equal(input.buffered, 0);
  // Kept, they would be 256 MiB: a quarter of that is far from both.
  assert.ok(grown < 64 * 1024 * 1024, `buffers grew by ${(grown / 1048576).toFixed(1)} MiB after 256 MiB went through (expected < 64 MiB)`);
});
