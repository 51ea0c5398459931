// The outputs of the mix in the mount: exports to files, /stream.mp3, HTTP, a real icecast2, the sound card (ALSA file PCM).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { mountAudiofs, ROOT, run, sleep, soxSignal, waitFor, type TestMount, openBytes, pipeline } from '../helpers/mount.js';
import { compareAudio } from '../helpers/audio-compare.js';
import { freePort, IcecastServer } from '../mix/sinks/icecast.js';
import { readLog } from '../helpers/live-read.js';

const SECOND = 44100 * 4;

let m: TestMount;
let input: Buffer;
let exports: string;

before(async () => {
  m = await mountAudiofs();
  input = await readFile(await soxSignal(m.tmp, 'in.raw', ['3', 'sine', '440', 'pinknoise', 'mix', 'vol', '0.5']));
  exports = join(m.tmp, 'exports');
  await mkdir(exports);
  await m.ctl('a cat');
  await writeFile(m.path('a/in'), input);
});

after(async () => {
  assert.equal(await m.close(), 0);
});

/** Runs `export FILE [A B]` and waits for its line in /log; the file is then there under its own name only. */
async function exportTo(name: string, region = ''): Promise<Buffer> {
  const file = join(exports, name);
  await m.ctl(`export ${file}${region}`);
  await waitFor(async () => (await readLog(m)).includes(`export ${file}: done`), `the /log line of export ${name}`, 30_000);
  assert.deepEqual((await readdir(exports)).filter((f) => f.startsWith(`.${name}`) || f.includes(`${name}.`)), [], 'no temporary file left');
  return readFile(file);
}

/** Decodes MP3 bytes with mpg123 to raw s16le; fails on a decoding error. */
async function mpg123(mp3: Buffer, name: string): Promise<{ pcm: Buffer; stderr: string }> {
  const file = join(m.tmp, name);
  await writeFile(file, mp3);
  const { stdout, stderr } = await run('mpg123', ['-q', '-s', '-r', '44100', '--stereo', file], { encoding: 'buffer', maxBuffer: 1 << 28 });
  const err = stderr.toString();
  assert.doesNotMatch(err, /error|illegal|bad|invalid/i, `mpg123 on ${name}: ${err}`);
  return { pcm: stdout as unknown as Buffer, stderr: err };
}

/** Whether a buffer starts on an MPEG audio frame header (11 sync bits, layer III). */
function startsOnFrame(b: Buffer): boolean {
  return b.length > 4 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0 && ((b[1] >> 1) & 3) === 1;
}


/** GETs `url` until `bytes` have come; rejects after `ms` (a hang) saying how many came. */
function httpBytes(url: string, bytes: number, ms: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const timer = setTimeout(() => { req.destroy(); reject(new Error(`GET ${url}: ${n} of ${bytes} bytes in ${ms} ms`)); }, ms);
    const req = get(url, (res) => {
      if (res.statusCode !== 200) { clearTimeout(timer); req.destroy(); reject(new Error(`GET ${url}: HTTP ${res.statusCode} (expected 200)`)); return; }
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        n += c.length;
        if (n >= bytes) { clearTimeout(timer); req.destroy(); resolve(Buffer.concat(chunks).subarray(0, bytes)); }
      });
    });
    req.on('error', (err) => { clearTimeout(timer); if (n < bytes) reject(err); });
  });
}

/** MP3 bytes of `seconds` at the default 128 kbit/s. */
const mp3Bytes = (seconds: number) => Math.ceil((128_000 / 8) * seconds);

/** Lowest SNR accepted for LAME at 128 kbit/s against its source: a sine decodes far above it, pink noise above it; silence, another signal or a shifted one far below. */
const MIN_SNR_DB = 15;

/** Checks decoded live MP3 against the endless `sine SECONDS HZ` fixture's output (it may start anywhere in a period). */
async function assertSineHeard(name: string, pcm: Buffer, hz: number): Promise<void> {
  const oracle = await pipeline(`sine 2 ${hz}`, '/dev/null');
  const heard = pcm.subarray(0, Math.min(pcm.length, SECOND));
  const match = compareAudio(oracle, heard, { minLag: 0, maxLag: 4410 });
  assert.ok(match.frames > 0.5 * 44100, `${name}: ${match.frames} frames compared`);
  console.log(`${name}: SNR ${match.snrDb.toFixed(1)} dB against the ${hz} Hz sine, lag ${match.lag}`);
  assert.ok(match.snrDb > MIN_SNR_DB, `${name}: decoded vs the ${hz} Hz sine: SNR ${match.snrDb.toFixed(1)} dB (expected > ${MIN_SNR_DB}) at lag ${match.lag}`);
}

test('export FILE.raw and .wav give the mix exactly; the file appears complete, /log and /status say so', async () => {
  const raw = await exportTo('mix.raw');
  assert.ok(raw.equals(input), `raw export: ${raw.length} bytes, expected the ${input.length} bytes of the mix`);
  const wav = await exportTo('mix.wav');
  const { stdout } = await run('sox', ['-D', join(exports, 'mix.wav'), '-t', 'raw', '-'], { encoding: 'buffer', maxBuffer: 1 << 28 });
  assert.equal(wav.subarray(0, 4).toString(), 'RIFF');
  assert.ok((stdout as unknown as Buffer).equals(input), 'the WAV read back by sox equals the mix');
  const status = await readFile(m.path('status'), 'utf8');
  assert.match(status, new RegExp(`export:\\n\\s+file: ${join(exports, 'mix.wav')}\\n\\s+state: done\\n\\s+seconds: 3\\n`));
});

test('export FILE A B renders only the region', async () => {
  const raw = await exportTo('region.raw', ' 1 2.5');
  assert.ok(raw.equals(input.subarray(SECOND, SECOND * 2.5)), `region export: ${raw.length} bytes, expected ${SECOND * 1.5}`);
});

test('export FILE.mp3 decodes with mpg123 to the duration of the mix (within LAME padding)', async () => {
  const mp3 = await exportTo('mix.mp3');
  assert.ok(startsOnFrame(mp3) || mp3.subarray(0, 3).toString() === 'ID3', 'an MP3 stream');
  const { pcm } = await mpg123(mp3, 'mix-decoded.mp3');
  const seconds = pcm.length / SECOND;
  assert.ok(Math.abs(seconds - 3) < 0.1, `decoded ${seconds.toFixed(3)} s, expected 3 s`);
  // LAME's delay shifts the decoded audio by about 1100 frames; any lag within 0.1 s is searched.
  const match = compareAudio(input, pcm, { minLag: -4410, maxLag: 4410 });
  assert.ok(match.frames > 2.5 * 44100, `${match.frames} frames compared`);
  console.log(`export mp3: SNR ${match.snrDb.toFixed(1)} dB against the mix, lag ${match.lag}`);
  assert.ok(match.snrDb > MIN_SNR_DB, `decoded MP3 vs the mix: SNR ${match.snrDb.toFixed(1)} dB (expected > ${MIN_SNR_DB}) at lag ${match.lag}`);
});

test('/stream.mp3 and the HTTP stream read while playing are valid MP3 from a frame boundary and decode to the mix', async () => {
  await m.ctl('long sine 30 330');
  await m.ctl('play');
  try {
    // Past the 3 s of chain a, the mix is the 330 Hz sine of chain long alone.
    await waitFor(async () => {
      const at = /position: ([\d.]+)/.exec(await readFile(m.path('status'), 'utf8'))?.[1];
      return at !== undefined && Number(at) > 3.5;
    }, 'the play position past 3.5 s', 30_000);
    const status = await readFile(m.path('status'), 'utf8');
    const address = /http: ([\d.]+:\d+)/.exec(status)?.[1];
    assert.ok(address, `/status names the HTTP address: ${status}`);
    const file = await openBytes(m.path('stream.mp3'), mp3Bytes(1.5), 30_000);
    const [stream, http] = await Promise.all([file.data, httpBytes(`http://${address}/stream.mp3`, mp3Bytes(1.5), 30_000)]);
    for (const [name, mp3] of [['stream', stream], ['http', http]] as const) {
      assert.ok(startsOnFrame(mp3), `${name}: starts on a frame header`);
      const { pcm } = await mpg123(mp3, `${name}.mp3`);
      const seconds = pcm.length / SECOND;
      assert.ok(seconds > 1.3 && seconds < 1.7, `${name}: ${seconds.toFixed(2)} s of audio in 1.5 s of 128 kbit/s MP3`);
      await assertSineHeard(name, pcm, 330);
    }
  } finally {
    await m.ctl('stop');
    await m.ctl('stop', 'long/ctl').catch(() => undefined);
    await import('node:fs/promises').then((fs) => fs.rm(m.path('long'), { recursive: true }));
  }
});

test('a real icecast2 on loopback receives the stream of a mount configured with icecast and serves it', async () => {
  const port = await freePort();
  const dir = join(m.tmp, 'icecast');
  const server = new IcecastServer(dir, port, 'hackme');
  await server.start();
  let m2: TestMount | undefined;
  try {
    m2 = await mountAudiofs({ config: `http: off\ndevice: off\nicecast: {url: 'http://127.0.0.1:${port}/live.mp3', password: hackme}\n` });
    await m2.ctl('tone sine 30 440');
    await m2.ctl('play');
    const mount2 = m2;
    await waitFor(async () => /connected: true/.test(await readFile(mount2.path('status'), 'utf8')), 'the icecast source to connect', 30_000);
    const heard = await httpBytes(`http://127.0.0.1:${port}/live.mp3`, mp3Bytes(2), 30_000);
    const first = heard.indexOf(Buffer.from([0xff, 0xfb]));
    assert.ok(first >= 0, `an MPEG frame in what the listener got (${heard.length} bytes)`);
    const { pcm } = await mpg123(heard.subarray(first), 'icecast.mp3');
    assert.ok(pcm.length / SECOND > 1.5, `icecast listener got ${(pcm.length / SECOND).toFixed(2)} s`);
    await assertSineHeard('icecast', pcm, 440);
  } finally {
    await m2?.close();
    await server.kill();
  }
});

test('device: auto writes the mix to the sound card (an ALSA file PCM)', async () => {
  const captured = join(m.tmp, 'card.raw');
  const m3 = await mountAudiofs({
    config: 'http: off\ndevice: auto\n',
    env: { ALSA_CONFIG_PATH: join(ROOT, 'fixtures/alsa/asound.conf'), AUDIOFS_ALSA_FILE: captured },
  });
  try {
    await waitFor(async () => /device: '?on'?\n/.test(await readFile(m3.path('status'), 'utf8')), 'the device output', 10_000);
    await m3.ctl('a cat');
    await writeFile(m3.path('a/in'), input);
    await m3.ctl('realtime off');
    await m3.ctl('play');
    await waitFor(async () => /transport: stopped/.test(await readFile(m3.path('status'), 'utf8')), 'the end of the pass', 20_000);
    await sleep(500);
  } finally {
    await m3.close();
  }
  const card = await readFile(captured);
  // PortAudio primes the device with silence: find where the mix starts, then compare whole.
  let at = 0;
  while (at < card.length && card.readInt16LE(at) === 0) at += 2;
  at -= at % 4;
  const firstNonZero = (() => { let i = 0; while (input.readInt16LE(i) === 0) i += 2; return i - (i % 4); })();
  const start = at - firstNonZero;
  assert.ok(start >= 0 && card.length - start >= input.length, `the card got the whole mix (${card.length} bytes, mix from ${start})`);
  assert.ok(card.subarray(start, start + input.length).equals(input), 'what the card got equals the mix');
});
