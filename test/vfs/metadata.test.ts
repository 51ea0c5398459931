// What the kernel may cache of the tree and what it may not: audiofs changes the tree itself on ctl lines, and
// /log, /status and /ctl change size by themselves; every call below must see the change at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mountAudiofs, run, sleep, waitFor } from '../helpers/mount.js';
import { withTempDir } from '../helpers/temp-dir.js';

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
      // A transport line and a name outside ASCII: the size is counted in bytes, the transport's lines included.
      await m.ctl('loop 1 3');
      for (const name of ['xa', 'xé♪', 'xc']) {
        const before = (await log.stat()).size;
        await m.ctl(`${name} cat`);
        // Asked before any read makes the text: the size is summed from the lines, not measured from the text.
        const size = (await stat(m.path('ctl'))).size;
        const ctl = await readFile(m.path('ctl'), 'utf8');
        assert.ok(ctl.startsWith('loop 1 3\n') && ctl.endsWith(`${name} cat\n`), `/ctl holds the loop and ends with the new chain: ${ctl}`);
        assert.equal(size, Buffer.byteLength(ctl));
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

/** What `find` reports of the mount (names, types, sizes and modes, as the kernel may have kept them). */
async function findAll(dir: string): Promise<Map<string, { type: string; size: number; mode: number }>> {
  const { stdout } = await run('find', [dir, '-mindepth', '1', '-printf', '%P\\t%y\\t%s\\t%m\\n'], { timeout: 10_000 });
  const found = new Map<string, { type: string; size: number; mode: number }>();
  for (const line of stdout.split('\n').filter((l) => l !== '')) {
    const [path, type, size, mode] = line.split('\t');
    found.set(path, { type, size: Number(size), mode: parseInt(mode, 8) });
  }
  return found;
}

/** The paths a project of these chains (name -> stage names) has, as audiofs defines its tree. */
function expectedPaths(chains: Record<string, string[]>): string[] {
  const paths = ['ctl', 'mixer', 'status', 'log', 'comments', 'out', 'stream.mp3', 'channels'];
  for (const [name, stages] of Object.entries(chains)) {
    paths.push(name, ...['in', 'out', 'ctl', 'mixer'].map((f) => `${name}/${f}`));
    for (const s of stages) paths.push(`${name}/${s}`, ...['cmd', 'sched', 'in', 'out', 'err'].map((f) => `${name}/${s}/${f}`));
  }
  return paths.sort();
}

/** Files whose size a read can check (streams would wait; live files change between the two). */
const SIZE_UNCHECKED = new Set(['out', 'err', 'status', 'log', 'channels', 'stream.mp3']);

/** Every path of the mount as `find` sees it against the project, and every size against a read of the file. */
async function checkTree(m: Awaited<ReturnType<typeof mountAudiofs>>, chains: Record<string, string[]>, when: string): Promise<Map<string, { type: string; size: number; mode: number }>> {
  const found = await findAll(m.dir);
  assert.deepEqual([...found.keys()].sort(), expectedPaths(chains), `${when}: the paths find lists`);
  for (const [path, f] of found) {
    if (f.type !== 'f' || SIZE_UNCHECKED.has(path.split('/').pop()!)) continue;
    assert.equal(f.size, (await readFile(m.path(path))).length, `${when}: the size of ${path} is what a read gives`);
  }
  return found;
}

test('after the kernel kept the whole tree, what ctl lines, rm -r, mkdir and chmod change is seen at once by find, stat and ls', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('a cat | tee');
    await m.ctl('b cat');
    // The kernel keeps every name, attribute and listing it is given (twice: the second from its cache).
    await checkTree(m, { a: ['cat', 'tee'], b: ['cat'] }, 'at first');
    await checkTree(m, { a: ['cat', 'tee'], b: ['cat'] }, 'again');
    // A chain made by a ctl line: in the root's listing, with all its entries.
    await m.ctl('c tee');
    await checkTree(m, { a: ['cat', 'tee'], b: ['cat'], c: ['tee'] }, 'after the line making c');
    // /ctl written anew: a's tee dropped, dd made, cat's command changed (the same stage: its cmd grows).
    // (written anew as tar x does it: unlinked, created again)
    await unlink(m.path('ctl'));
    await writeFile(m.path('ctl'), 'a cat -u | dd\nb cat\nc tee\n');
    assert.equal(await gone(m.path('a', 'tee')), 'ENOENT');
    assert.equal(await gone(m.path('a', 'tee', 'cmd')), 'ENOENT');
    assert.equal((await stat(m.path('a', 'cat', 'cmd'))).size, Buffer.byteLength('cat -u\n'));
    const found = await checkTree(m, { a: ['cat', 'dd'], b: ['cat'], c: ['tee'] }, 'after /ctl was written anew');
    // chmod of a stage (bypass): its mode at once, to stat and find.
    const before = found.get('a/cat')!.mode;
    await run('chmod', ['u-rw', m.path('a', 'cat')], { timeout: 10_000 });
    assert.equal((await stat(m.path('a', 'cat'))).mode & 0o7777, before & ~0o600);
    assert.equal((await checkTree(m, { a: ['cat', 'dd'], b: ['cat'], c: ['tee'] }, 'after chmod u-rw a/cat')).get('a/cat')!.mode, before & ~0o600);
    await run('chmod', ['u+rw', m.path('a', 'cat')], { timeout: 10_000 });
    // rm -r of a chain, mkdir of one: the listings follow.
    await run('rm', ['-r', m.path('c')], { timeout: 10_000 });
    await run('mkdir', [m.path('d')], { timeout: 10_000 });
    await checkTree(m, { a: ['cat', 'dd'], b: ['cat'], d: [] }, 'after rm -r c and mkdir d');
    // A chain removed and made again by a line under the same name: its new stages, not the old ones.
    await run('rm', ['-r', m.path('b')], { timeout: 10_000 });
    await m.ctl('b tee | dd');
    await checkTree(m, { a: ['cat', 'dd'], d: [], b: ['tee', 'dd'] }, 'after b was made again');
    assert.equal(await gone(m.path('b', 'cat')), 'ENOENT');
    const { stdout } = await run('ls', [m.path('b')], { timeout: 10_000 });
    assert.deepEqual(stdout.split('\n').filter((n) => n !== ''), ['ctl', 'dd', 'in', 'mixer', 'out', 'tee']);
  } finally {
    await m.close();
  }
});

test('a file that grows by itself (a stage\'s err, /log) shows its size at once to stat, even after the kernel kept the tree', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl(`g sh -c 'echo one >&2; sleep 0.5; echo two >&2; exec cat'`);
    await checkTree(m, { g: ['sh'] }, 'at first');
    const err = m.path('g', 'sh', 'err');
    assert.equal((await stat(err)).size, 0);
    await m.ctl('play');
    // Seen in /log, not in err: a read of err would make the kernel ask for its attributes again anyway (atime).
    await waitFor(async () => (await readFile(m.path('log'), 'utf8')).includes('g/sh: two'), 'both lines in /log');
    const size = (await stat(err)).size;
    assert.equal(size, Buffer.byteLength('one\ntwo\n'));
    assert.equal(size, (await readFile(err)).length);
    assert.equal((await readFile(err, 'utf8')).match(/one\n|two\n/g)?.length, 2);
    const log = (await readFile(m.path('log'))).length;
    assert.equal((await stat(m.path('log'))).size, log);
    // A line logged: stat gives the new size at once.
    await m.ctl('x cat');
    const grown = (await readFile(m.path('log'))).length;
    assert.ok(grown > log, '/log grew');
    assert.equal((await stat(m.path('log'))).size, grown);
  } finally {
    await m.close();
  }
});

/** Polls stat of `path` every 2 ms until its size is `size`; the ms it took (throws after `ms`). */
async function sizeWithin(path: string, size: number, ms: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    const seen = (await stat(path)).size;
    const took = performance.now() - start;
    if (seen === size) return took;
    if (took > ms) throw new Error(`${path}: size ${seen} after ${Math.round(took)} ms (expected ${size})`);
    await sleep(2);
  }
}

test('a stage\'s err, kept by the kernel, shows its new size to stat within 100 ms of each stderr write, and cat reads exactly that size once quiet', async () => {
  await withTempDir('audiofs-err-size', async (tmp) => {
    // The stage echoes to stderr each line the test writes to a FIFO: the test knows when and what it writes.
    const fifo = join(tmp, 'lines');
    await run('mkfifo', [fifo], { timeout: 10_000 });
    const m = await mountAudiofs();
    // Read-write: the open does not wait for the stage to open its end.
    const writer = await open(fifo, 'r+');
    try {
      await m.ctl(`e sh -c 'while read l; do echo "$l" >&2; done < ${fifo}; exec cat'`);
      const err = m.path('e', 'sh', 'err');
      // Looked up and kept by the kernel before the stage writes anything.
      assert.equal((await stat(err)).size, 0);
      assert.equal((await stat(err)).size, 0);
      await m.ctl('play');
      let sent = '';
      const lags: number[] = [];
      // One line at a time, some further apart than the throttle's period, some closer.
      for (let i = 0; i < 12; i++) {
        const line = `line ${i} ${'x'.repeat(i * 7 + 1)}\n`;
        await writer.write(line);
        sent += line;
        lags.push(await sizeWithin(err, Buffer.byteLength(sent), 5000));
        if (i % 3 === 0) await sleep(80);
      }
      assert.ok(lags.every((ms) => ms <= 100), `stat showed each new size within 100 ms (took ${lags.map((ms) => ms.toFixed(1)).join(', ')} ms)`);
      // A burst of lines the stage writes in many pieces: the last size is there once the stage is quiet,
      // without an open (which waits for the kernel to be told) in between.
      for (let round = 0; round < 3; round++) {
        const burst = Array.from({ length: 150 }, (_, i) => `burst ${round} ${i} ${'y'.repeat((i * 13) % 50 + 1)}\n`).join('');
        await writer.write(burst);
        sent += burst;
        await sizeWithin(err, Buffer.byteLength(sent), 5000);
        // Quiet: stat stays there, and cat reads exactly those bytes.
        await sleep(120);
        assert.equal((await stat(err)).size, Buffer.byteLength(sent), `round ${round}: the size once quiet`);
        const { stdout } = await run('cat', [err], { timeout: 10_000, maxBuffer: 1 << 20 });
        assert.equal(stdout, sent, `round ${round}: cat err gives every line written`);
        assert.equal((await stat(err)).size, Buffer.byteLength(stdout), `round ${round}: stat's size is what cat read`);
      }
    } finally {
      await writer.close();
      await m.close();
    }
  });
});

test('/ctl, kept by the kernel, shows its new size to stat after each change, by a line or elsewhere, before any read', async () => {
  const m = await mountAudiofs();
  try {
    const ctl = m.path('ctl');
    let expected = '';
    assert.equal((await stat(ctl)).size, 0);
    // Chains, and the transport's lines at the head of the text; each stat comes before any read of /ctl (a read
    // would make the kernel ask again anyway).
    for (const [line, text] of [
      ['a cat', 'a cat\n'],
      ['steps 4', 'steps 4\na cat\n'],
      ['b tee | cat', 'steps 4\na cat\nb tee | cat\n'],
      ['loop 1 2', 'loop 1 2\nsteps 4\na cat\nb tee | cat\n'],
      ['loop off', 'steps 4\na cat\nb tee | cat\n'],
    ]) {
      await m.ctl(line);
      expected = text;
      assert.equal((await stat(ctl)).size, Buffer.byteLength(expected), `the size of /ctl after '${line}'`);
      assert.equal((await stat(ctl)).size, Buffer.byteLength(expected), `the size of /ctl after '${line}', from the kernel`);
    }
    assert.equal(await readFile(ctl, 'utf8'), expected);
    // Changes made elsewhere than in /ctl (the kernel sees no write to it): a stage's command, rm -r of a chain.
    const changes: [string, () => Promise<unknown>, string][] = [
      ['a/cat/cmd written', () => writeFile(m.path('a', 'cat', 'cmd'), 'cat -u\n'), 'steps 4\na cat -u\nb tee | cat\n'],
      ['rm -r b', () => run('rm', ['-r', m.path('b')], { timeout: 10_000 }), 'steps 4\na cat -u\n'],
    ];
    for (const [what, change, text] of changes) {
      // Kept by the kernel again (the read above made it ask once).
      assert.equal((await stat(ctl)).size, Buffer.byteLength(expected));
      await change();
      expected = text;
      assert.equal((await stat(ctl)).size, Buffer.byteLength(expected), `the size of /ctl after ${what}`);
      assert.equal(await readFile(ctl, 'utf8'), expected);
    }
  } finally {
    await m.close();
  }
});

test('a read of /status larger than 128 KiB is one request where the kernel takes 1 MiB requests (FUSE_MAX_PAGES), and gives the whole text; st_blksize says 1 MiB', async () => {
  const m = await mountAudiofs({ args: ['--debug'] });
  try {
    await writeFile(m.path('ctl'), Array.from({ length: 300 }, (_, i) => `k${i} cat | cat | cat\n`).join(''));
    const fh = await open(m.path('status'), 'r');
    try {
      const { size, blksize } = await fh.stat();
      assert.ok(size > 128 * 1024 && size < 1024 * 1024, `/status of 300 chains is ${size} bytes`);
      assert.equal(blksize, 1024 * 1024, 'st_blksize: what cat and cp size their reads by');
      const traced = () => m.output().split('\n').filter((l) => l.includes('fuse: read /status from')).length;
      const before = traced();
      const { bytesRead, buffer } = await fh.read(Buffer.alloc(1024 * 1024), 0, 1024 * 1024, 0);
      assert.equal(bytesRead, size, 'one read(2) gives the whole text');
      assert.match(buffer.subarray(0, bytesRead).toString(), /^transport: /);
      // The mount's trace comes through a pipe: wait for the first line, then for any late one.
      await waitFor(() => traced() > before, 'the trace of the read');
      await sleep(300);
      const requests = traced() - before;
      assert.equal(requests, 1, `${requests} FUSE read requests for ${size} bytes (the kernel's default is 128 KiB a request)`);
    } finally {
      await fh.close();
    }
  } finally {
    assert.equal(await m.close(), 0);
  }
});
