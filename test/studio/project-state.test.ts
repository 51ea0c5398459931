// The saved project's parts: the snapshot put together from their texts is what parsing them gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '../../lib/base/logger.js';
import type { Chain } from '../../lib/procchain/chain.js';
import { Project } from '../../lib/studio/project.js';
import { applyChanges, captureChanges, snapshotPieces, stateOf, type ProjectParts } from '../../lib/studio/project-state.js';
import { SavedInputs } from '../../lib/studio/saved-inputs.js';

test('snapshotPieces puts project.json together from the parts as parsing them would (chains in their order, seq); an older root part that lists the chains is read too', async () => {
  const root = await mkdtemp(join(tmpdir(), 'audiofs-parts-'));
  const project = new Project({ format: { rate: 44100, channels: 2 }, logger: new Logger({ level: 'error' }), cwd: root, path: process.env.PATH ?? '/usr/bin:/bin', env: {} });
  try {
    const inputs = new SavedInputs(join(root, 'saved'));
    await inputs.ensure();
    await project.execRootLine('loop 1 3');
    for (const line of ['b cat | cat', "'x é\"♪' cat", 'a cat']) await project.execRootLine(line);
    await project.applyMixer('volume 0.5', project.chains.get('b'));
    await project.comments.write(0, Buffer.from('a "quoted" note\n'));
    // /ctl written anew puts b last.
    await project.execRootText("'x é\"♪' cat\na cat\nb cat | cat\n");
    const parts: ProjectParts = new Map();
    applyChanges(parts, await captureChanges(project, inputs, parts, { inputsOf: new Map<Chain, readonly number[]>(), scope: 'all' }));
    const parsed = { ...stateOf(parts), seq: 7 };
    assert.deepEqual(parsed.chains.map((c) => c.name), ['x é"♪', 'a', 'b']);
    assert.deepEqual(JSON.parse(snapshotPieces(parts, 7).join('')), parsed);
    // As a version before places saved it: the root lists the chains, whose parts have no place.
    const older: ProjectParts = new Map();
    const rootPart = JSON.parse(parts.get('root')!);
    older.set('root', JSON.stringify({ ...rootPart, chains: ['b', 'a', 'x é"♪'] }));
    for (const [key, text] of parts) if (key !== 'root') older.set(key, JSON.stringify({ ...JSON.parse(text), place: undefined }));
    const olderState = JSON.parse(snapshotPieces(older, 3).join(''));
    assert.deepEqual(olderState.chains.map((c: { name: string }) => c.name), ['b', 'a', 'x é"♪'], 'the list says the order');
    assert.deepEqual(olderState, { ...stateOf(older), seq: 3 });
  } finally {
    await project.shutdown();
    await rm(root, { recursive: true, force: true });
  }
});
