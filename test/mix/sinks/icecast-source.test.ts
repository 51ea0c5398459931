import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { get } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../../lib/mix/engine.js';
import { Mp3Stream } from '../../../lib/mix/sinks/mp3-stream.js';
import { IcecastSource } from '../../../lib/mix/sinks/icecast-source.js';
import { StreamTitle } from '../../../lib/mix/sinks/stream-title.js';
import { DEFAULT_FORMAT } from '../../../lib/base/pcm-format.js';
import { bufferSource, soxSynth, tempDir } from '../helpers.js';
import { IcecastServer, freePort } from './icecast.js';

const tmp = tempDir();
after(tmp.cleanup);

/** Listens to the mount until `bytes` arrived; returns them. */
function listen(port: number, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/live.mp3' }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`listener got HTTP ${res.statusCode}`));
      const parts: Buffer[] = [];
      let n = 0;
      res.on('data', (d: Buffer) => {
        parts.push(d);
        n += d.length;
        if (n >= bytes) { res.destroy(); resolve(Buffer.concat(parts)); }
      });
    }).on('error', reject);
  });
}

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Checks MP3 bytes with mpg123: it decodes, to the duration the byte count gives at 128 kbit/s. */
function assertValidMp3(body: Buffer, name: string): void {
  const file = join(tmp.dir, name);
  writeFileSync(file, body);
  execFileSync('mpg123', ['-t', '-q', file], { stdio: 'ignore' });
  const frames = execFileSync('mpg123', ['-q', '-s', file], { maxBuffer: 1 << 26 }).length / 4;
  const expected = (body.length / 16000) * 44100;
  assert.ok(Math.abs(frames - expected) <= 2 * 1152, `${name}: decoded ${frames} frames, ${body.length} bytes at 128 kbit/s are ${expected}`);
}

test('the engine streams to a real icecast2; after icecast is killed and restarted, the source reconnects', async () => {
  const port = await freePort();
  const ice = new IcecastServer(join(tmp.dir, 'ice'), port, 'pw-' + process.pid);
  await ice.start();
  const engine = new Engine();
  engine.addSource(bufferSource('tone', soxSynth(join(tmp.dir, 't.raw'), ['60', 'sine', '440'], { effects: ['gain', '-6'] })));
  const mp3 = new Mp3Stream({ format: DEFAULT_FORMAT, bitrate: 128 });
  engine.addSink(mp3);
  const source = new IcecastSource({ url: `http://127.0.0.1:${port}/live.mp3`, password: 'pw-' + process.pid, stream: mp3.stream, initialDelayMs: 200 });
  try {
    await engine.start();
    source.start();
    await until('the source to connect', () => source.status().connected, 5000);
    assertValidMp3(await listen(port, 24000), 'first.mp3');

    await ice.kill();
    await until('the source to notice', () => !source.status().connected, 5000);
    assert.notEqual(source.status().lastError, null);
    await new Promise((r) => setTimeout(r, 500));
    await ice.start();
    await until('the source to reconnect', () => source.status().connected, 10000);
    assert.equal(source.status().connections, 2);
    assertValidMp3(await listen(port, 24000), 'second.mp3');
    assert.equal(engine.status().lateSkips, 0, 'the mix never waited for Icecast');
  } finally {
    source.stop();
    await engine.stop();
    await mp3.end();
    await ice.kill();
  }
});

test('a wrong password is refused, with the answer of Icecast as the reason', async () => {
  const port = await freePort();
  const ice = new IcecastServer(join(tmp.dir, 'ice2'), port, 'right');
  await ice.start();
  const mp3 = new Mp3Stream({ format: DEFAULT_FORMAT, bitrate: 128 });
  const source = new IcecastSource({ url: `http://127.0.0.1:${port}/live.mp3`, password: 'wrong', stream: mp3.stream, initialDelayMs: 100 });
  try {
    source.start();
    await until('a refusal', () => source.status().lastError !== null, 5000);
    assert.match(source.status().lastError!, /^Icecast refused the source: HTTP\/1\.[01] 401/);
    assert.equal(source.status().connections, 0);
  } finally {
    source.stop();
    await mp3.end();
    await ice.kill();
  }
});

test('the title goes to Icecast on connection and on each change: its stats and its listeners (mpg123) have it', async () => {
  const port = await freePort();
  const password = 'pw-' + process.pid;
  const ice = new IcecastServer(join(tmp.dir, 'ice-title'), port, password);
  await ice.start();
  const engine = new Engine();
  engine.addSource(bufferSource('tone', soxSynth(join(tmp.dir, 't2.raw'), ['60', 'sine', '440'], { effects: ['gain', '-6'] })));
  const mp3 = new Mp3Stream({ format: DEFAULT_FORMAT, bitrate: 128 });
  engine.addSink(mp3);
  const title = new StreamTitle();
  title.set('First Song');
  const source = new IcecastSource({ url: `http://127.0.0.1:${port}/live.mp3`, password, stream: mp3.stream, initialDelayMs: 200, title });
  const stats = (): Promise<string> => new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/admin/stats', auth: `admin:${password}x` }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  try {
    await engine.start();
    source.start();
    await until('the first title to be accepted', () => source.titlesSent >= 1, 5000);
    // Icecast puts an update into the stream (and its stats) at the next audio it reads.
    const statsShow = async (want: string): Promise<void> => {
      const deadline = Date.now() + 5000;
      let last = '';
      while (Date.now() < deadline && !(last = await stats()).includes(`<title>${want}</title>`)) await new Promise((r) => setTimeout(r, 100));
      assert.ok(last.includes(`<title>${want}</title>`), `expected Icecast's stats to show <title>${want}</title>, got ${last}`);
    };
    await statsShow('First Song');
    const heard = new Promise<string>((resolve, reject) => {
      const c = spawn('mpg123', ['-v', '-w', '/dev/null', `http://127.0.0.1:${port}/live.mp3`], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
      let err = '';
      c.stderr.on('data', (b: Buffer) => (err += b));
      c.on('error', reject);
      setTimeout(() => c.kill('SIGINT'), 5000);
      c.on('close', () => resolve(err));
    });
    await new Promise((r) => setTimeout(r, 1500));
    title.set('Second Song');
    await until('the second title to be accepted', () => source.titlesSent >= 2, 5000);
    await statsShow('Second Song');
    const lines = (await heard).split(/[\r\n]+/).filter((l) => l.includes('StreamTitle'));
    assert.deepEqual(lines, ["ICY-META: StreamTitle='First Song';", "ICY-META: StreamTitle='Second Song';"]);
  } finally {
    source.stop();
    await engine.stop();
    await mp3.end();
    await ice.kill();
  }
});
