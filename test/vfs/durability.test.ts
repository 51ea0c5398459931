// A write is acknowledged only once it is stored: kill -9 of the mount right after a write returns loses
// nothing, and a full state directory is reported to the writer (ENOSPC) while what was acknowledged stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mountAudiofs, run, sleep, waitFor, type TestMount } from '../helpers/mount.js';
import { withTempDir } from '../helpers/temp-dir.js';

function withRoot(body: (dir: string) => Promise<void>): Promise<void> {
  return withTempDir('audiofs-durable', body);
}

/** Kills the mount process with SIGKILL, as a crash would, and clears what it leaves. */
async function crash(m: TestMount): Promise<void> {
  m.proc.kill('SIGKILL');
  await new Promise<void>((r) => (m.proc.exitCode !== null || m.proc.signalCode !== null ? r() : m.proc.once('exit', () => r())));
  await run('fusermount', ['-uz', m.dir]).catch(() => undefined);
  await m.close().catch(() => undefined);
}

/** Runs a shell command with a time limit; resolves with its exit code and stderr. */
async function sh(command: string): Promise<{ code: number | null; err: string }> {
  return await new Promise((resolve, reject) => {
    const p = spawn('bash', ['-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`'${command}' did not end within 30 s`));
    }, 30_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, err });
    });
  });
}

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 131 + seed * 7) & 0xff;
  return b;
}

test('kill -9 at once after acknowledged writes loses none of them (3 rounds, killed 0-40 ms after the last write)', async () => {
  await withRoot(async (root) => {
    const config = `http: 127.0.0.1:0\ndevice: off\nstate_dir: ${join(root, 'state')}\n`;
    const expected: Array<{ chain: string; input: Buffer }> = [];
    for (let round = 0; round < 3; round++) {
      const m = await mountAudiofs({ config });
      const chain = `p${round}`;
      const input = pattern(3_000_000 + round * 1000, round);
      await m.ctl(`${chain} passthrough | passthrough -x`);
      await writeFile(m.path(chain, 'in'), input);
      await m.ctl(`volume ${0.1 * (round + 1)}`, `${chain}/mixer`);
      await m.ctl(`nice ${round + 1}`, `${chain}/passthrough/sched`);
      await chmod(m.path(chain, 'passthrough-x'), 0o155);
      await writeFile(m.path(`note${round}.txt`), `round ${round}\n`);
      await writeFile(m.path('comments'), `after round ${round}\n`);
      expected.push({ chain, input });
      await sleep(round * 20);
      await crash(m);
    }
    const m = await mountAudiofs({ config });
    try {
      for (const [round, { chain, input }] of expected.entries()) {
        assert.deepEqual(await readFile(m.path(chain, 'in')), input, `${chain}/in`);
        assert.match(await readFile(m.path(chain, 'mixer'), 'utf8'), new RegExp(`^volume ${(0.1 * (round + 1)).toFixed(1).replace('.', '\\.')}`));
        assert.equal(await readFile(m.path(chain, 'passthrough/sched'), 'utf8'), `nice ${round + 1}\n`);
        assert.equal((await stat(m.path(chain, 'passthrough-x'))).mode & 0o777, 0o155);
        assert.equal(await readFile(m.path(`note${round}.txt`), 'utf8'), `round ${round}\n`);
      }
      assert.equal(await readFile(m.path('comments'), 'utf8'), 'after round 2\n');
    } finally {
      assert.equal(await m.close(), 0);
    }
  });
});

test('a full state directory: the writer gets ENOSPC, what was acknowledged before stays, and saving resumes once there is room', async (t) => {
  await withRoot(async (root) => {
    const state = join(root, 'state');
    await mkdir(state);
    const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', state]).then(() => true, () => false);
    if (!mounted) {
      t.skip('mounting a tmpfs needs root');
      return;
    }
    try {
      const config = `http: 127.0.0.1:0\ndevice: off\nstate_dir: ${state}\n`;
      let m = await mountAudiofs({ config });
      try {
        await m.ctl('keys passthrough');
        await m.ctl('volume 0.5', 'keys/mixer');
        const big = await sh(`dd if=/dev/urandom of=${m.path('keys/in')} bs=1M count=16 status=none`);
        assert.notEqual(big.code, 0, 'dd must not succeed when the data cannot be stored');
        assert.match(big.err, /No space left on device/);
        assert.match(await readFile(m.path('log'), 'utf8'), /state: saving the project failed, the last saved state stays: .*(ENOSPC|no space)/i);
        // Room again: the input is cleared, and new changes are stored.
        await writeFile(m.path('keys/in'), '');
        await m.ctl('volume 0.25', 'keys/mixer');
        await m.ctl('later passthrough');
      } finally {
        await crash(m);
      }
      m = await mountAudiofs({ config });
      try {
        assert.match(await readFile(m.path('ctl'), 'utf8'), /^keys passthrough\nlater passthrough\n$/m);
        assert.match(await readFile(m.path('keys/mixer'), 'utf8'), /^volume 0\.25\n/);
        assert.equal((await stat(m.path('keys/in'))).size, 0);
      } finally {
        assert.equal(await m.close(), 0);
      }
    } finally {
      await run('umount', ['-l', state]).catch(() => undefined);
    }
  });
});

// The writer records each write on the local disk once it returned (for an `in`: once its close returned). Its
// chains are muted before they get an input, so that an export rendering meanwhile is the song's alone.
const WRITER = `
i=0
while :; do
  i=$((i+1))
  echo "w$i passthrough" >> ctl || exit 0
  echo "ctl $i" >> "$REC"
  printf 'mute on\nvolume 0.%d\n' $((i % 9 + 1)) > "w$i/mixer" || exit 0
  echo "mixer $i" >> "$REC"
  head -c $((50000 + i * 997)) "$PATTERN" > "w$i/in" || exit 0
  echo "in $i" >> "$REC"
done
`;

test('kill -9 at a random point of a stream of ctl lines, in writes and mixer writes, with an export rendering: every write that returned is there after remount, the export is whole or absent', { timeout: 150_000 }, async () => {
  await withRoot(async (root) => {
    const patternFile = join(root, 'pattern');
    const patternBytes = pattern(2_000_000, 3);
    await writeFile(patternFile, patternBytes);
    const seen: string[] = [];
    for (let round = 0; round < 4; round++) {
      const config = `http: 127.0.0.1:0\ndevice: off\nstate_dir: ${join(root, `state${round}`)}\n`;
      const exported = join(root, `song${round}.raw`);
      const rec = join(root, `rec${round}`);
      // The mount point is the round's, so that the mount after the kill is on the same directory.
      const mountpoint = join(root, `mnt${round}`);
      const m = await mountAudiofs({ config, mountpoint });
      // Every other round the export takes far longer than the kill delay (3,000 s of sine: ~530 MB).
      await m.ctl(`song sine ${round % 2 === 0 ? 60 : 3000}`);
      await m.ctl(`export ${exported}`);
      const writer = spawn('bash', ['-c', WRITER], { cwd: m.dir, stdio: 'ignore', env: { ...process.env, REC: rec, PATTERN: patternFile } });
      const delay = 200 + Math.floor(Math.random() * 1300);
      await sleep(delay);
      await crash(m);
      assert.ok(await endsWithin(writer, 5000), 'the writer ended with the mount');
      const records = (await readFile(rec, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
      const again = await mountAudiofs({ config, mountpoint });
      try {
        const ctl = (await readFile(again.path('ctl'), 'utf8')).split('\n');
        for (const r of records) {
          const [what, n] = r.split(' ');
          const i = Number(n);
          if (what === 'ctl') assert.ok(ctl.includes(`w${i} passthrough`), `round ${round} (killed after ${delay} ms): the line making w${i}`);
          if (what === 'in') {
            const got = await readFile(again.path(`w${i}`, 'in'));
            assert.ok(got.equals(patternBytes.subarray(0, 50000 + i * 997)), `round ${round}: w${i}/in (${got.length} bytes)`);
          }
          if (what === 'mixer') assert.match(await readFile(again.path(`w${i}`, 'mixer'), 'utf8'), new RegExp(`^volume 0\\.${(i % 9) + 1}\n(.*\n)*mute on\n`), `round ${round}: w${i}/mixer`);
        }
        // The export was cut (nothing at its name) or had ended: then it is whole, as the same export run again.
        const cut = await stat(exported).then(() => false, () => true);
        if (round % 2 === 1) assert.ok(cut, `round ${round}: nothing at the name of an export cut by the kill`);
        if (!cut) {
          const ref = join(root, `ref${round}.raw`);
          await again.ctl(`export ${ref}`);
          await waitFor(async () => stat(ref).then(() => true, () => false), 'the reference export', 60_000);
          assert.ok((await readFile(exported)).equals(await readFile(ref)), `round ${round}: the export that ended before the kill is whole`);
        }
        seen.push(`${delay} ms: ${records.length} writes returned, export ${cut ? 'cut' : 'ended'}`);
      } finally {
        assert.equal(await again.close(), 0);
      }
    }
    console.log(`# kill -9 during writes: ${seen.join('; ')}`);
  });
});

/** Resolves true when a process has ended, false when it has not within `ms`. */
function endsWithin(proc: ChildProcess, ms: number): Promise<boolean> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(true);
  return Promise.race([new Promise<boolean>((r) => proc.once('exit', () => r(true))), sleep(ms).then(() => false)]);
}

/** Aborts the FUSE connection of the mount at `dir` (fusectl), which ends every request waiting on it. */
async function abortConnection(dir: string): Promise<void> {
  const line = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === dir);
  if (!line) return;
  const minor = line.split(' ')[2].split(':')[1];
  await run('mount', ['-t', 'fusectl', 'none', '/sys/fs/fuse/connections']).catch(() => undefined);
  await writeFile(`/sys/fs/fuse/connections/${minor}/abort`, '1').catch(() => undefined);
}

// Before: 2 of 20 rounds of this hung (the notify thread in fuse_reverse_inval_entry, the mount a zombie); after:
// 0 of 60.
test('kill -9 while tar x and ctl lines change the root (10 rounds): the mount process ends at once, and tar with it', { timeout: 150_000 }, async () => {
  await withRoot(async (root) => {
    const archive = join(root, 'p.tar');
    const a = await mountAudiofs({ config: `http: 127.0.0.1:0\ndevice: off\nstate_dir: ${join(root, 'a-state')}\n` });
    try {
      for (let i = 0; i < 30; i++) {
        await a.ctl(`c${i} passthrough | passthrough -x`);
        await writeFile(a.path(`c${i}`, 'in'), pattern(200_000, i));
      }
      assert.equal((await sh(`tar cf '${archive}' -C '${a.dir}' .`)).code, 0);
    } finally {
      assert.equal(await a.close(), 0);
    }
    const hung: string[] = [];
    for (let round = 0; round < 10; round++) {
      const m = await mountAudiofs({ config: `http: 127.0.0.1:0\ndevice: off\nstate_dir: ${join(root, `s${round}`)}\n` });
      // Chains made (names taken back from the kernel) while tar makes and rewrites names in the same directory.
      const busy = spawn('bash', ['-c', 'for i in $(seq 200); do echo "z$i cat" >> ctl; ls -R . >/dev/null; done'], { cwd: m.dir, stdio: 'ignore' });
      const tar = spawn('tar', ['xf', archive, '-C', m.dir], { stdio: 'ignore' });
      await sleep(100 + ((round * 173) % 800));
      m.proc.kill('SIGKILL');
      const ended = await endsWithin(m.proc, 5000);
      const tarEnded = await endsWithin(tar, 5000);
      if (!ended || !tarEnded) {
        hung.push(`round ${round}: mount ${ended ? 'ended' : 'still there'}, tar ${tarEnded ? 'ended' : 'still there'}`);
        await abortConnection(m.dir);
      }
      busy.kill('SIGKILL');
      tar.kill('SIGKILL');
      await run('fusermount', ['-uz', m.dir]).catch(() => undefined);
      await endsWithin(m.proc, 5000);
      await m.close().catch(() => undefined);
    }
    assert.deepEqual(hung, [], 'every killed mount ended within 5 s, and every tar');
  });
});

// The killed mount must end whatever it was doing: its kernel-notify thread (vendor/fuse-native patch 5) once sent
// inval_entry, which waits for the directory lock tar's pending request holds; killed then, the mount stayed a
// zombie, the connection was never aborted and tar stayed in D state (1 run of 4). Only inval_inode is sent now.
test('kill -9 in the middle of a tar extraction: every member tar had finished is there byte for byte after remount', { timeout: 120_000 }, async () => {
  await withRoot(async (root) => {
    const archive = join(root, 'p.tar');
    const ref = join(root, 'ref');
    const a = await mountAudiofs({ config: `http: 127.0.0.1:0\ndevice: off\nstate_dir: ${join(root, 'a-state')}\n` });
    try {
      for (let i = 0; i < 6; i++) {
        await a.ctl(`c${i} passthrough | passthrough -x`);
        await writeFile(a.path(`c${i}`, 'in'), pattern(1_500_000 + i, i));
        await a.ctl(`volume 0.${i + 1}`, `c${i}/mixer`);
        await a.ctl(`nice ${i + 1}`, `c${i}/passthrough/sched`);
        await writeFile(a.path(`c${i}`, `notes${i}.txt`), `chain ${i}\n`);
      }
      await writeFile(a.path('comments'), 'the archived project\n');
      assert.equal((await sh(`tar cf '${archive}' -C '${a.dir}' .`)).code, 0);
    } finally {
      assert.equal(await a.close(), 0);
    }
    await mkdir(ref);
    assert.equal((await sh(`tar xf '${archive}' -C '${ref}'`)).code, 0);
    // Files whose content is the project's, as tar wrote them (live files and generated texts aside).
    const checked = (name: string) => /(^|\/)(in|mixer|sched|cmd|comments|notes\d\.txt)$/.test(name);
    for (const [round, delay] of [[0, 150], [1, 400], [2, 900]] as const) {
      const config = `http: 127.0.0.1:0\ndevice: off\nstate_dir: ${join(root, `b${round}-state`)}\n`;
      const mountpoint = join(root, `b${round}-mnt`);
      const b = await mountAudiofs({ config, mountpoint });
      // tar -v names each member as it starts it, and goes on past members it could not write (the mount gone):
      // the members named before the first one tar reports an error for were finished (closed).
      const tar = spawn('tar', ['xvf', archive, '-C', b.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let listed = '';
      let errors = '';
      tar.stdout.on('data', (d: Buffer) => (listed += d.toString()));
      tar.stderr.on('data', (d: Buffer) => (errors += d.toString()));
      const tarEnded = new Promise((r) => tar.once('close', r));
      await sleep(delay);
      await crash(b);
      await Promise.race([tarEnded, sleep(10_000)]);
      tar.kill('SIGKILL');
      const names = listed.split('\n').filter((n) => n !== '');
      const failed = names.findIndex((n) => errors.includes(`${n}:`));
      // Without an error reported, the last member named may have been under way when the mount died.
      const finished = names.slice(0, failed >= 0 ? failed : -1).map((n) => n.replace(/^\.\//, '')).filter(checked);
      const again = await mountAudiofs({ config, mountpoint });
      try {
        for (const name of finished) {
          const [got, want] = [await readFile(join(again.dir, name)).catch(() => Buffer.from('(missing)')), await readFile(join(ref, name))];
          assert.ok(got.equals(want), `round ${round} (killed after ${delay} ms): ${name}, finished before the kill, is as archived (${got.length} bytes, expected ${want.length})`);
        }
      } finally {
        assert.equal(await again.close(), 0);
      }
      console.log(`# tar x killed after ${delay} ms: ${names.length} members named, the first failed: ${failed}, ${finished.length} finished content files checked`);
    }
  });
});
