import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mountAudiofs, run, waitFor } from '../helpers/mount.js';

test('audiofs-dj inside audiofs: track paths written to radio/in feed /stream.mp3, now-playing lines in err and /log', async () => {
  const m = await mountAudiofs();
  try {
    const tracks: string[] = [];
    for (const [i, f] of [[1, 330], [2, 440]] as const) {
      const wav = join(m.tmp, `t${i}.wav`);
      await run('sox', ['-D', '-q', '-n', '-r', '44100', '-c', '2', '-b', '16', wav, 'synth', '10', 'sine', String(f), 'tremolo', '2', '90']);
      tracks.push(wav);
    }
    await m.ctl('radio audiofs-dj --fade-out 1 --fade-in 0.5');
    await writeFile(m.path('radio/in'), tracks.map((t) => `${t}\n`).join(''));
    const reader = await import('node:fs/promises').then((fs) => fs.open(m.path('stream.mp3'), 'r'));
    await m.ctl('play');
    const chunks: Buffer[] = [];
    const deadline = Date.now() + 6000;
    while (Date.now() < deadline) {
      const buf = Buffer.alloc(16384);
      const { bytesRead } = await reader.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
    }
    await reader.close();
    const mp3 = Buffer.concat(chunks);
    assert.ok(mp3.length > 16000, `/stream.mp3 delivered ${mp3.length} bytes in 6 s`);
    assert.equal(mp3[0], 0xff, 'the stream starts on an MP3 frame header');
    const file = join(m.tmp, 'got.mp3');
    await writeFile(file, mp3);
    const { stdout } = await run('mpg123', ['-q', '-s', file], { encoding: 'buffer', maxBuffer: 1 << 26 } as never) as unknown as { stdout: Buffer };
    assert.ok(stdout.length > 4 * 44100, `mpg123 decodes ${stdout.length} bytes of PCM from it`);
    const err = await waitFor(async () => {
      const text = await readFile(m.path('radio/audiofs-dj/err'), 'utf8');
      return /"action":"fade-in"/.test(text) && text;
    }, 'the now-playing line in err');
    assert.match(err as string, /\{"action":"fade-in".*"to":".*t1\.wav"/);
    const { stdout: log } = await run('dd', [`if=${m.path('log')}`, 'iflag=nonblock', 'status=none']);
    assert.match(log, /radio\/audiofs-dj: \{"action":"fade-in"/, 'the now-playing line in /log, tagged with the chain and stage');
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('the titles of audiofs-dj in a chain reach HTTP listeners as ICY metadata (mpg123 reads them as they change)', async () => {
  const m = await mountAudiofs();
  try {
    const tracks: string[] = [];
    for (const [name, seconds, f] of [['First Track', 6, 330], ['Second Track', 12, 440]] as const) {
      const wav = join(m.tmp, `${name}.wav`);
      await run('sox', ['-D', '-q', '-n', '-r', '44100', '-c', '2', '-b', '16', wav, 'synth', String(seconds), 'sine', String(f), 'tremolo', '2', '90']);
      tracks.push(wav);
    }
    await m.ctl('radio audiofs-dj --fade-in 0.5 --beats 4');
    await writeFile(m.path('radio/in'), tracks.map((t) => `${t}\n`).join(''));
    const status = await readFile(m.path('status'), 'utf8');
    const address = /http: ([\d.]+:\d+)/.exec(status)?.[1];
    assert.ok(address, `/status names the HTTP address: ${status}`);
    await m.ctl('play');
    const heard = await new Promise<string>((resolve, reject) => {
      const c = spawn('mpg123', ['-v', '-w', '/dev/null', `http://${address}/stream.mp3`], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
      let err = '';
      c.stderr.on('data', (b: Buffer) => {
        err += b;
        if (err.includes("StreamTitle='Second Track'")) c.kill('SIGINT');
      });
      c.on('error', reject);
      const timer = setTimeout(() => c.kill('SIGINT'), 12_000);
      c.on('close', () => { clearTimeout(timer); resolve(err); });
    });
    const titles = heard.split(/[\r\n]+/).filter((l) => l.includes('StreamTitle'));
    assert.deepEqual(titles, ["ICY-META: StreamTitle='First Track';", "ICY-META: StreamTitle='Second Track';"]);
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('a track path appended to radio/in while the radio plays is mixed in next (the input stays open while the chain plays)', async () => {
  const m = await mountAudiofs();
  try {
    const tracks: string[] = [];
    for (const [i, f] of [[1, 330], [2, 440], [3, 550]] as const) {
      const wav = join(m.tmp, `t${i}.wav`);
      await run('sox', ['-D', '-q', '-n', '-r', '44100', '-c', '2', '-b', '16', wav, 'synth', '5', 'sine', String(f), 'tremolo', '2', '90']);
      tracks.push(wav);
    }
    await m.ctl('radio audiofs-dj --fade-in 0.5 --fade-out 1 --beats 4 --crossfade 1');
    await writeFile(m.path('radio/in'), `${tracks[0]}\n${tracks[1]}\n`);
    await m.ctl('play');
    await waitFor(async () => /"action":"fade-in"/.test(await readFile(m.path('radio/audiofs-dj/err'), 'utf8')), 'the radio plays');
    await run('sh', ['-c', `echo '${tracks[2]}' >> '${m.path('radio/in')}'`]);
    const err = await waitFor(async () => {
      const text = await readFile(m.path('radio/audiofs-dj/err'), 'utf8');
      return /"action":"fade-out"/.test(text) || /"to":"[^"]*t3\.wav"/.test(text) ? text : undefined;
    }, 'a transition to t3 (or the fade-out that says the input had closed)', 30_000);
    const actions = (err ?? '').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { action: string; to?: string; from?: string })
      .filter((a) => a.action !== 'playback').map((a) => `${a.action} ${(a.to ?? a.from ?? '').replace(/^.*\//, '')}`);
    assert.deepEqual(actions.slice(0, 3).map((a) => a.replace(/^(crossmatch|crossfade) /, 'into ')), ['fade-in t1.wav', 'into t2.wav', 'into t3.wav']);
  } finally {
    assert.equal(await m.close(), 0);
  }
});
