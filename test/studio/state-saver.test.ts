// Saving without a mount: each commit appends what changed to the journal; a new project restores snapshot + journal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '../../lib/base/logger.js';
import { StateDir } from '../../lib/state/state-dir.js';
import { Project } from '../../lib/studio/project.js';
import { chainLines } from '../../lib/studio/project-text.js';
import { SavedInputs } from '../../lib/studio/saved-inputs.js';
import { PROJECT_JOURNAL, PROJECT_JSON, StateSaver } from '../../lib/studio/state-saver.js';

interface Saved { project: Project; saver: StateSaver; state: StateDir }

async function open(root: string, before?: (state: StateDir) => void): Promise<Saved> {
  const logger = new Logger({ level: 'error' });
  const project = new Project({ format: { rate: 44100, channels: 2 }, logger, cwd: root, path: process.env.PATH ?? '/usr/bin:/bin', env: {} });
  const state = await new StateDir(root).ensure();
  const inputs = new SavedInputs(join(state.spillDir, 'saved'));
  await inputs.ensure();
  const saver = new StateSaver(project, state, inputs, logger);
  before?.(state);
  await saver.restore();
  // As the mount does (serve.ts): a save looks again at the chains the project says changed (Project.changedSince).
  project.onChange = () => saver.schedule();
  return { project, saver, state };
}

async function withRoot(body: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'audiofs-saver-'));
  try {
    await body(join(root, 'state'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('a commit stores only what changed; a project that was never closed (a crash) comes back from the journal', async () => {
  await withRoot(async (root) => {
    const a = await open(root);
    await a.project.execRootLine('one cat');
    await a.saver.commit();
    const afterOne = (await stat(a.state.path(PROJECT_JOURNAL))).size;
    for (let i = 0; i < 50; i++) await a.project.execRootLine(`c${i} cat | cat`);
    await a.saver.commit();
    await a.project.applyMixer('volume 0.5', a.project.chains.get('one'));
    await a.saver.commit();
    const before = (await stat(a.state.path(PROJECT_JOURNAL))).size;
    await a.saver.commit();
    assert.equal((await stat(a.state.path(PROJECT_JOURNAL))).size, before, 'nothing changed: nothing written');
    await a.project.applyMixer('mute on', a.project.chains.get('c7'));
    await a.saver.commit();
    const grew = (await stat(a.state.path(PROJECT_JOURNAL))).size - before;
    assert.ok(grew < afterOne * 2, `a change to one chain of 51 writes that chain's part alone (${grew} bytes; the first chain's record was ${afterOne})`);
    await assert.rejects(stat(a.state.path(PROJECT_JSON)), { code: 'ENOENT' }, 'no snapshot yet: the journal holds it all');
    const want = chainLines(a.project).toString();
    // Not closed: as after kill -9.
    const b = await open(root);
    assert.equal(chainLines(b.project).toString(), want);
    assert.equal(b.project.mixerText(b.project.chains.get('one')), a.project.mixerText(a.project.chains.get('one')));
    assert.equal(b.project.mixerText(b.project.chains.get('c7')), a.project.mixerText(a.project.chains.get('c7')));
    await b.saver.close();
    await a.saver.close();
    await a.project.shutdown();
    await b.project.shutdown();
  });
});

test('a new chain adds a record of its own size to the journal, in a project of 1 or 1,000 chains; the chains come back in their order, also after /ctl is written anew', async () => {
  await withRoot(async (root) => {
    const a = await open(root);
    const journalBytes = async () => (await stat(a.state.path(PROJECT_JOURNAL))).size;
    const recordOf = async (line: string) => {
      // A fold the last change started (it begins after that change is acknowledged) moves the journal aside.
      await a.saver.flush();
      const before = existsSync(a.state.path(PROJECT_JOURNAL)) ? await journalBytes() : 0;
      await a.project.execRootLine(line);
      await a.saver.commit();
      return (await journalBytes()) - before;
    };
    const first = await recordOf('x1 cat | cat');
    for (let i = 0; i < 1000; i++) await a.project.execRootLine(`c${i} cat | cat`);
    await a.saver.commit();
    const later = await recordOf('x2 cat | cat');
    // The same record but for its number and the chain's place (a few more digits).
    assert.ok(later - first <= 8, `a record for a new chain: ${first} bytes in a project of none, ${later} in one of 1,001`);
    // /ctl written anew in another order (as cp -a and tar do after mkdir): the order is what is saved.
    const lines = chainLines(a.project).toString().split('\n').filter((l) => l !== '');
    const reordered = [...lines.slice(500), ...lines.slice(0, 500)].join('\n') + '\n';
    await a.project.execRootText(reordered);
    await a.saver.commit();
    assert.equal(chainLines(a.project).toString(), reordered, 'the project took the order');
    const b = await open(root);
    assert.equal(chainLines(b.project).toString(), reordered, 'journal alone (no snapshot yet)');
    await b.saver.close();
    const c = await open(root);
    assert.equal(chainLines(c.project).toString(), reordered, 'the snapshot written at close');
    const snapshot = JSON.parse(await readFile(c.state.path(PROJECT_JSON), 'utf8'));
    assert.deepEqual(snapshot.chains.map((ch: { name: string }) => ch.name), reordered.split('\n').filter((l) => l !== '').map((l) => l.split(' ')[0]), 'project.json lists the chains in order');
    await c.saver.close();
    await a.saver.close();
    for (const p of [a, b, c]) await p.project.shutdown();
  });
});

test('a state directory saved before chains had places (the root part lists them) comes back in its order, and chains made after it come after', async () => {
  await withRoot(async (root) => {
    const a = await open(root);
    await a.project.execRootLine('a1 cat');
    await a.project.execRootLine('a2 cat | cat');
    await a.saver.close();
    // As the version before wrote them: chains without places, and a record whose root part lists the chains.
    const snapshot = JSON.parse(await readFile(a.state.path(PROJECT_JSON), 'utf8'));
    for (const c of snapshot.chains) delete c.place;
    await writeFile(a.state.path(PROJECT_JSON), JSON.stringify(snapshot));
    const { chains, seq, ...rootPart } = snapshot;
    const c3 = { ...chains[0], name: 'c3' };
    const record = { seq: seq + 1, set: { root: { ...rootPart, chains: ['c3', 'a1', 'a2'] }, 'chain/c3': c3 }, del: [] };
    await writeFile(a.state.path(PROJECT_JOURNAL), `${JSON.stringify(record)}\n`);
    const b = await open(root);
    assert.equal(chainLines(b.project).toString(), 'c3 cat\na1 cat\na2 cat | cat\n', 'the order the record listed');
    await b.project.execRootLine('n4 cat');
    await b.saver.commit();
    // Not closed (kill -9), then closed and opened again.
    const c = await open(root);
    assert.equal(chainLines(c.project).toString(), 'c3 cat\na1 cat\na2 cat | cat\nn4 cat\n', 'after a crash');
    await c.project.execRootLine('n5 cat');
    await c.saver.close();
    const d = await open(root);
    assert.equal(chainLines(d.project).toString(), 'c3 cat\na1 cat\na2 cat | cat\nn4 cat\nn5 cat\n', 'after a close');
    await d.saver.close();
    await b.saver.close();
    for (const p of [a, b, c, d]) await p.project.shutdown();
  });
});

test('the journal is folded into the snapshot when it grows and at close; removed chains stay removed across the fold', async () => {
  await withRoot(async (root) => {
    const a = await open(root);
    // A record holds the chain a line made, not the project: the journal reaches its size after some hundreds.
    const n = await grow(a, () => existsSync(a.state.path(PROJECT_JSON)));
    const snapshot = JSON.parse(await readFile(a.state.path(PROJECT_JSON), 'utf8'));
    assert.ok(snapshot.seq > 0 && snapshot.chains.length > 0, 'folded while it grew');
    assert.ok((await stat(a.state.path(PROJECT_JOURNAL))).size < 2 * (await stat(a.state.path(PROJECT_JSON))).size + 256 * 1024);
    for (let i = 0; i < n; i += 2) await a.project.removeChain(a.project.chains.get(`c${i}`)!);
    await a.saver.commit();
    const want = chainLines(a.project).toString();
    const b = await open(root);
    assert.equal(chainLines(b.project).toString(), want, 'snapshot + journal');
    await b.project.execRootLine('late cat');
    await b.saver.close();
    assert.equal((await stat(b.state.path(PROJECT_JOURNAL))).size, 0, 'close folds the journal');
    const c = await open(root);
    assert.equal(chainLines(c.project).toString(), `${want}late cat\n`);
    await c.saver.close();
    await a.saver.close();
    for (const p of [a, b, c]) await p.project.shutdown();
  });
});

test('a change that starts a fold is acknowledged before the snapshot is written, and so are the ones during it', async () => {
  await withRoot(async (root) => {
    const a = await open(root);
    // The snapshot's write waits on a gate: the fold is under way as long as the test holds it.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const saveText = a.state.saveText.bind(a.state);
    let snapshots = 0;
    a.state.saveText = async (name, value) => {
      snapshots++;
      await gate;
      return saveText(name, value);
    };
    let i = 0;
    while (snapshots === 0) {
      assert.ok(i < 2000, 'the journal was folded within 2,000 chains');
      await a.project.execRootLine(`c${i++} cat | cat | cat`);
      await a.saver.commit();
    }
    await a.project.execRootLine('during cat');
    await a.saver.commit();
    assert.ok((await stat(a.state.path(`${PROJECT_JOURNAL}.folding`))).size > 0, 'the folded records wait beside the new journal');
    const want = chainLines(a.project).toString();
    // A crash now (the snapshot not written): the folded records and the new ones.
    const b = await open(root);
    assert.equal(chainLines(b.project).toString(), want, 'restored from the fold and the journal');
    await assert.rejects(stat(b.state.path(`${PROJECT_JOURNAL}.folding`)), { code: 'ENOENT' }, 'the restore finished the fold');
    assert.ok(JSON.parse(await readFile(b.state.path(PROJECT_JSON), 'utf8')).chains.length === i + 1, 'into the snapshot');
    await b.saver.close();
    await b.project.shutdown();
    release();
    await a.saver.close();
    await a.project.shutdown();
    assert.equal(i + 1, a.project.chains.size);
  });
});

/** Holds every snapshot write of `state` until released (or fails them while `fail` says so). */
function holdSnapshots(state: StateDir): { release: () => void; written: () => number; fail: (on: boolean) => void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const saveText = state.saveText.bind(state);
  let written = 0;
  let failing = false;
  state.saveText = async (name, value) => {
    written++;
    if (failing) throw Object.assign(new Error('ENOSPC: no space left on device (test)'), { code: 'ENOSPC' });
    await gate;
    return saveText(name, value);
  };
  return { release, written: () => written, fail: (on) => (failing = on) };
}

/** Makes chains c0, c1, ... committing each, until `until` says so (at most 2,000). */
async function grow(a: Saved, until: () => boolean, from = 0): Promise<number> {
  let i = from;
  while (!until()) {
    assert.ok(i < from + 2000, 'within 2,000 chains');
    await a.project.execRootLine(`c${i++} cat | cat | cat`);
    await a.saver.commit();
  }
  return i;
}

test('a change committed while the mount closes is stored or refused, never acknowledged and then folded away', async () => {
  await withRoot(async (root) => {
    const a = await open(root);
    for (let i = 0; i < 5; i++) await a.project.execRootLine(`c${i} cat`);
    await a.saver.commit();
    const held = holdSnapshots(a.state);
    const closing = a.saver.close();
    while (held.written() === 0) await new Promise((r) => setTimeout(r, 5));
    // The snapshot of the unmount is being written: a ctl line comes in.
    await a.project.execRootLine('late cat');
    const late = a.saver.commit().then(() => 'stored', () => 'refused');
    held.release();
    await closing;
    const outcome = await late;
    const b = await open(root);
    assert.equal(b.project.chains.has('late'), outcome === 'stored', `the late change was ${outcome}`);
    await b.saver.close();
    for (const p of [a, b]) await p.project.shutdown();
  });
});

test('close waits for a fold under way: the snapshot holds everything and no fold is left', async () => {
  await withRoot(async (root) => {
    const a = await open(root);
    const held = holdSnapshots(a.state);
    const n = await grow(a, () => held.written() > 0);
    const closing = a.saver.close();
    setTimeout(held.release, 100);
    await closing;
    await assert.rejects(stat(a.state.path(`${PROJECT_JOURNAL}.folding`)), { code: 'ENOENT' });
    assert.equal((await stat(a.state.path(PROJECT_JOURNAL))).size, 0);
    assert.equal(JSON.parse(await readFile(a.state.path(PROJECT_JSON), 'utf8')).chains.length, n);
    await a.project.shutdown();
  });
});

test('a fold that failed (full disk) is tried again as the journal grows; a restore that cannot finish one still restores', async () => {
  await withRoot(async (root) => {
    const a = await open(root);
    const held = holdSnapshots(a.state);
    held.release();
    held.fail(true);
    let n = await grow(a, () => held.written() > 0);
    n = await grow(a, () => held.written() > 3, n);
    assert.ok((await stat(a.state.path(`${PROJECT_JOURNAL}.folding`))).size > 0, 'the failed fold left its records beside the journal');
    const want = chainLines(a.project).toString();
    // A restore on the full disk: it cannot finish the fold, and serves the project anyway.
    const b = await open(root, (state) => holdSnapshots(state).fail(true));
    assert.equal(chainLines(b.project).toString(), want);
    await b.saver.close();
    await b.project.shutdown();
    // Space again: the next fold takes everything, and the folded records go.
    held.fail(false);
    const before = held.written();
    n = await grow(a, () => held.written() > before, n);
    await a.saver.flush();
    await a.saver.close();
    await assert.rejects(stat(a.state.path(`${PROJECT_JOURNAL}.folding`)), { code: 'ENOENT' });
    const c = await open(root);
    assert.equal(c.project.chains.size, n);
    await c.saver.close();
    for (const p of [a, c]) await p.project.shutdown();
  });
});
