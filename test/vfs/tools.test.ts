// The mount driven by the tools a Unix person reaches for: copies in and out, archivers, editors, appends,
// tail, truncate, xattrs. Every tool runs as a child process with a time limit, so a hang fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mountAudiofs, sleep, waitFor, type TestMount } from '../helpers/mount.js';
import { comparable, treeSnapshot } from '../helpers/tree-snapshot.js';
import { withTempDir } from '../helpers/temp-dir.js';

const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';
const SOX = (effect: string) => `sox -D -q ${RAW} - ${RAW} - ${effect}`;
/** The most any one tool may take here. */
const LIMIT = 20_000;

/** Runs a tool with a time limit; resolves with its exit code, stdout and stderr (never rejects on exit code). */
async function tool(cmd: string, args: string[], options: { cwd?: string; input?: string } = {}): Promise<{ code: number | null; out: string; err: string }> {
  return await new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not end within ${LIMIT} ms (stderr: ${err})`));
    }, LIMIT);
    p.on('error', reject);
    // A tool that does not read its input exits before taking it.
    p.stdin.on('error', () => undefined);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    p.stdin.end(options.input ?? '');
  });
}

async function ok(cmd: string, args: string[], options: { cwd?: string; input?: string } = {}): Promise<string> {
  const r = await tool(cmd, args, options);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} exited ${r.code}: ${r.err}`);
  return r.out;
}

/** Every kind of state a project has, two chains so that their order counts. */
async function makeProject(m: TestMount): Promise<Buffer<ArrayBufferLike>> {
  const input = Buffer.alloc(300_000);
  for (let i = 0; i < input.length; i++) input[i] = (i * 7919) & 0xff;
  await m.ctl('realtime off');
  await m.ctl(`zeta ${SOX('vol 0.5')} | passthrough`);
  await m.ctl(`alpha passthrough | ${SOX('lowpass 2000')}`);
  await writeFile(m.path('zeta/in'), input);
  await chmod(m.path('zeta/passthrough'), 0o155);
  await m.ctl('nice 5', 'zeta/passthrough/sched');
  await m.ctl('volume -6dB', 'alpha/mixer');
  await m.ctl('type pcm', 'alpha/ctl');
  await m.ctl('mute on', 'mixer');
  await writeFile(m.path('comments'), 'keep the echo\n');
  await writeFile(m.path('notes.txt'), 'bar 12: louder\n');
  await writeFile(m.path('zeta/take2.txt'), 'second take\n');
  return input;
}

async function withMount(f: (m: TestMount) => Promise<void>): Promise<void> {
  const m = await mountAudiofs();
  try {
    await f(m);
  } finally {
    assert.equal(await m.close(), 0);
  }
}

function withTemp(body: (dir: string) => Promise<void>): Promise<void> {
  return withTempDir('audiofs-tools', body);
}

/** The project as the tree shows it, without the files that are live or change by themselves. */
async function project(m: TestMount): Promise<Array<[string, unknown]>> {
  return comparable(await treeSnapshot(m.dir));
}

for (const [name, copyOut, copyIn] of [
  ['cp -a', (src: string, dst: string) => ok('cp', ['-a', src, dst]), (src: string, dst: string) => ok('cp', ['-a', `${src}/.`, `${dst}/`])],
  ['rsync -a', (src: string, dst: string) => ok('rsync', ['-a', `${src}/`, `${dst}/`]), (src: string, dst: string) => ok('rsync', ['-a', `${src}/`, `${dst}/`])],
] as const) {
  test(`${name} copies a project out of a mount and into an empty one, which then holds the same project`, async () => {
    await withTemp(async (tmp) => {
      const copy = join(tmp, 'copy');
      let before: Array<[string, unknown]> = [];
      await withMount(async (a) => {
        const input = await makeProject(a);
        before = await project(a);
        await copyOut(a.dir, copy);
        assert.deepEqual(await readFile(join(copy, 'zeta/in')), input);
        assert.equal(await readFile(join(copy, 'notes.txt'), 'utf8'), 'bar 12: louder\n');
        assert.equal((await stat(join(copy, 'zeta/passthrough'))).mode & 0o777, 0o155);
      });
      await withMount(async (b) => {
        await copyIn(copy, b.dir);
        assert.deepEqual(await project(b), before);
        assert.equal(await readFile(b.path('ctl'), 'utf8'), await readFile(join(copy, 'ctl'), 'utf8'));
      });
    });
  });
}

// GNU cp creates every file of a directory it made with O_EXCL; a chain made by mkdir already has its files.
// Before: EEXIST for each, and a project copied in failed whenever cp reached a chain's directory before /ctl.
test('cp -a of chain directories into a mount that lacks them (before /ctl, or alone) makes the chains with their stages, inputs and mixers', async () => {
  await withTemp(async (tmp) => {
    const copy = join(tmp, 'copy');
    let before: Array<[string, unknown]> = [];
    let input: Buffer<ArrayBufferLike> = Buffer.alloc(0);
    await withMount(async (a) => {
      input = await makeProject(a);
      before = await project(a);
      await ok('cp', ['-a', a.dir, copy]);
    });
    await withMount(async (b) => {
      // The chains first, in a fresh mount: mkdir by cp, then each file with O_EXCL.
      await ok('cp', ['-a', join(copy, 'zeta'), join(copy, 'alpha'), `${b.dir}/`]);
      assert.deepEqual(await readFile(b.path('zeta/in')), input);
      assert.equal((await stat(b.path('zeta/passthrough'))).mode & 0o777, 0o155);
      assert.match(await readFile(b.path('alpha/mixer'), 'utf8'), /^volume -6(\.0+)?dB|^volume 0\.5/);
      // Then the rest: the same project as the one copied out.
      await ok('cp', ['-a', `${copy}/.`, `${b.dir}/`]);
      assert.deepEqual(await project(b), before);
    });
  });
});

test('bsdtar archives a mount and extracts it into an empty one; GNU tar extracts over a mount that holds a changed project', async () => {
  await withTemp(async (tmp) => {
    const archive = join(tmp, 'p.tar');
    let before: Array<[string, unknown]> = [];
    await withMount(async (a) => {
      await makeProject(a);
      before = await project(a);
      await ok('bsdtar', ['-cf', archive, '-C', a.dir, '.']);
    });
    const listing = await ok('bsdtar', ['-tf', archive]);
    assert.ok(!listing.split('\n').includes('./config'), `an archive carries no machine settings:\n${listing}`);
    await withMount(async (b) => {
      await ok('bsdtar', ['-xf', archive, '-C', b.dir]);
      assert.deepEqual(await project(b), before);
      // Change what the archive names, add what it does not, then extract over it.
      await rm(b.path('alpha'), { recursive: true });
      await b.ctl('alpha passthrough');
      await b.ctl(`extra ${SOX('vol 0.1')}`);
      await writeFile(b.path('notes.txt'), 'scribbled over\n');
      await ok('tar', ['-xf', archive, '-C', b.dir]);
      const after = new Map(await project(b));
      for (const [path, entry] of before) if (path !== 'ctl') assert.deepEqual(after.get(path), entry, path);
      assert.ok(after.has('extra/'), 'a chain the archive does not name stays, where it was (last)');
      const archived = Buffer.from((before.find(([p]) => p === 'ctl')![1] as { content: string }).content, 'base64').toString();
      assert.equal(await readFile(b.path('ctl'), 'utf8'), `${archived}extra ${SOX('vol 0.1')}\n`);
    });
  });
});

test('sed -i, vim and nano edit state files and the user\'s own files; a renamed file with invalid content is refused and the old content stays', async () => {
  await withMount(async (m) => {
    await m.ctl(`keys ${SOX('vol 0.5')}`);
    await writeFile(m.path('comments'), 'notes\n');
    await ok('sed', ['-i', 's/notes/NOTES/', 'comments'], { cwd: m.dir });
    assert.equal(await readFile(m.path('comments'), 'utf8'), 'NOTES\n');
    await ok('sed', ['-i', 's/vol 0.5/vol 0.25/', 'keys/sox/cmd'], { cwd: m.dir });
    assert.equal(await readFile(m.path('keys/sox/cmd'), 'utf8'), `${SOX('vol 0.25')}\n`);
    assert.equal(await readFile(m.path('ctl'), 'utf8'), `keys ${SOX('vol 0.25')}\n`);
    await ok('sed', ['-i', 's/volume 1/volume 0.5/', 'keys/mixer'], { cwd: m.dir });
    assert.match(await readFile(m.path('keys/mixer'), 'utf8'), /^volume 0\.5\n/);
    // Invalid content renamed onto a state file: the rename fails with EINVAL, nothing changes, /log says why.
    const mixer = await readFile(m.path('keys/mixer'), 'utf8');
    const bad = await tool('sed', ['-i', 's/volume 0.5/volume loud/', 'keys/mixer'], { cwd: m.dir });
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /Invalid argument/);
    assert.equal(await readFile(m.path('keys/mixer'), 'utf8'), mixer);
    assert.match(await readFile(m.path('log'), 'utf8'), /\/keys\/mixer: 'volume loud\\npan 0\\nmute off\\nsolo off' refused: line 1: expected a linear gain/);
    assert.deepEqual((await ok('ls', ['-a', m.path('keys')])).split('\n').filter((n) => n.startsWith('sed')), [], 'no temporary file is left');

    await ok('vim.tiny', ['-es', '-u', 'NONE', '-c', '%s/NOTES/vimmed/', '-c', 'wq', 'comments'], { cwd: m.dir });
    assert.equal(await readFile(m.path('comments'), 'utf8'), 'vimmed\n');
    await ok('vim.tiny', ['-es', '-u', 'NONE', '-c', 'normal Gomute on', '-c', 'wq', 'mixer'], { cwd: m.dir });
    assert.equal(await readFile(m.path('mixer'), 'utf8'), 'volume 1\nmute on\n');
    // vim writes in place: open, ftruncate to 0, write. A sched file then holds the lines vim wrote, once each.
    await writeFile(m.path('keys/sox/sched'), 'nice 3\n');
    await ok('vim.tiny', ['-es', '-u', 'NONE', '-c', 'normal Gonice 4', '-c', 'wq', 'keys/sox/sched'], { cwd: m.dir });
    assert.equal(await readFile(m.path('keys/sox/sched'), 'utf8'), 'nice 3\nnice 4\n');
    await ok('vim.tiny', ['-es', '-u', 'NONE', '-c', 'normal ihello from vim', '-c', 'wq', 'draft.txt'], { cwd: m.dir });
    assert.equal(await readFile(m.path('draft.txt'), 'utf8'), 'hello from vim\n');

    // nano in a terminal, as a person types: Ctrl-O, Enter, Ctrl-X.
    const session = `audiofs-nano-${process.pid}`;
    await ok('tmux', ['new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-c', m.dir, 'nano', 'comments']);
    try {
      await waitFor(async () => (await ok('tmux', ['capture-pane', '-p', '-t', session])).includes('vimmed'), 'nano showing the file');
      await ok('tmux', ['send-keys', '-t', session, 'End', ' and nano', 'C-o']);
      await waitFor(async () => /File Name to Write/.test(await ok('tmux', ['capture-pane', '-p', '-t', session])), 'nano asking for the name');
      await ok('tmux', ['send-keys', '-t', session, 'Enter']);
      await waitFor(async () => /Wrote \d+ line/.test(await ok('tmux', ['capture-pane', '-p', '-t', session])), 'nano saying it wrote');
      await ok('tmux', ['send-keys', '-t', session, 'C-x']);
    } finally {
      await tool('tmux', ['kill-session', '-t', session]);
    }
    assert.equal(await readFile(m.path('comments'), 'utf8'), 'vimmed and nano\n');
  });
});

test('sed -i deleting a chain\'s line from /ctl leaves the chains, their order and their channels as they were', async () => {
  await withMount(async (m) => {
    for (const n of ['a', 'b', 'c']) await m.ctl(`${n} cat`);
    const ctl = await readFile(m.path('ctl'), 'utf8');
    const channels = await readFile(m.path('channels'), 'utf8');
    await ok('sed', ['-i', '/^c /d', 'ctl'], { cwd: m.dir });
    assert.equal(await readFile(m.path('ctl'), 'utf8'), ctl, 'c stays last: no chain moved');
    assert.equal(await readFile(m.path('channels'), 'utf8'), channels);
    // Two lines swapped and the third deleted by an editor: those two change places, the third keeps its own.
    await ok('sed', ['-i', '-e', '/^b /d', '-e', 's/^a cat$/X/', '-e', 's/^c cat$/a cat/', '-e', 's/^X$/c cat/', 'ctl'], { cwd: m.dir });
    assert.equal(await readFile(m.path('ctl'), 'utf8'), 'c cat\nb cat\na cat\n');
  });
});

test('appends, tail -n, truncate, du, ls -a and xattrs behave as on a regular file system', async () => {
  await withMount(async (m) => {
    await writeFile(m.path('comments'), 'one\n');
    await ok('tee', ['-a', m.path('comments')], { input: 'two\n' });
    await ok('/usr/bin/python3', ['-c', `open(${JSON.stringify(m.path('comments'))}, 'a').write('three\\n')`]);
    await ok('perl', ['-e', `open(F, '>>', '${m.path('comments')}') or die; print F "four\\n"; close(F) or die`]);
    assert.equal(await readFile(m.path('comments'), 'utf8'), 'one\ntwo\nthree\nfour\n');
    assert.equal(await ok('tail', ['-n', '2', m.path('comments')]), 'three\nfour\n');
    assert.equal(await ok('tail', ['-n', '1', m.path('mixer')]), 'mute off\n');
    await ok('truncate', ['-s', '7', m.path('comments')]);
    assert.equal(await readFile(m.path('comments'), 'utf8'), 'one\ntwo');
    const big = await tool('truncate', ['-s', '2000', m.path('comments')]);
    assert.notEqual(big.code, 0);
    assert.match(big.err, /File too large/);
    assert.equal(await readFile(m.path('comments'), 'utf8'), 'one\ntwo');

    await m.ctl('keys passthrough');
    await writeFile(m.path('keys/in'), Buffer.alloc(1 << 20, 1));
    const du = Number((await ok('du', ['-k', m.path('keys/in')])).split('\t')[0]);
    assert.equal(du, 1024, 'du counts what is stored');
    const names = (await ok('ls', ['-a', m.dir])).split('\n');
    assert.deepEqual(names.slice(0, 2), ['.', '..']);
    assert.ok(!names.includes('config'), '/config is the machine\'s: not listed');
    assert.match(await readFile(m.path('config'), 'utf8'), /rate: 44100/);

    for (const attr of ['user.note', 'trusted.note']) {
      const r = await tool('/usr/bin/python3', ['-c', `import os\ntry:\n  os.setxattr(${JSON.stringify(m.path('comments'))}, '${attr}', b'x')\nexcept OSError as e:\n  print(e.errno)`]);
      assert.equal(r.out.trim(), '95', `setxattr ${attr} answers EOPNOTSUPP`);
    }
    const get = await tool('/usr/bin/python3', ['-c', `import os\ntry:\n  os.getxattr(${JSON.stringify(m.path('comments'))}, 'user.note')\nexcept OSError as e:\n  print(e.errno)`]);
    assert.equal(get.out.trim(), '95');
  });
});

test('/log and /status are files that end: cat, grep and tail -n exit; tail -f follows /log and ends on SIGINT', async () => {
  await withMount(async (m) => {
    // The mount's own line first (it may come after ctl is there), so the chain's line is the last one.
    await waitFor(async () => /info audiofs mounted at /.test(await readFile(m.path('log'), 'utf8')), "the mount's line in /log");
    await m.ctl('keys passthrough');
    const log = await ok('cat', [m.path('log')]);
    assert.match(log, /chain keys made: passthrough\n$/);
    assert.equal((await stat(m.path('log'))).size, Buffer.byteLength(log));
    assert.match(await ok('grep', ['-c', 'chain keys made', m.path('log')]), /^1\n$/);
    assert.match(await ok('tail', ['-n', '1', m.path('log')]), /chain keys made/);
    const status = await ok('cat', [m.path('status')]);
    assert.match(status, /keys/);
    assert.equal((await stat(m.path('status'))).size, Buffer.byteLength(status));

    const follower = spawn('tail', ['-f', '-s', '0.2', m.path('log')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let followed = '';
    follower.stdout.on('data', (b: Buffer) => (followed += b.toString()));
    const exited = new Promise<number>((resolve) => follower.on('close', () => resolve(Date.now())));
    try {
      await waitFor(() => followed.includes('chain keys made'), 'tail -f printing the log so far');
      await m.ctl('later passthrough');
      await waitFor(() => followed.includes('chain later made'), 'tail -f following a new line');
    } finally {
      const sent = Date.now();
      follower.kill('SIGINT');
      const ended = await Promise.race([exited, sleep(5000).then(() => Infinity)]);
      assert.ok(ended - sent < 1000, `tail -f ended ${ended - sent} ms after SIGINT`);
    }
  });
});

test('names must be valid UTF-8 without control characters; text from users reaches /log escaped', async () => {
  await withMount(async (m) => {
    const py = (code: string) => tool('/usr/bin/python3', ['-c', `import os\nos.chdir(${JSON.stringify(m.dir)})\ntry:\n  ${code}\n  print('ok')\nexcept OSError as e:\n  print(e.errno)`]);
    assert.equal((await py(`os.mkdir(b'\\xfa')`)).out.trim(), '22');
    assert.equal((await py(`open(b'\\xfb', 'w').close()`)).out.trim(), '22');
    assert.equal((await py(`open(b'tab\\tname', 'w').close()`)).out.trim(), '22');
    assert.equal((await py(`os.mkdir('caf\\u00e9')`)).out.trim(), 'ok');
    assert.equal((await py(`open('r\\u00e9sum\\u00e9.txt', 'w').close()`)).out.trim(), 'ok');
    await assert.rejects(m.ctl('evil \x1b[2J\x1b]0;owned\x07 passthrough'));
    const log = await readFile(m.path('log'), 'utf8');
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(log), 'no control character reaches /log');
    assert.match(log, /\\x1b\[2J\\x1b\]0;owned\\x07/);
  });
});

test('the user\'s own files are kept with the project across a remount, bounded in size, and removed with their chain', async () => {
  await withTemp(async (root) => {
    const config = `http: 127.0.0.1:0\ndevice: off\nstate_dir: ${join(root, 'state')}\n`;
    let m = await mountAudiofs({ config });
    try {
      await m.ctl('keys passthrough');
      await writeFile(m.path('notes.txt'), 'root note\n');
      await writeFile(m.path('keys/take.txt'), 'chain note\n');
      await writeFile(m.path('keys/passthrough/why.txt'), 'stage note\n');
      const big = await tool('truncate', ['-s', '2G', m.path('notes.txt')]);
      assert.match(big.err, /File too large/);
      await assert.rejects(m.ctl('notes.txt passthrough'), /EEXIST|exists/);
    } finally {
      assert.equal(await m.close(), 0);
    }
    m = await mountAudiofs({ config });
    try {
      assert.equal(await readFile(m.path('notes.txt'), 'utf8'), 'root note\n');
      assert.equal(await readFile(m.path('keys/take.txt'), 'utf8'), 'chain note\n');
      assert.equal(await readFile(m.path('keys/passthrough/why.txt'), 'utf8'), 'stage note\n');
      await rm(m.path('keys'), { recursive: true });
      await m.ctl('keys passthrough');
      await assert.rejects(readFile(m.path('keys/take.txt')), /ENOENT/);
      await rm(m.path('notes.txt'));
      await assert.rejects(readFile(m.path('notes.txt')), /ENOENT/);
    } finally {
      assert.equal(await m.close(), 0);
    }
  });
});

test('export with a relative path writes where the writer is, as any command it runs would', async () => {
  await withTemp(async (dir) => {
    await withMount(async (m) => {
      await m.ctl('keys passthrough');
      const pcm = Buffer.alloc(44100 * 4 / 10);
      for (let i = 0; i < pcm.length; i += 2) pcm.writeInt16LE(((i * 37) % 2000) - 1000, i);
      await writeFile(m.path('keys/in'), pcm);
      await ok('bash', ['-c', `echo 'export take.raw' >> '${m.path('ctl')}'`], { cwd: dir });
      await waitFor(async () => /export \S*take\.raw: done/.test(await readFile(m.path('log'), 'utf8')), 'the export done');
      assert.deepEqual(await readFile(join(dir, 'take.raw')), pcm);
    });
  });
});

test('while the song plays, a stat of /status, the open after it, its reads and fstat agree (tar compares them)', async () => {
  await withMount(async (m) => {
    await m.ctl('tone audiofs-tone 440');
    await m.ctl('play');
    try {
      const check = await ok('/usr/bin/python3', ['-c', `
import os
os.chdir(${JSON.stringify(m.dir)})
bad = []
texts = set()
for i in range(300):
    st = os.stat('status').st_size
    fd = os.open('status', os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    data = b''
    while True:
        b = os.read(fd, 65536)
        if not b:
            break
        data += b
    fs = os.fstat(fd).st_size
    os.close(fd)
    texts.add(data)
    if st != len(data) or fs != st:
        bad.append((st, len(data), fs))
print(len(bad), len(texts), bad[:3])
`]);
      const [bad, texts] = check.trim().split(' ').map(Number);
      assert.equal(bad, 0, `stat, read and fstat disagreed: ${check}`);
      assert.ok(texts > 1, `the reader saw the position move (${texts} texts)`);
      // The log and status of a playing mount archive as they were when opened.
      await ok('tar', ['cf', join(m.tmp, 'all.tar'), '-C', m.dir, './log', './status']);
    } finally {
      await m.ctl('stop');
    }
  });
});

test('the threads of one reader (Node\'s readFile: open, fstat and read on pool threads) see one /status text', async () => {
  await withMount(async (m) => {
    const adding = (async () => {
      for (let i = 0; i < 40; i++) await m.ctl(`c${i} passthrough`);
    })();
    const seen: string[] = [];
    // Four at a time, so that opens, fstats and reads land on different pool threads.
    while (seen.length < 400) seen.push(...await Promise.all([1, 2, 3, 4].map(() => readFile(m.path('status'), 'utf8'))));
    await adding;
    for (const text of seen) assert.match(text, /\n$/, 'each read is a whole text (it ends with its last line)');
    assert.ok(new Set(seen).size > 1, 'the status changed while it was read');
  });
});
