// A stored `in` takes appends while its chain plays (realtime): `cat more >> NAME/in` during play reaches the client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mountAudiofs, openReader, run, sleep, soxSignal, waitFor } from '../helpers/mount.js';

test('realtime: bytes appended with >> to a playing chain\'s in come out after what was stored, and the chain then ends by itself', async () => {
  const m = await mountAudiofs();
  try {
    const first = await soxSignal(m.tmp, 'first.raw', ['2', 'sine', '220']);
    const more = await soxSignal(m.tmp, 'more.raw', ['1', 'square', '330']);
    await m.ctl('a cat');
    await run('sh', ['-c', `cat '${first}' > '${m.path('a/in')}'`]);
    const out = await openReader(m.path('a/out'));
    await m.ctl('play');
    // Everything stored was handed to cat long ago (pipes hold seconds of it); the chain still plays it.
    await sleep(1000);
    await run('sh', ['-c', `cat '${more}' >> '${m.path('a/in')}'`]);
    const got = await Promise.race([out.all, sleep(15_000).then(() => { throw new Error('a/out did not end within 15 s'); })]);
    const want = Buffer.concat([await readFile(first), await readFile(more)]);
    await waitFor(async () => /transport: stopped/.test(await readFile(m.path('status'), 'utf8')), 'the transport stops when the chain has ended');
    assert.deepEqual({ length: got.length, same: got.equals(want) }, { length: want.length, same: true });
  } finally {
    assert.equal(await m.close(), 0);
  }
});
