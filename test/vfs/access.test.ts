// Who may do what on an allow_other mount: the owner everything; a member of the configured group the
// transport and the mixers; anyone else reading what the mode bits allow. Two local users are made for the
// test and removed after it. The Icecast password never leaves through the mount, and an archive never
// applies a config.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exists, mountAudiofs, run, waitFor, type TestMount } from '../helpers/mount.js';

const tag = `${process.pid % 100000}`;
const OTHER = `afs-other-${tag}`;
const MEMBER = `afs-member-${tag}`;
const GROUP = `afs-steer-${tag}`;
const PASSWORD = `s3cret-${tag}`;

let m: TestMount;
let icecast: Server;
let auths: string[] = [];
let outside: string;

/** Runs a shell command as a local user with a time limit; resolves with the exit code and stderr. */
async function as(user: string, command: string): Promise<{ code: number | null; err: string; out: string }> {
  return await new Promise((resolve, reject) => {
    const p = spawn('runuser', ['-u', user, '--', 'bash', '-c', command], { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`as ${user}: '${command}' did not end within 10 s`));
    }, 10_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, err, out });
    });
  });
}

async function refusedAs(user: string, command: string, reason: RegExp): Promise<void> {
  const r = await as(user, command);
  assert.notEqual(r.code, 0, `${user}: '${command}' should have been refused`);
  assert.match(r.err, reason, `${user}: '${command}'`);
}

async function allowedAs(user: string, command: string): Promise<string> {
  const r = await as(user, command);
  assert.equal(r.code, 0, `${user}: '${command}' failed: ${r.err}`);
  return r.out;
}

before(async () => {
  await run('groupadd', [GROUP]);
  await run('useradd', ['-M', '-N', '-s', '/bin/bash', OTHER]);
  await run('useradd', ['-M', '-N', '-s', '/bin/bash', '-G', GROUP, MEMBER]);
  outside = await mkdtemp(join(tmpdir(), 'audiofs-access-'));
  await chmod(outside, 0o777);
  // A stand-in for Icecast on loopback that records each source's credentials.
  icecast = createServer((socket: Socket) => {
    let head = '';
    socket.on('data', (b: Buffer) => {
      head += b.toString('latin1');
      const auth = /Authorization: Basic (\S+)/i.exec(head);
      if (auth && head.includes('\r\n\r\n') && !socket.destroyed) {
        auths.push(Buffer.from(auth[1], 'base64').toString());
        head = '';
        socket.write('HTTP/1.1 200 OK\r\n\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => icecast.listen(0, '127.0.0.1', r));
  const port = (icecast.address() as { port: number }).port;
  m = await mountAudiofs({
    config: `http: 127.0.0.1:0\ndevice: off\nallow_other: true\ngroup: ${GROUP}\nicecast: {url: http://127.0.0.1:${port}/live, user: source, password: ${PASSWORD}}\n`,
  });
  // Other users must reach the mount point.
  await chmod(m.tmp, 0o755);
  await m.ctl('keys passthrough');
  await writeFile(m.path('keys/in'), Buffer.alloc(4096, 7));
  // A generator that plays until it is stopped.
  await m.ctl('drone sine 600');
});

after(async () => {
  try {
    assert.equal(await m.close(), 0);
  } finally {
    await new Promise<void>((r) => icecast.close(() => r()));
    await rm(outside, { recursive: true, force: true });
    await run('userdel', [OTHER]).catch(() => undefined);
    await run('userdel', [MEMBER]).catch(() => undefined);
    await run('groupdel', [GROUP]).catch(() => undefined);
  }
});

test('another user can never make a program run, change a command, write /config, export or change modes', async () => {
  const marker = join(outside, 'ran');
  const ctlBefore = await readFile(m.path('ctl'), 'utf8');
  await refusedAs(OTHER, `echo "x sh -c 'id > ${marker}'" >> ${m.path('ctl')}`, /Permission denied/);
  await refusedAs(OTHER, `echo play >> ${m.path('ctl')}`, /Permission denied/);
  await refusedAs(OTHER, `echo 'passthrough -x' > ${m.path('keys/passthrough/cmd')}`, /Permission denied/);
  await refusedAs(OTHER, `echo 'nice 5' >> ${m.path('keys/passthrough/sched')}`, /Permission denied/);
  await refusedAs(OTHER, `echo 'log: {level: debug}' > ${m.path('config')}`, /Permission denied/);
  await refusedAs(OTHER, `echo 'export ${join(outside, 'y.wav')}' >> ${m.path('ctl')}`, /Permission denied/);
  await refusedAs(OTHER, `chmod 666 ${m.path('config')}`, /Operation not permitted/);
  await refusedAs(OTHER, `chmod u-rw ${m.path('keys/passthrough')}`, /Operation not permitted/);
  await refusedAs(OTHER, `mkdir ${m.path('evil')}`, /Permission denied/);
  await refusedAs(OTHER, `rm -r ${m.path('keys')}`, /Permission denied/);
  await refusedAs(OTHER, `echo note > ${m.path('mine.txt')}`, /Permission denied/);
  await refusedAs(OTHER, `echo 'volume 0' >> ${m.path('mixer')}`, /Permission denied/);
  await refusedAs(OTHER, `cat ${m.path('config')}`, /Permission denied/);
  await refusedAs(OTHER, `cat ${m.path('keys/in')}`, /Permission denied/);
  await refusedAs(OTHER, `cat ${m.path('log')}`, /Permission denied/);
  assert.equal(await exists(marker), false, 'nothing ran');
  assert.equal(await exists(join(outside, 'y.wav')), false, 'nothing was exported');
  assert.equal(await readFile(m.path('ctl'), 'utf8'), ctlBefore);
  assert.deepEqual((await readdir(m.dir)).filter((n) => n === 'evil' || n === 'x' || n === 'mine.txt'), []);
  assert.equal((await stat(m.path('keys/passthrough'))).mode & 0o777, 0o755);
  assert.match(await readFile(m.path('mixer'), 'utf8'), /^volume 1\n/);
});

test('another user can listen and read status, ctl and the mixers', async () => {
  assert.match(await allowedAs(OTHER, `cat ${m.path('status')}`), /keys[\s\S]*drone/);
  assert.equal(await allowedAs(OTHER, `cat ${m.path('ctl')}`), await readFile(m.path('ctl'), 'utf8'));
  assert.match(await allowedAs(OTHER, `cat ${m.path('mixer')} ${m.path('keys/mixer')}`), /volume 1\n/);
  // A copier's open (O_NOFOLLOW) of a live stream returns what is there now: the open itself is allowed.
  for (const stream of ['out', 'stream.mp3', 'keys/out']) {
    await allowedAs(OTHER, `/usr/bin/python3 -c "import os; os.close(os.open('${m.path(stream)}', os.O_RDONLY | os.O_NOFOLLOW))"`);
  }
});

test('a member of the configured group may steer the transport and the mixers, and nothing else', async () => {
  await allowedAs(MEMBER, `echo 'volume 0.5' >> ${m.path('keys/mixer')}`);
  assert.match(await readFile(m.path('keys/mixer'), 'utf8'), /^volume 0\.5\n/);
  await allowedAs(MEMBER, `echo 'mute on' >> ${m.path('mixer')}`);
  await allowedAs(MEMBER, `echo 'mute off' >> ${m.path('mixer')}`);
  await allowedAs(MEMBER, `echo 'loop 1 2' >> ${m.path('ctl')}`);
  assert.match(await readFile(m.path('ctl'), 'utf8'), /^loop 1 2\n/m);
  await allowedAs(MEMBER, `echo 'loop off' >> ${m.path('ctl')}`);
  await allowedAs(MEMBER, `echo play >> ${m.path('ctl')}`);
  await waitFor(async () => /transport: playing/.test(await readFile(m.path('status'), 'utf8')), 'the transport playing');
  await allowedAs(MEMBER, `echo stop >> ${m.path('ctl')}`);
  await waitFor(async () => /transport: stopped/.test(await readFile(m.path('status'), 'utf8')), 'the transport stopped');
  await refusedAs(MEMBER, `echo "x sh -c 'id'" >> ${m.path('ctl')}`, /Permission denied/);
  await refusedAs(MEMBER, `echo 'export ${join(outside, 'z.wav')}' >> ${m.path('ctl')}`, /Permission denied/);
  await refusedAs(MEMBER, `echo 'realtime off' >> ${m.path('ctl')}`, /Permission denied/);
  await refusedAs(MEMBER, `echo 'type pcm' >> ${m.path('keys/ctl')}`, /Permission denied/);
  await refusedAs(MEMBER, `echo 'passthrough -x' > ${m.path('keys/passthrough/cmd')}`, /Permission denied/);
  await refusedAs(MEMBER, `echo 'log: {level: debug}' > ${m.path('config')}`, /Permission denied/);
  assert.match(await readFile(m.path('log'), 'utf8'), /making a chain is the owner's/);
  assert.equal(await exists(join(outside, 'z.wav')), false);
  const ctl = await stat(m.path('ctl'));
  assert.equal(ctl.mode & 0o777, 0o664, 'ctl shows the group may write it');
});

test('the Icecast password is never readable through the mount; written back masked, it stays in force', async () => {
  await waitFor(() => auths.length > 0, 'the source connecting to the Icecast stand-in');
  assert.equal(auths[0], `source:${PASSWORD}`);
  const shown = await readFile(m.path('config'), 'utf8');
  assert.ok(!shown.includes(PASSWORD), 'the password is masked');
  assert.match(shown, /password: '?\*{8}'?/);
  // Written back as shown, with the mount moved: the source reconnects with the same password.
  auths = [];
  await writeFile(m.path('config'), shown.replace('/live', '/moved'));
  await waitFor(() => auths.length > 0, 'the source reconnecting');
  assert.equal(auths[0], `source:${PASSWORD}`);
  for (const file of ['status', 'log', 'ctl']) assert.ok(!(await readFile(m.path(file), 'utf8')).includes(PASSWORD), `${file} never carries it`);
  const { stdout } = await run('grep', ['-rl', PASSWORD, join(m.tmp, 'state')]).catch((e: { stdout: string }) => e);
  assert.equal(stdout, '', 'no file of the state directory carries it');
  const { stdout: ps } = await run('ps', ['-eo', 'args']);
  assert.ok(!ps.includes(PASSWORD), 'no command line carries it');
});

test('an archive that holds a hostile config changes no setting', async () => {
  const src = join(outside, 'hostile');
  await run('mkdir', ['-p', src]);
  await writeFile(join(src, 'config'), 'http: 0.0.0.0:9\nicecast: {url: http://127.0.0.1:9/evil, user: source, password: x}\n');
  await run('tar', ['cf', join(outside, 'hostile.tar'), '-C', src, 'config']);
  const before = await readFile(m.path('config'), 'utf8');
  const r = await run('tar', ['xf', join(outside, 'hostile.tar'), '-C', m.dir]).then(() => 0, (e: { code: number }) => e.code);
  assert.notEqual(r, 0, 'tar says the config was not extracted');
  assert.equal(await readFile(m.path('config'), 'utf8'), before);
  assert.match(await readFile(m.path('log'), 'utf8'), /\/config: unlink refused: \/config is the machine's settings/);
});
