import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Engine } from '../../../lib/mix/engine.js';
import { MonotonicClock } from '../../../lib/mix/clock.js';
import { Mp3Stream } from '../../../lib/mix/sinks/mp3-stream.js';
import { StreamServer } from '../../../lib/mix/sinks/http-server.js';
import { ICY_METAINT, IcyInterleaver, StreamTitle, icyBlock } from '../../../lib/mix/sinks/stream-title.js';
import { DEFAULT_FORMAT } from '../../../lib/base/pcm-format.js';
import { bufferSource, soxSynth, tempDir } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

test('titles come from JSON stderr lines with a "title"; other lines leave them alone', () => {
  const title = new StreamTitle();
  const seen: string[] = [];
  title.onChange((t) => seen.push(t));
  title.fromLine('{"action":"fade-in","start":0,"duration":2,"to":"a.wav","title":"a"}');
  title.fromLine('waiting for a new track');
  title.fromLine('{"action":"playback","track":"a.wav"}');
  title.fromLine('{"title": broken');
  title.fromLine('{"action":"crossmatch","from":"a.wav","to":"a.wav","title":"a"}');
  title.fromLine('{"action":"crossfade","from":"a.wav","to":"b c.mp3","title":"b c"}');
  assert.deepEqual(seen, ['a', 'b c']);
  assert.equal(title.current, 'b c');
});

test('ICY metadata: a block every icy-metaint bytes, the title when it changed and a single 0 byte otherwise', () => {
  assert.deepEqual([...icyBlock(undefined)], [0]);
  const block = icyBlock("It's");
  assert.equal(block[0], 2);
  assert.equal(block.length, 33);
  assert.equal(block.subarray(1).toString('utf8').replace(/\0+$/, ''), "StreamTitle='It\u2019s';");
  const title = new StreamTitle();
  title.set('One');
  const icy = new IcyInterleaver(title);
  const audio = Buffer.alloc(3 * ICY_METAINT + 123);
  for (let i = 0; i < audio.length; i++) audio[i] = i % 251;
  const out: Buffer[] = [];
  for (let at = 0, n = 1; at < audio.length; at += n, n = (n * 7 + 1000) % 9001) {
    if (at >= 2 * ICY_METAINT - 5000 && title.current === 'One') title.set('Two');
    out.push(icy.push(audio.subarray(at, Math.min(audio.length, at + n))));
  }
  const stream = Buffer.concat(out);
  const back: Buffer[] = [];
  const titles: string[] = [];
  let at = 0;
  while (at < stream.length) {
    back.push(stream.subarray(at, Math.min(stream.length, at + ICY_METAINT)));
    at += ICY_METAINT;
    if (at >= stream.length) break;
    const len = stream[at] * 16;
    titles.push(stream.subarray(at + 1, at + 1 + len).toString('utf8').replace(/\0+$/, ''));
    at += 1 + len;
  }
  assert.deepEqual(Buffer.concat(back), audio);
  assert.deepEqual(titles, ["StreamTitle='One';", "StreamTitle='Two';", '']);
});

/** Runs a client for `ms`, then SIGINT; its stderr lines that carry a title. */
function client(cmd: string, args: string[], ms: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: ms + 10_000 });
    let err = '';
    c.stderr.on('data', (b: Buffer) => (err += b));
    c.on('error', reject);
    const timer = setTimeout(() => c.kill('SIGINT'), ms);
    c.on('close', () => {
      clearTimeout(timer);
      resolve(err.split(/[\r\n]+/).map((l) => l.trim()).filter((l) => /StreamTitle/.test(l)));
    });
  });
}

test('HTTP listeners that send Icy-MetaData: 1 get the titles (mpg123 and ffmpeg read them); others get plain MP3', async () => {
  const engine = new Engine({ clock: new MonotonicClock() });
  engine.addSource(bufferSource('tone', soxSynth(join(tmp.dir, 't.raw'), ['30', 'sine', '440'], { effects: ['gain', '-6'] })));
  const mp3 = new Mp3Stream({ format: DEFAULT_FORMAT, bitrate: 128 });
  engine.addSink(mp3);
  const title = new StreamTitle();
  title.set('First Song');
  const server = new StreamServer({ port: 0, title });
  server.setStreams([{ path: '/stream.mp3', stream: mp3.stream, bitrate: 128 }]);
  const { port } = await server.listen();
  await engine.start();
  try {
    const url = `http://127.0.0.1:${port}/stream.mp3`;
    const change = setTimeout(() => title.set("Second \u2013 Don't Stop"), 2500);
    const [mpg, ff] = await Promise.all([
      client('mpg123', ['-v', '-w', '/dev/null', url], 5000),
      client('ffmpeg', ['-hide_banner', '-icy', '1', '-i', url, '-t', '2', '-f', 'null', '-'], 4000),
    ]);
    clearTimeout(change);
    assert.deepEqual(mpg, ["ICY-META: StreamTitle='First Song';", "ICY-META: StreamTitle='Second \u2013 Don\u2019t Stop';"]);
    assert.ok(ff.some((l) => /^StreamTitle\s*: First Song$/.test(l)), `expected ffmpeg to show the title, got ${JSON.stringify(ff)}`);
    const plain = await new Promise<Record<string, unknown>>((resolve, reject) => {
      import('node:http').then(({ get }) => get(url, (res) => { res.destroy(); resolve(res.headers); }).on('error', reject));
    });
    assert.equal(plain['icy-metaint'], undefined);
  } finally {
    await engine.stop();
    await server.close();
  }
});
