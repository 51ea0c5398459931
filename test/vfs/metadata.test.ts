// What the kernel may cache of the tree and what it may not: audiofs changes the tree itself on ctl lines, and
// /log, /status and /ctl change size by themselves; every call below must see the change at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { mountAudiofs, run, waitFor } from '../helpers/mount.js';

async function gone(path: string): Promise<string> {
  return stat(path).then(() => 'there', (err: NodeJS.ErrnoException) => err.code ?? 'no code');
}

test('chains and stages made or dropped by ctl lines are seen at once by stat, ls and open', async () => {
  const m = await mountAudiofs();
  try {
    // Looked up before it exists: the kernel must not remember that it was not there.
    assert.equal(await gone(m.path('a')), 'ENOENT');
    assert.equal(await gone(m.path('a', 'cat')), 'ENOENT');
    await m.ctl('a cat | tee');
    assert.ok((await stat(m.path('a'))).isDirectory());
    assert.ok((await stat(m.path('a', 'tee', 'cmd'))).isFile());
    assert.deepEqual((await readdir(m.path('a'))).filter((n) => !['in', 'out', 'ctl', 'mixer'].includes(n)), ['cat', 'tee']);
    // Looked up, cached by the kernel, then dropped by a rewrite of /ctl (as tar x does): gone at once.
    assert.ok((await stat(m.path('a', 'tee'))).isDirectory());
    // tar x unlinks /ctl and creates it again: the line is then taken as a rewrite.
    await unlink(m.path('ctl'));
    await writeFile(m.path('ctl'), 'a cat | dd\n');
    assert.equal(await gone(m.path('a', 'tee')), 'ENOENT');
    assert.equal(await gone(m.path('a', 'tee', 'cmd')), 'ENOENT');
    assert.equal(await readFile(m.path('a', 'dd', 'cmd'), 'utf8'), 'dd\n');
    const { stdout } = await run('ls', [m.path('a')], { timeout: 10_000 });
    assert.deepEqual(stdout.split('\n').filter((n) => n !== ''), ['cat', 'ctl', 'dd', 'in', 'mixer', 'out']);
  } finally {
    await m.close();
  }
});

test('/ctl, /status and /log have the size of what a read gives, right after each change; an open /log grows under fstat', async () => {
  const m = await mountAudiofs();
  try {
    // The mount answers before its start-up line is logged: that line first, so the chains' lines come last.
    await waitFor(async () => (await readFile(m.path('log'), 'utf8')).includes('audiofs mounted at'), 'the start-up line in /log');
    const log = await open(m.path('log'), 'r');
    try {
      for (const name of ['xa', 'xb', 'xc']) {
        const before = (await log.stat()).size;
        await m.ctl(`${name} cat`);
        const ctl = await readFile(m.path('ctl'), 'utf8');
        assert.ok(ctl.endsWith(`${name} cat\n`), `/ctl ends with the new chain: ${ctl}`);
        assert.equal((await stat(m.path('ctl'))).size, Buffer.byteLength(ctl));
        const status = await readFile(m.path('status'), 'utf8');
        assert.match(status, new RegExp(`\\n  ${name}:\\n`));
        assert.equal((await stat(m.path('status'))).size, Buffer.byteLength(status));
        const after = (await log.stat()).size;
        assert.ok(after > before, `fstat of an open /log grew (${before} -> ${after})`);
        const { stdout } = await run('tail', ['-n', '1', m.path('log')], { timeout: 10_000 });
        assert.match(stdout, new RegExp(`chain ${name} made: cat\\n$`));
      }
    } finally {
      await log.close();
    }
  } finally {
    await m.close();
  }
});

test('a reader of /status while chains play gets as many bytes as fstat says, before and after its reads', async () => {
  const m = await mountAudiofs();
  const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';
  try {
    for (let i = 0; i < 12; i++) await m.ctl(`g${i} sox -D -q -n ${RAW} - synth 600 sine ${200 + 37 * i}`);
    await m.ctl('play');
    const mismatches: string[] = [];
    let reads = 0;
    const end = Date.now() + 3000;
    while (Date.now() < end) {
      const fh = await open(m.path('status'), 'r');
      try {
        const before = (await fh.stat()).size;
        const buf = Buffer.alloc(1 << 20);
        let total = 0;
        for (let r; (r = (await fh.read(buf, total, buf.length - total, total)).bytesRead) > 0;) total += r;
        const after = (await fh.stat()).size;
        if (before !== total || after !== total) mismatches.push(`fstat ${before}, read ${total}, fstat ${after}`);
      } finally {
        await fh.close();
      }
      reads++;
      await new Promise((r) => setTimeout(r, 3));
    }
    await m.ctl('stop');
    assert.ok(reads > 100, `read /status ${reads} times`);
    assert.deepEqual(mismatches, []);
  } finally {
    await m.close();
  }
});
