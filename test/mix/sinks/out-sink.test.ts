import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutSink } from '../../../lib/mix/sinks/out-sink.js';

test('collect on: a reader opened later gets everything played since collect on, then the live mix', async () => {
  const out = new OutSink();
  await out.write(Buffer.from('before'));
  out.setCollect({ on: true });
  await out.write(Buffer.from('one'));
  await out.write(Buffer.from('two'));
  const r = out.openReader();
  await out.write(Buffer.from('three'));
  await out.end();
  const parts: string[] = [];
  for (let b = await r.read(1 << 20); b !== null; b = await r.read(1 << 20)) parts.push(b.toString());
  assert.equal(parts.join(''), 'onetwothree');
  assert.equal(out.collectedSize, 11);
  out.setCollect({ on: false });
  assert.equal(out.collectedSize, 0);
  const late = out.openReader({ nonblocking: true });
  assert.equal(await late.read(100), null);
});

test('collect keeps at most its bound: the oldest whole periods go first, said once, and a later reader gets the newest', async () => {
  const said: string[] = [];
  const out = new OutSink({ collectMax: 12, onCollectDrop: (m) => said.push(m) });
  out.setCollect({ on: true });
  for (const p of ['aaaa', 'bbbb', 'cccc', 'dddd', 'eeee']) await out.write(Buffer.from(p));
  assert.equal(out.collectedSize, 12);
  assert.equal(out.collectDropped, 8);
  assert.equal(said.length, 1);
  assert.match(said[0], /keeping the last 12 bytes/);
  const r = out.openReader();
  await out.end();
  const parts: string[] = [];
  for (let b = await r.read(1 << 20); b !== null; b = await r.read(1 << 20)) parts.push(b.toString());
  assert.equal(parts.join(''), 'ccccddddeeee');
});

test('export mode: /out holds the mix back for a reader that is full instead of losing data', async () => {
  const out = new OutSink({ limit: 8 });
  out.setMode('export');
  const r = out.openReader();
  await out.write(Buffer.from('12345678'));
  let resolved = false;
  const p = Promise.resolve(out.write(Buffer.from('9'))).then(() => { resolved = true; });
  await new Promise((res) => setTimeout(res, 20));
  assert.equal(resolved, false, 'the write waits for the reader');
  assert.equal((await r.read(100))?.toString(), '123456789');
  await p;
  assert.equal(resolved, true);
});
