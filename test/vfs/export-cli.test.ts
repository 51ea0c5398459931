import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AUDIOFS, clientsOf, FIXTURE_BIN, mountAudiofs, pipeline, run, sleep, soxSignal, waitFor } from '../helpers/mount.js';

const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';

test('audiofs export of an archive renders the same bytes as the mount\'s export of the same project (WAV and raw)', async () => {
  const m = await mountAudiofs();
  try {
    const input = await soxSignal(m.tmp, 'in.raw', ['3', 'sine', '220', 'pinknoise', 'mix']);
    const other = await soxSignal(m.tmp, 'other.raw', ['2', 'square', '330']);
    await m.ctl(`fx sox -D -q ${RAW} - ${RAW} - vol 0.5 | passthrough`);
    await writeFile(m.path('fx/in'), await readFile(input));
    await m.ctl('pan -0.5', 'fx/mixer');
    await m.ctl('two passthrough');
    await writeFile(m.path('two/passthrough/in'), await readFile(other));
    await m.ctl('volume 0.5', 'two/mixer');
    const archive = join(m.tmp, 'p.tar');
    await run('tar', ['cf', archive, '-C', m.dir, '.']);
    for (const ext of ['wav', 'raw']) {
      const fromMount = join(m.tmp, `mount.${ext}`);
      await m.ctl(`export ${fromMount}`);
      await waitFor(async () => new RegExp(`file: ${fromMount}\\n\\s+state: done`).test(await readFile(m.path('status'), 'utf8')), 'the mount\'s export');
      const fromCli = join(m.tmp, `cli.${ext}`);
      const t0 = Date.now();
      const { stdout, stderr } = await run(AUDIOFS[0], [...AUDIOFS.slice(1), 'export', archive, fromCli], {
        cwd: m.tmp, env: { ...process.env, HOME: m.tmp, PATH: `${FIXTURE_BIN}:${process.env.PATH}` },
      });
      assert.deepEqual([stdout, stderr], ['', ''], 'no progress bar when stderr is not a terminal, nothing else printed');
      const a = await readFile(fromMount);
      const b = await readFile(fromCli);
      assert.ok(a.length >= 3 * 44100 * 4, `${ext}: ${a.length} bytes rendered (expected at least 3 s)`);
      assert.ok(a.equals(b), `${ext}: audiofs export (${b.length} bytes, ${Date.now() - t0} ms) differs from the mount's export (${a.length} bytes)`);
    }
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('a project with a loop, steps and a bypassed stage: the mount\'s and the CLI\'s exports render the song once, the same bytes as with no loop, and leave no process behind', async () => {
  const m = await mountAudiofs();
  try {
    const input = await soxSignal(m.tmp, 'in.raw', ['3', 'sine', '220', 'pinknoise', 'mix']);
    await m.ctl(`fx sox -D -q ${RAW} - ${RAW} - vol 0.5 | passthrough`);
    await writeFile(m.path('fx/in'), await readFile(input));
    await chmod(m.path('fx/passthrough'), 0o500);
    const exportFromMount = async (file: string): Promise<Buffer> => {
      await m.ctl(`export ${file}`);
      await waitFor(async () => new RegExp(`file: ${file}\\n\\s+state: done`).test(await readFile(m.path('status'), 'utf8')), `the mount's export of ${file}`);
      return readFile(file);
    };
    const plain = await exportFromMount(join(m.tmp, 'plain.raw'));
    await m.ctl('loop 1 2');
    await m.ctl('steps 1');
    const looped = await exportFromMount(join(m.tmp, 'looped.raw'));
    const archive = join(m.tmp, 'p.tar');
    await run('tar', ['cf', archive, '-C', m.dir, '.']);
    const fromCli = join(m.tmp, 'cli.raw');
    await run(AUDIOFS[0], [...AUDIOFS.slice(1), 'export', archive, fromCli], {
      cwd: m.tmp, env: { ...process.env, HOME: m.tmp, PATH: `${FIXTURE_BIN}:${process.env.PATH}` }, timeout: 60_000,
    });
    const cli = await readFile(fromCli);
    const oracle = await pipeline(`sox -D -q ${RAW} - ${RAW} - vol 0.5`, input);
    // The mount's export is done: nothing plays again in the next second and no client of it runs.
    await sleep(1000);
    const status = await readFile(m.path('status'), 'utf8');
    assert.deepEqual({
      plain: plain.equals(oracle),
      looped: looped.equals(plain),
      cli: cli.equals(plain),
      lengths: [plain.length, looped.length, cli.length],
      transport: /transport: (\w+)/.exec(status)?.[1],
      clients: await clientsOf(m.tmp),
    }, { plain: true, looped: true, cli: true, lengths: [oracle.length, oracle.length, oracle.length], transport: 'stopped', clients: [] });
  } finally {
    assert.equal(await m.close(), 0);
  }
});
