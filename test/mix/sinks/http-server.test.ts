import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { get } from 'node:http';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../../lib/mix/engine.js';
import { VirtualClock } from '../../../lib/mix/clock.js';
import { Mp3Stream } from '../../../lib/mix/sinks/mp3-stream.js';
import { StreamServer } from '../../../lib/mix/sinks/http-server.js';
import { DEFAULT_FORMAT } from '../../../lib/base/pcm-format.js';
import { bufferSource, soxSynth, tempDir } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

test('HTTP listeners get valid MP3 from a frame boundary; one that stops reading is dropped, the other keeps receiving', async () => {
  const engine = new Engine({ clock: new VirtualClock() });
  engine.addSource(bufferSource('tone', soxSynth(join(tmp.dir, 't.raw'), ['600', 'sine', '440'], { effects: ['gain', '-6'] })));
  const mp3 = new Mp3Stream({ format: DEFAULT_FORMAT, bitrate: 320, maxLag: 2 });
  engine.addSink(mp3);
  const server = new StreamServer({ port: 0, maxUnsent: 128 * 1024 });
  server.setStreams([{ path: '/stream.mp3', stream: mp3.stream, bitrate: 320 }]);
  const { port } = await server.listen();
  await engine.start();
  try {
    const stalled = connect(port, '127.0.0.1');
    stalled.write('GET /stream.mp3 HTTP/1.1\r\nHost: x\r\n\r\n');
    stalled.pause();
    stalled.on('error', () => undefined);

    const received: Buffer[] = [];
    let headers: Record<string, unknown> = {};
    let total = 0;
    let afterDrop = 0;
    const enough = new Promise<void>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/stream.mp3' }, (res) => {
        headers = res.headers;
        res.on('data', (d: Buffer) => {
          received.push(d);
          total += d.length;
          if (server.dropped > 0) afterDrop += d.length;
          if (afterDrop > 200_000) { res.destroy(); resolve(); }
        });
      }).on('error', reject);
    });
    // A paused client sees no 'close' (it reads nothing): watch the server's count instead.
    while (server.dropped === 0) await new Promise((r) => setTimeout(r, 20));
    assert.equal(server.dropped, 1);
    assert.equal(server.listeners, 1);
    await enough;
    stalled.destroy();
    assert.equal(headers['content-type'], 'audio/mpeg');
    assert.equal(headers['icy-br'], '320');
    const body = Buffer.concat(received);
    assert.deepEqual([body[0], body[1] & 0xe0], [0xff, 0xe0], 'the listener starts on a frame header');
    const file = join(tmp.dir, 'got.mp3');
    writeFileSync(file, body);
    const check = execFileSync('mpg123', ['-t', '-q', file], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    assert.equal(check, '');
    const pcm = execFileSync('mpg123', ['-q', '-s', file], { maxBuffer: 1 << 28 });
    // 320 kbit/s: each 1044/1045-byte frame is 1152 frames; all but a cut last frame decode.
    const frames = Math.floor(total / 1045);
    assert.ok(pcm.length / 4 >= (frames - 1) * 1152, `decoded ${pcm.length / 4} frames from ${total} bytes`);
    const missing = await new Promise<number>((resolve) => get({ host: '127.0.0.1', port, path: '/nope.mp3' }, (res) => resolve(res.statusCode ?? 0)));
    assert.equal(missing, 404);
  } finally {
    await engine.stop();
    await server.close();
    await mp3.end();
  }
});
