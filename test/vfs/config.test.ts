import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { mountAudiofs, run, waitFor } from '../helpers/mount.js';

/** Writes a whole text to a file of the mount with cat, as a user would; resolves with cat's exit code and stderr. */
async function catInto(target: string, text: string, tmp: string): Promise<{ code: number; stderr: string }> {
  const src = join(tmp, `cfg-${Date.now()}.yaml`);
  await writeFile(src, text);
  try {
    await run('sh', ['-c', `cat '${src}' > '${target}'`]);
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

/** What /log holds now (opened with O_NONBLOCK: what is buffered, then end of file, as tar reads it). */
async function logText(dir: string): Promise<string> {
  const h = await open(join(dir, 'log'), constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return (await h.readFile()).toString();
  } finally {
    await h.close();
  }
}

test('/config: shows the running config; invalid YAML is refused; an mp3 bitrate applies live; rate needs a restart', async () => {
  const m = await mountAudiofs();
  try {
    assert.equal((await stat(m.path('config'))).mode & 0o777, 0o600);
    const before = await readFile(m.path('config'), 'utf8');
    const doc = yaml.load(before) as Record<string, unknown>;
    assert.deepEqual([doc.rate, doc.http, doc.device, doc.mp3], [44100, '127.0.0.1:0', 'off', [{ bitrate: 128 }]]);

    const bad = await catInto(m.path('config'), 'rate: [oops\n', m.tmp);
    assert.notEqual(bad.code, 0, 'cat of invalid YAML into /config fails');
    assert.match(bad.stderr, /Invalid argument/);
    assert.equal(await readFile(m.path('config'), 'utf8'), before, 'the running config is unchanged');
    assert.match(await logText(m.dir), /\/config: refused, the running configuration stays: config: /);

    const badValue = await catInto(m.path('config'), before.replace('bitrate: 128', 'bitrate: 7'), m.tmp);
    assert.notEqual(badValue.code, 0);
    assert.equal(await readFile(m.path('config'), 'utf8'), before);

    const ok = await catInto(m.path('config'), before.replace('bitrate: 128', 'bitrate: 192'), m.tmp);
    assert.deepEqual(ok, { code: 0, stderr: '' });
    const status = yaml.load(await readFile(m.path('status'), 'utf8')) as { outputs: { mp3: Array<{ bitrate: number }> } };
    assert.deepEqual(status.outputs.mp3.map((x) => x.bitrate), [192]);
    assert.match(await readFile(m.path('config'), 'utf8'), /bitrate: 192/);
    assert.match(await logText(m.dir), /\/config: applied mp3/);

    const rate = await catInto(m.path('config'), before.replace('rate: 44100', 'rate: 48000'), m.tmp);
    assert.equal(rate.code, 0);
    assert.match(await logText(m.dir), /\/config: rate changed: needs a restart/);
    assert.match(await readFile(m.path('config'), 'utf8'), /^rate: 44100$/m, 'rate stays as it runs');
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('the --config file is watched: a valid edit applies, an invalid one is logged and changes nothing', async () => {
  const m = await mountAudiofs();
  try {
    const file = join(m.tmp, 'config.yaml');
    await writeFile(file, 'http: 127.0.0.1:0\ndevice: off\nmp3: [{bitrate: 96}]\n');
    await waitFor(async () => /bitrate: 96/.test(await readFile(m.path('config'), 'utf8')), 'the edit to apply');
    await writeFile(file, 'http: 127.0.0.1:0\ndevice: off\nmp3: [{bitrate: nope}]\n');
    await waitFor(async () => /config\.yaml: config: mp3\[0\]\.bitrate: expected .*the running configuration stays/.test(await logText(m.dir)), 'the refusal in /log');
    assert.match(await readFile(m.path('config'), 'utf8'), /bitrate: 96/);
  } finally {
    assert.equal(await m.close(), 0);
  }
});
