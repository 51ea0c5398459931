// The project's chains in order: what a rewrite of /ctl does to the order of the chains it names and of those it does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '../../lib/base/logger.js';
import type { Chain } from '../../lib/procchain/chain.js';
import type { CommandContext } from '../../lib/studio/caller.js';
import { Project } from '../../lib/studio/project.js';
import { applyChanges, captureChanges, stateOf, type ProjectParts } from '../../lib/studio/project-state.js';
import { SavedInputs } from '../../lib/studio/saved-inputs.js';

async function withProject(names: string[], body: (project: Project, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'audiofs-order-'));
  const project = new Project({ format: { rate: 44100, channels: 2 }, logger: new Logger({ level: 'error' }), cwd: root, path: process.env.PATH ?? '/usr/bin:/bin', env: {} });
  try {
    for (const n of names) await project.execRootLine(`${n} cat`);
    await body(project, root);
  } finally {
    await project.shutdown();
    await rm(root, { recursive: true, force: true });
  }
}

const order = (p: Project) => [...p.chains.keys()];
/** The order the saved project gives (its parts' places), as a restore would put the chains. */
async function savedOrder(project: Project, root: string): Promise<string[]> {
  const inputs = new SavedInputs(join(root, 'saved'));
  await inputs.ensure();
  const parts: ProjectParts = new Map();
  applyChanges(parts, await captureChanges(project, inputs, parts, { inputsOf: new Map<Chain, readonly number[]>(), scope: 'all' }));
  return stateOf(parts).chains.map((c) => c.name);
}

test('a /ctl text without some chains\' lines leaves those chains where they were; the chains it names take its order among their places', async () => {
  await withProject(['a', 'b', 'c'], async (project, root) => {
    // sed -i '/^c /d' ctl: c stays, and stays last.
    await project.execRootText('a cat\nb cat\n');
    assert.deepEqual(order(project), ['a', 'b', 'c']);
    // The first and the last swapped by the text: the one it leaves out keeps the middle.
    await project.execRootText('c cat\na cat\n');
    assert.deepEqual(order(project), ['c', 'b', 'a']);
    assert.deepEqual(await savedOrder(project, root), ['c', 'b', 'a'], 'the saved places say the same order');
    // A chain the text makes goes where the text puts it.
    await project.execRootText('c cat\nn cat\nb cat\na cat\n');
    assert.deepEqual(order(project), ['c', 'n', 'b', 'a']);
    assert.deepEqual(await savedOrder(project, root), ['c', 'n', 'b', 'a']);
    // A whole text in another order reorders them all (cp -a made the directories first).
    await project.execRootText('a cat\nb cat\nc cat\nn cat\n');
    assert.deepEqual(order(project), ['a', 'b', 'c', 'n']);
    assert.deepEqual(await savedOrder(project, root), ['a', 'b', 'c', 'n']);
  });
});

test('lines written to one open of /ctl written anew are one rewrite; each open is another', async () => {
  await withProject(['a', 'b', 'c', 'd'], async (project) => {
    const first: CommandContext = { rewrite: true };
    await project.execRootLine('d cat', first);
    assert.deepEqual(order(project), ['a', 'b', 'c', 'd'], 'one chain named: it keeps its place');
    await project.execRootLine('b cat', first);
    assert.deepEqual(order(project), ['a', 'd', 'c', 'b'], 'then b after d, in the places of the two; a and c keep theirs');
    // Another open: its first line names one chain, which keeps its own place.
    await project.execRootLine('c cat', { rewrite: true });
    assert.deepEqual(order(project), ['a', 'd', 'c', 'b']);
    // Lines appended (no rewrite) never move a chain.
    await project.execRootLine('a cat');
    assert.deepEqual(order(project), ['a', 'd', 'c', 'b']);
  });
});
