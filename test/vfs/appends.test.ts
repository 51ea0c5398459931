// A stored `in` takes appends while its chain plays (realtime): `cat more >> NAME/in` during play reaches the client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mountAudiofs, openBytes, openReader, run, sleep, soxSignal, waitFor } from '../helpers/mount.js';
import { SHARED_MIDI } from '../helpers/shared.js';

test('realtime: bytes appended with >> to a playing chain\'s in come out after what was stored, and the chain then ends by itself', async () => {
  const m = await mountAudiofs();
  try {
    // 4 s stored: the append, 1 s after play plus a shell's start, comes well before the chain would end (with
    // 2 s, a loaded machine once started the append after the end: a full CI run).
    const first = await soxSignal(m.tmp, 'first.raw', ['4', 'sine', '220']);
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

test('realtime: a client that reads its whole input before it plays (audiofs-synth on a stored MIDI file) gets the end of it at once', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('a audiofs-synth | cat');
    await run('sh', ['-c', `cat '${join(SHARED_MIDI, '230_bpm_multitrack.mid')}' > '${m.path('a/in')}'`]);
    const started = Date.now();
    const first = await openBytes(m.path('out'), 4096, 10_000);
    await m.ctl('play');
    await first.data;
    const ms = Date.now() - started;
    // Held open for appends, the synth waited for an end that never came: 3 s of nothing, then a start-gate timeout.
    assert.ok(ms < 2000, `the first 4 KiB of /out came ${ms} ms after play`);
    assert.doesNotMatch(await readFile(m.path('log'), 'utf8'), /start gate timed out/);
    await m.ctl('stop');
  } finally {
    assert.equal(await m.close(), 0);
  }
});
