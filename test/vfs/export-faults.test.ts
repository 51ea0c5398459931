// Exports that do not complete leave no file at their name and say so; what a killed mount left (its
// clients, its exports' temporary files) is cleaned at the next start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { alive, mountAudiofs, run, sleep, waitFor, type TestMount } from '../helpers/mount.js';
import { withTempDir } from '../helpers/temp-dir.js';

async function status(m: TestMount): Promise<Record<string, any>> {
  return yaml.load(await readFile(m.path('status'), 'utf8')) as Record<string, any>;
}

function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  return withTempDir('audiofs-export', body);
}

/** Starts an export of an endless chain and waits until its temporary file exists. */
async function startEndlessExport(m: TestMount, file: string, command = 'flooder'): Promise<void> {
  await m.ctl(`a ${command}`);
  await m.ctl(`export ${file}`);
  await waitFor(async () => (await status(m)).export?.state === 'rendering', 'the export to render');
  await waitFor(async () => (await readdir(join(file, '..'))).some((n) => n.endsWith('.tmp')), 'the temporary file');
}

for (const how of ['stop', 'rm -r of the only chain'] as const) {
  test(`${how} during an export: /status says stopped, /log says so, no file at the name nor a temporary`, async () => {
    await withDir(async (dir) => {
      const m = await mountAudiofs();
      try {
        const file = join(dir, 'song.wav');
        await startEndlessExport(m, file);
        if (how === 'stop') await m.ctl('stop');
        else await run('rm', ['-r', m.path('a')]);
        await waitFor(async () => (await status(m)).export?.state !== 'rendering', 'the export to end');
        const job = (await status(m)).export;
        assert.equal(job.state, 'stopped');
        assert.equal(job.file, file);
        assert.deepEqual(await readdir(dir), [], 'nothing at the name, no temporary left');
        const log = await readFile(m.path('log'), 'utf8');
        // rm -r removes the stage's directory first.
        const why = how === 'stop' ? '' : ' \\(stage a/flooder was removed\\)';
        assert.match(log, new RegExp(` warn export ${file}: stopped${why} after \\d+\\.\\d{3} s rendered; nothing written to ${file}\n`));
        assert.doesNotMatch(log, /export .*: done/);
      } finally {
        assert.equal(await m.close(), 0);
      }
    });
  });
}

test('an export whose directory goes away fails: /status says failed with the reason, no file', async () => {
  await withDir(async (dir) => {
    const m = await mountAudiofs();
    try {
      const sub = join(dir, 'out');
      await mkdir(sub);
      // The chain gives nothing while the gate is there: the export cannot end before its directory is gone.
      const gate = join(dir, 'gate');
      await writeFile(gate, '');
      await m.ctl(`a sh -c 'while [ -e ${gate} ]; do sleep 0.02; done; exec sine 2'`);
      const file = join(sub, 'song.wav');
      await m.ctl(`export ${file}`);
      await waitFor(async () => (await readdir(sub)).some((n) => n.endsWith('.tmp')), 'the temporary file');
      // The temporary is unlinked with its directory: the writes go on, the final rename cannot.
      await rm(sub, { recursive: true });
      await rm(gate);
      await waitFor(async () => (await status(m)).export?.state !== 'rendering', 'the export to end');
      const job = (await status(m)).export;
      assert.equal(job.state, 'failed');
      assert.match(job.error, /ENOENT/);
      assert.deepEqual(await readdir(dir), []);
      assert.match(await readFile(m.path('log'), 'utf8'), new RegExp(` error export ${file}: failed after .*ENOENT.*; nothing written to ${file}\n`));
    } finally {
      assert.equal(await m.close(), 0);
    }
  });
});

test('after kill -9 of a mount, the next start ends the clients it left and removes its export\'s temporary file', async () => {
  await withDir(async (dir) => {
    const config = `http: 127.0.0.1:0\ndevice: off\nstate_dir: ${join(dir, 'state')}\n`;
    const exports = join(dir, 'exports');
    await mkdir(exports);
    // Both mounts on the same directory: the second must not be unmounted by what the first left.
    const mountpoint = join(dir, 'mnt');
    const first = await mountAudiofs({ config, mountpoint });
    let clients: number[] = [];
    try {
      // A client that writes nothing: it does not die of SIGPIPE with its mount (export mode waits for it).
      await startEndlessExport(first, join(exports, 'song.mp3'), 'never-exits');
      clients = (await status(first)).chains.a.stages.map((s: { pid: number }) => s.pid);
      assert.equal(clients.length, 1);
      first.proc.kill('SIGKILL');
      await new Promise<void>((r) => (first.proc.exitCode !== null || first.proc.signalCode !== null ? r() : first.proc.once('exit', () => r())));
    } finally {
      await first.close().catch(() => undefined);
    }
    assert.equal(await alive(clients[0]), true, 'the client outlived its mount');
    const temps = await readdir(exports);
    assert.equal(temps.length, 1);
    assert.match(temps[0], /^\.song\.mp3\.[0-9a-f]{8}\.tmp$/);
    const second = await mountAudiofs({ config, mountpoint });
    try {
      await sleep(1500);
      assert.equal((await readFile('/proc/mounts', 'utf8')).split('\n').filter((l) => l.split(' ')[1] === mountpoint).length, 1,
        'one mount on the directory, still there after the first mount\'s leftovers ended');
      assert.equal(await alive(clients[0]), false, 'the left client was ended at start');
      assert.deepEqual(await readdir(exports), [], 'the temporary file was removed at start');
      const log = await readFile(second.path('log'), 'utf8');
      assert.match(log, new RegExp(` warn start: ended 1 processes a previous mount left running \\(pids ${clients[0]}\\)\n`));
      assert.match(log, new RegExp(` warn start: removed ${join(exports, temps[0]).replaceAll('.', '\\.')}, the unfinished file of an export`));
      assert.equal((await status(second)).chains.a.stages[0].name, 'never-exits', 'the project itself is back');
    } finally {
      assert.equal(await second.close(), 0);
    }
  });
});
