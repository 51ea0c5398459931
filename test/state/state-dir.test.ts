import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudiofsError } from '../../lib/base/errors.js';
import { StateDir } from '../../lib/state/index.js';

async function withRoot(body: (root: string) => Promise<void>): Promise<void> {
  const parent = await mkdtemp(join(tmpdir(), 'audiofs-state-'));
  try {
    await body(join(parent, 'state', 'studio-12345678'));
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}

test('the state directory names its files and creates itself private', async () => {
  await withRoot(async (root) => {
    const state = await new StateDir(root).ensure();
    assert.deepEqual(
      [state.pidFile, state.logFile, state.spillDir, state.projectFile],
      [join(root, 'audiofs.pid'), join(root, 'audiofs.log'), join(root, 'spill'), join(root, 'project.json')],
    );
    assert.equal((await stat(root)).mode & 0o777, 0o700);
    assert.ok((await stat(state.spillDir)).isDirectory());
  });
});

test('saveJson and loadJson round-trip; a missing file is undefined; garbage is an EIO error', async () => {
  await withRoot(async (root) => {
    const state = await new StateDir(root).ensure();
    assert.equal(await state.loadJson('project.json'), undefined);
    const project = { ctl: ['piano audiofs-synth', 'loop 1 2'], comments: 'take 3' };
    await state.saveJson('project.json', project);
    assert.deepEqual(await state.loadJson('project.json'), project);
    await writeFile(state.projectFile, '{"ctl": [');
    await assert.rejects(state.loadJson('project.json'), (err: unknown) => {
      assert.ok(err instanceof AudiofsError);
      assert.equal(err.code, 'EIO');
      assert.equal(err.path, state.projectFile);
      assert.match(err.message, /^EIO: expected JSON, got .*, load '.*project\.json'$/);
      return true;
    });
  });
});

test('saves of one file land in call order', async () => {
  await withRoot(async (root) => {
    const state = await new StateDir(root).ensure();
    await Promise.all(Array.from({ length: 20 }, (_, i) => state.saveJson('project.json', { i })));
    assert.deepEqual(JSON.parse(await readFile(state.projectFile, 'utf8')), { i: 19 });
  });
});

test('paths outside the directory are refused; crash leftovers are removed by ensure', async () => {
  await withRoot(async (root) => {
    const state = await new StateDir(root).ensure();
    assert.throws(() => state.path('../escape.json'), /expected a path inside .*, got '\.\.\/escape\.json'/);
    await writeFile(join(root, '.project.json.999.abcd1234.audiofs-tmp'), 'half');
    await state.ensure();
    assert.deepEqual((await readdir(root)).sort(), ['spill']);
  });
});
