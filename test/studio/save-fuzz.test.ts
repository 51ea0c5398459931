// A seeded fuzz of saving without a mount: chains made, removed, made again under the same name, /ctl written
// anew in another order, mixer and root changes, commits (some running beside the next change), crashes (a new
// saver on the same root, the old one killed as by kill -9, possibly in the middle of a fold), clean closes and
// folds of the journal. After each reopen the restored project must read as the live one did at its last
// commit; after each operation ChainLinesBytes (one instance kept across operations) must give the bytes of
// chainLines(). A restore that differs is noted and the run goes on from it, so one run shows every kind of
// fault; FUZZ_SEED=N runs another seed. Below it, each fault it found on its own, and ChainLinesBytes across
// the edges of the 256 changes Project.changedSince() names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Logger } from '../../lib/base/logger.js';
import type { Chain } from '../../lib/procchain/chain.js';
import type { InputStore } from '../../lib/procchain/input-store.js';
import { quoteWord } from '../../lib/procchain/tokenize.js';
import type { Journal } from '../../lib/state/journal.js';
import { StateDir } from '../../lib/state/state-dir.js';
import { Project } from '../../lib/studio/project.js';
import { ChainLinesBytes, chainLines, transportText } from '../../lib/studio/project-text.js';
import { SavedInputs, VersionedInput } from '../../lib/studio/saved-inputs.js';
import { PROJECT_JSON, StateSaver } from '../../lib/studio/state-saver.js';

/** mulberry32: a small PRNG, so that a run is reproducible from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Opened {
  project: Project;
  saver: StateSaver;
  state: StateDir;
  /** Kept across operations, as the mount keeps it for stats of /ctl. */
  bytes: ChainLinesBytes;
  /** Ends the saver as kill -9 would: what it has begun writing lands, nothing after it runs. */
  kill(): Promise<void>;
  /** Snapshot writes of project.json outside close (folds as the journal grew). */
  folds: number;
  /** Folds whose snapshot is on disk (their journal removed), and records appended since the last of them. */
  foldsEnded: number;
  recordsAfterFold: number;
  closing: boolean;
}

const NEVER = new Promise<never>(() => undefined);

/** Builds Project + StateDir + SavedInputs + StateSaver as the mount does (see state-saver.test.ts), with a saver that can be killed. */
async function open(root: string, options: { beforeSave?: (store: InputStore) => void } = {}): Promise<Opened> {
  const logger = new Logger({ level: 'error' });
  const state = await new StateDir(root).ensure();
  // Stores as the mount makes them (serve.ts): a saver copies one again when its version moved.
  let stores = 0;
  const project = new Project({
    format: { rate: 44100, channels: 2 }, logger, cwd: root, path: process.env.PATH ?? '/usr/bin:/bin', env: {},
    spillDir: state.spillDir, makeStore: () => new VersionedInput({ spillDir: state.spillDir, name: `in-${++stores}` }),
  });
  const inputs = new SavedInputs(join(state.spillDir, 'saved'));
  await inputs.ensure();
  if (options.beforeSave) {
    const save = inputs.save.bind(inputs);
    inputs.save = (store, busy) => {
      options.beforeSave!(store);
      return save(store, busy);
    };
  }
  // A long quiet time: what is saved is what the test commits (a crash loses exactly the changes after the last commit).
  const saver = new StateSaver(project, state, inputs, logger, { debounceMs: 60_000 });
  let killed = false;
  const inflight = new Set<Promise<unknown>>();
  const opened: Opened = {
    project, saver, state, bytes: new ChainLinesBytes(project), folds: 0, foldsEnded: 0, recordsAfterFold: 0, closing: false,
    kill: async () => {
      killed = true;
      project.onChange = () => undefined;
      const s = saver as unknown as { timer: NodeJS.Timeout | undefined };
      clearTimeout(s.timer);
      await Promise.allSettled([...inflight]);
    },
  };
  // Every write of the saver's files goes through here: one begun before the kill lands, none begins after it,
  // and what follows one that landed after the kill never runs.
  const killable = <T extends object>(obj: T, name: keyof T & string, onCall?: (args: unknown[]) => void, onDone?: () => void): void => {
    const orig = (obj[name] as unknown as (...args: unknown[]) => Promise<unknown>).bind(obj);
    (obj as Record<string, unknown>)[name] = async (...args: unknown[]): Promise<unknown> => {
      if (killed) return NEVER;
      onCall?.(args);
      await new Promise((r) => setImmediate(r));
      if (killed) return NEVER;
      const p = orig(...args);
      inflight.add(p);
      try {
        const r = await p;
        if (killed) return NEVER;
        onDone?.();
        return r;
      } catch (err) {
        if (killed) return NEVER;
        throw err;
      } finally {
        inflight.delete(p);
      }
    };
  };
  killable(state, 'saveText', (args) => {
    if (args[0] === PROJECT_JSON && !opened.closing) opened.folds++;
  });
  const journal = (saver as unknown as { journal: Journal }).journal;
  killable(journal, 'appendJson', undefined, () => opened.recordsAfterFold++);
  killable(journal, 'endFold', undefined, () => {
    if (opened.closing) return;
    opened.foldsEnded++;
    opened.recordsAfterFold = 0;
  });
  for (const m of ['beginFold', 'reset'] as const) killable(journal, m);
  await saver.restore();
  // As the mount does (serve.ts): a save looks again at the chains the project says changed (Project.changedSince).
  project.onChange = () => saver.schedule();
  opened.folds = opened.foldsEnded = opened.recordsAfterFold = 0;
  opened.bytes = new ChainLinesBytes(project);
  return opened;
}

/** How the project reads: what restoring it must give back. */
interface Reading {
  ctl: string;
  transport: string;
  names: string[];
  stages: Record<string, string[]>;
  mixers: Record<string, string>;
  master: string;
  comments: string;
  files: Record<string, string>;
  inputs: Record<string, string>;
}

async function storeText(store: { size: number; read(o: number, n: number): Buffer | Promise<Buffer> }): Promise<string> {
  return (await store.read(0, store.size)).toString('utf8');
}

async function reading(project: Project): Promise<Reading> {
  const chains = [...project.chains.values()];
  const files: Record<string, string> = {};
  const inputs: Record<string, string> = {};
  for (const [name, store] of project.userFiles.entries(project)) files[`/${name}`] = await storeText(store);
  for (const c of chains) {
    for (const [name, store] of project.userFiles.entries(c)) files[`/${c.name}/${name}`] = await storeText(store);
    if (c.input.size > 0) inputs[`/${c.name}/in`] = await storeText(c.input);
    for (const s of c.stages) {
      if (s.input.size > 0) inputs[`/${c.name}/${s.name}/in`] = await storeText(s.input);
      for (const [name, store] of project.userFiles.entries(s)) files[`/${c.name}/${s.name}/${name}`] = await storeText(store);
    }
  }
  return {
    ctl: chainLines(project),
    transport: transportText(project),
    names: chains.map((c) => c.name),
    stages: Object.fromEntries(chains.map((c) => [c.name, c.stages.map((s) => `${s.name}: ${s.argv.join(' ')}`)])),
    mixers: Object.fromEntries(chains.map((c) => [c.name, project.mixerText(c)])),
    master: project.mixerText(),
    comments: await storeText(project.comments),
    files,
    inputs,
  };
}

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'ké♪', 'x y', 'z9', 'w-1'];

test('seeded fuzz: restores equal the live project across crashes, closes and folds; ChainLinesBytes stays exact', async (t) => {
  const SEED = Number(process.env.FUZZ_SEED ?? 1);
  const OPS = 3000;
  const rnd = prng(SEED);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-fuzz-'));
  const root = join(dir, 'state');
  const all: Opened[] = [];
  const log: string[] = [];
  const stats = { crashes: 0, crashesAfterFold: 0, crashesAfterRecordsPastAFold: 0, closes: 0, folds: 0, bursts: 0, errors: 0 };
  const fail = (what: string): string => `seed ${SEED}: ${what}\nlast operations:\n${log.slice(-40).join('\n')}`;
  /** Restores that differed from what was saved, with the operations of the session before each. */
  const mismatches: string[] = [];
  let session: string[] = [];
  let step = 0;
  const note = (line: string): void => {
    log.push(line);
    session.push(line);
  };
  try {
    let live = await open(root);
    all.push(live);
    let committed = await reading(live.project);
    let foldsThisSession = 0;
    /** A second ChainLinesBytes looked at seldom: hundreds of changes come between two of its calls. */
    let seldom = new ChainLinesBytes(live.project);
    let pending: Promise<void> | undefined;

    const word = (): string => {
      const letters = 'abcdefghijklmnopqrstuvwxyzé♪';
      let w = '';
      for (let i = 0, n = 8 + int(40); i < n; i++) w += letters[int(letters.length)];
      return w;
    };
    const definition = (): string => {
      const stages: string[] = [];
      for (let i = 0, n = 1 + int(3); i < n; i++) {
        const cmd = pick(['cat', 'tee', 'dd', 'head']);
        const args: string[] = [];
        for (let j = 0, m = int(60); j < m; j++) args.push(word());
        stages.push([cmd, ...args].map(quoteWord).join(' '));
      }
      return stages.join(' | ');
    };
    const chains = (): Chain[] => [...live.project.chains.values()];
    const mixerLine = (): string => pick([`volume ${(rnd() * 2).toFixed(3)}`, `volume -${int(30)}dB`, `pan ${(rnd() * 2 - 1).toFixed(2)}`, `mute ${rnd() < 0.5 ? 'on' : 'off'}`, `solo ${rnd() < 0.5 ? 'on' : 'off'}`]);
    const removed = new Set<string>();

    const commit = async (): Promise<void> => {
      if (pending) await pending;
      pending = undefined;
      await live.saver.commit();
      committed = await reading(live.project);
    };
    const flush = async (store: InputStore): Promise<void> => {
      if (pending) await pending;
      pending = undefined;
      await live.saver.commit({ store });
      committed = await reading(live.project);
    };
    const reopen = async (how: 'crash' | 'close'): Promise<void> => {
      // A commit that ran beside a change saved some state in between: one more makes what is saved known.
      if (pending) await commit();
      const before = live;
      if (how === 'close') {
        before.closing = true;
        await before.saver.close();
        // Everything is saved at close.
        committed = await reading(before.project);
        stats.closes++;
      } else {
        await before.kill();
        stats.crashes++;
        if (foldsThisSession > 0) stats.crashesAfterFold++;
        if (before.foldsEnded > 0 && before.recordsAfterFold > 0) stats.crashesAfterRecordsPastAFold++;
      }
      stats.folds += before.folds;
      before.project.onChange = () => undefined;
      live = await open(root);
      all.push(live);
      foldsThisSession = 0;
      seldom = new ChainLinesBytes(live.project);
      const got = await reading(live.project);
      const differs = (Object.keys(committed) as (keyof Reading)[]).filter((k) => !isDeepStrictEqual(got[k], committed[k]));
      if (differs.length > 0) {
        const names = differs.includes('names') ? ` (chains ${JSON.stringify(got.names)}, expected ${JSON.stringify(committed.names)})` : '';
        mismatches.push(`operation ${step}, after a ${how}: the restored project's ${differs.join(', ')} differ${names}\n  the session's operations:\n    ${session.join('\n    ')}`);
        // Going on from what was restored: later sessions may show other faults.
        committed = got;
      }
      session = [];
    };

    const ops: Array<[number, string, () => Promise<void>]> = [
      [14, 'create', async () => {
        const free = NAMES.filter((n) => !live.project.chains.has(n) && !removed.has(n));
        if (free.length === 0) return;
        const name = pick(free);
        const line = `${quoteWord(name)} ${definition()}`;
        note(`execRootLine ${line.slice(0, 60)}…`);
        await live.project.execRootLine(line);
      }],
      [7, 'remove', async () => {
        if (live.project.chains.size === 0) return;
        const c = pick(chains());
        note(`removeChain ${c.name}`);
        await live.project.removeChain(c);
        removed.add(c.name);
      }],
      [6, 'recreate', async () => {
        const names = [...removed].filter((n) => !live.project.chains.has(n));
        if (names.length === 0) return;
        const name = pick(names);
        removed.delete(name);
        const line = `${quoteWord(name)} ${definition()}`;
        note(`execRootLine (again) ${line.slice(0, 60)}…`);
        await live.project.execRootLine(line);
      }],
      [6, 'rewrite /ctl', async () => {
        const lines = chainLines(live.project).split('\n').filter((l) => l !== '');
        for (let i = lines.length - 1; i > 0; i--) {
          const j = int(i + 1);
          [lines[i], lines[j]] = [lines[j], lines[i]];
        }
        // Some lines left out (those chains stay, before the others), some chains defined anew, one maybe made.
        const nameOf = (l: string): string => quoteWord(NAMES.find((n) => l.startsWith(`${quoteWord(n)} `))!);
        const kept = lines.filter(() => rnd() < 0.85).map((l) => (rnd() < 0.15 ? `${nameOf(l)} ${definition()}` : l));
        if (rnd() < 0.3) {
          const free = NAMES.filter((n) => !live.project.chains.has(n));
          if (free.length > 0) kept.splice(int(kept.length + 1), 0, `${quoteWord(pick(free))} ${definition()}`);
        }
        note(`execRootText ${kept.map(nameOf).join(',')}`);
        await live.project.execRootText(kept.map((l) => `${l}\n`).join(''));
      }],
      [14, 'mixer', async () => {
        if (live.project.chains.size === 0) return;
        const c = pick(chains());
        const text = mixerLine();
        note(`applyMixer ${c.name}: ${text}`);
        await live.project.applyMixer(text, c);
      }],
      [3, 'master', async () => {
        const text = pick([`volume ${(rnd() * 2).toFixed(2)}`, `mute ${rnd() < 0.5 ? 'on' : 'off'}`]);
        note(`applyMixer /: ${text}`);
        await live.project.applyMixer(text);
      }],
      [4, 'type', async () => {
        if (live.project.chains.size === 0) return;
        const c = pick(chains());
        const line = `type ${pick(['auto', 'midi', 'pcm', 'wav'])}`;
        note(`execChainLine ${c.name}: ${line}`);
        await live.project.execChainLine(c, line);
      }],
      [3, 'mkdir stage', async () => {
        if (live.project.chains.size === 0) return;
        const c = pick(chains());
        const name = `x${int(5)}`;
        if (c.stage(name)) return;
        note(`addStage ${c.name}/${name}`);
        live.project.addStage(c, name);
      }],
      [2, 'stage cmd', async () => {
        const stages = chains().flatMap((c) => c.stages.filter((s) => s.argv.length === 0).map((s) => [c, s] as const));
        if (stages.length === 0) return;
        const [c, s] = pick(stages);
        note(`setStageCommand ${c.name}/${s.name}`);
        await live.project.setStageCommand(c, s, `cat ${word()}`);
      }],
      [2, 'rm stage', async () => {
        const stages = chains().flatMap((c) => c.stages.map((s) => [c, s] as const));
        if (stages.length === 0) return;
        const [c, s] = pick(stages);
        note(`removeStage ${c.name}/${s.name}`);
        await live.project.removeStage(c, s);
      }],
      [4, 'transport', async () => {
        const line = pick(['steps 4', 'steps 2', `loop ${int(5)} ${5 + int(5)}`, 'loop off', 'collect on', 'collect off', 'trace on', 'trace off', 'realtime off', 'realtime on']);
        note(`execRootLine ${line}`);
        await live.project.execRootLine(line);
      }],
      [2, 'comments', async () => {
        const text = `note ${word()}\n`;
        note(`comments.write ${text.trim()}`);
        await live.project.comments.write(int(live.project.comments.size + 1), Buffer.from(text));
        live.project.onChange(null);
      }],
      [2, 'user file', async () => {
        const owners: Array<[object, string]> = [[live.project, ''], ...chains().map((c) => [c, `/${c.name}`] as [object, string])];
        const [owner, where] = pick(owners);
        const name = `note${int(3)}.txt`;
        if (rnd() < 0.3 && live.project.userFiles.get(owner, name)) {
          note(`userFiles.remove ${where}/${name}`);
          live.project.userFiles.remove(owner, name);
          return;
        }
        note(`userFiles.create ${where}/${name}, written, flushed`);
        const store = live.project.userFiles.create(owner, name, `${where}/${name}`);
        await store.write(int(store.size + 1), Buffer.from(`${word()}\n`));
        // A flush of the file is acknowledged once it is stored (Tree: onFlush -> project.persist -> commit).
        await flush(store);
      }],
      [3, 'write an in', async () => {
        const targets = chains().flatMap((c) => [[c, c.input, `/${c.name}/in`] as const, ...c.stages.map((s) => [c, s.input, `/${c.name}/${s.name}/in`] as const)]);
        if (targets.length === 0) return;
        const [, store, where] = pick(targets);
        note(`write ${where}, flushed`);
        if (rnd() < 0.2) await store.truncate(0);
        await store.write(int(store.size + 1), Buffer.from(`${word()} `));
        await flush(store);
      }],
      [10, 'commit', async () => {
        note('commit');
        await commit();
      }],
      [4, 'commit beside the next change', async () => {
        note('commit (not awaited)');
        if (pending) await pending;
        pending = live.saver.commit();
      }],
      [1, 'crash', async () => {
        if (rnd() < 0.7) {
          note('commit');
          await commit();
        }
        note('crash (kill -9, reopen)');
        await reopen('crash');
      }],
      [1, 'close', async () => {
        note('close, reopen');
        await reopen('close');
      }],
      [1, 'burst', async () => {
        // More than RECENT_CHANGES (256) changes between two calls of the kept ChainLinesBytes, or about as many.
        const n = pick([127, 128, 129, 255, 256, 257, 300, 520]);
        note(`burst of ${n} changes`);
        stats.bursts++;
        for (let i = 0; i < n; i++) {
          const cs = chains();
          if (cs.length === 0 || rnd() < 0.05) await live.project.execRootLine(`${quoteWord(pick(NAMES.filter((x) => !live.project.chains.has(x))) ?? 'a')} cat`).catch(() => undefined);
          else if (rnd() < 0.05) await live.project.removeChain(pick(cs));
          else await live.project.applyMixer(mixerLine(), pick(cs));
        }
      }],
    ];
    const total = ops.reduce((s, [w]) => s + w, 0);

    for (step = 0; step < OPS; step++) {
      let r = int(total);
      const op = ops.find(([w]) => (r -= w) < 0)!;
      const foldsBefore = live.folds;
      try {
        await op[2]();
      } catch (err) {
        // A change the project refused (a name in use, a file of the user's...) changes nothing to save wrongly.
        if (!(err instanceof Error) || !('code' in err)) throw err;
        note(`  refused: ${err.message.slice(0, 80)}`);
        stats.errors++;
      }
      if (live.folds > foldsBefore) {
        foldsThisSession += live.folds - foldsBefore;
        note(`  (fold ${live.folds})`);
      }
      assert.equal(live.bytes.get(), Buffer.byteLength(chainLines(live.project)), fail(`step ${step} (${op[1]}): ChainLinesBytes differs from chainLines()`));
      if (step % 97 === 96) {
        assert.equal(seldom.get(), Buffer.byteLength(chainLines(live.project)), fail(`step ${step}: the ChainLinesBytes looked at seldom differs`));
      }
    }
    await reopen('crash');
    await reopen('close');
    stats.folds += live.folds;
    t.diagnostic(`seed ${SEED}: ${JSON.stringify(stats)}; ${mismatches.length} restores differed`);
    await live.saver.close();
    assert.ok(stats.folds >= 1 && stats.crashesAfterRecordsPastAFold >= 1, `the journal was folded while it grew, and a crash came after records past a fold (${JSON.stringify(stats)})`);
    assert.equal(mismatches.length, 0, `seed ${SEED}: ${mismatches.length} of ${stats.crashes + stats.closes} restores differed from what was saved; the first:\n${mismatches.slice(0, 3).join('\n')}`);
  } finally {
    for (const o of all) {
      o.project.onChange = () => undefined;
      await o.kill();
      await (o.saver as unknown as { journal: Journal }).journal.close().catch(() => undefined);
      await o.project.shutdown();
    }
    await rm(dir, { recursive: true, force: true });
  }
});

// What the fuzz found, each on its own.

async function withRoot(body: (root: string, opened: Opened[]) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-fuzz-'));
  const opened: Opened[] = [];
  try {
    await body(join(dir, 'state'), opened);
  } finally {
    for (const o of opened) {
      await o.kill();
      await (o.saver as unknown as { journal: Journal }).journal.close().catch(() => undefined);
      await o.project.shutdown();
    }
    await rm(dir, { recursive: true, force: true });
  }
}

test('chains keep the places the mount gave them through a fold (project.json) and the records after it: a crash after a fold restores them in order', async () => {
  await withRoot(async (root, opened) => {
    const a = await open(root);
    opened.push(a);
    await a.project.execRootLine('first cat');
    await a.project.execRootLine('second cat');
    await a.project.execRootLine(`big cat ${'x'.repeat(60_000)}`);
    await a.saver.commit();
    // /ctl written anew in the same order (cp -a, tar): the chains' places are 4, 5 and 6 now.
    await a.project.execRootText(chainLines(a.project));
    await a.saver.commit();
    // The journal grows past 256 KiB and is folded: project.json keeps places 4, 5 and 6, as the records after it do.
    for (let i = 0; a.folds === 0; i++) {
      assert.ok(i < 100, 'the journal was folded');
      await a.project.applyMixer(`volume ${(i % 9) / 10}`, a.project.chains.get('big'));
      await a.saver.commit();
    }
    for (let i = 0; a.foldsEnded === 0; i++) {
      assert.ok(i < 500, 'the fold ended');
      await new Promise((r) => setTimeout(r, 10));
    }
    // A change to the first chain after the fold: its record gives it place 4 (the mount's), past big's 3 (the snapshot's).
    await a.project.applyMixer('mute on', a.project.chains.get('first'));
    await a.saver.commit();
    const want = await reading(a.project);
    assert.deepEqual(want.names, ['first', 'second', 'big']);
    await a.kill();
    const b = await open(root);
    opened.push(b);
    assert.deepEqual((await reading(b.project)).names, want.names, 'the chains come back in their order after a crash');
  });
});

for (const how of ['crash', 'close'] as const) {
  test(`a chain removed while a save copies its in stays removed (${how}, then reopen)`, async () => {
    await withRoot(async (root, opened) => {
      let gone: Chain | undefined;
      let removal: Promise<void> | undefined;
      // rm -r gone arrives while the save copies gone/in (a large input takes a while to copy).
      const a = await open(root, {
        beforeSave: (store) => {
          if (gone && store === gone.input && !removal) removal = a.project.removeChain(gone);
        },
      });
      opened.push(a);
      await a.project.execRootLine('keep cat');
      await a.project.execRootLine('gone cat');
      await a.saver.commit();
      const chain = a.project.chains.get('gone')!;
      await chain.input.write(0, Buffer.from('some audio'));
      await a.project.applyMixer('volume 0.5', chain);
      gone = chain;
      await a.saver.commit();
      assert.ok(removal, 'the chain was removed during the save');
      await removal;
      // The removal's own change is saved by the next commit.
      await a.saver.commit();
      assert.deepEqual([...a.project.chains.keys()], ['keep']);
      if (how === 'crash') await a.kill();
      else await a.saver.close();
      const b = await open(root);
      opened.push(b);
      assert.deepEqual([...b.project.chains.keys()], ['keep'], 'the removed chain stays removed');
    });
  });
}

test('ChainLinesBytes kept across any number of changes between two calls (the last 256 are named, then all are counted again)', async () => {
  const project = new Project({ format: { rate: 44100, channels: 2 }, logger: new Logger({ level: 'error' }), cwd: tmpdir(), path: process.env.PATH ?? '/usr/bin:/bin', env: {} });
  try {
    const bytes = new ChainLinesBytes(project);
    const rnd = prng(7);
    let n = 0;
    // Each change moves the bytes of /ctl's chain lines: a missed one shows.
    const change = async (): Promise<void> => {
      const chains = [...project.chains.values()];
      const r = rnd();
      if (chains.length < 3 || r < 0.3) await project.execRootLine(`c${n++} cat ${'y'.repeat(1 + Math.floor(rnd() * 50))}`);
      else if (r < 0.55) await project.removeChain(chains[Math.floor(rnd() * chains.length)]);
      else {
        const c = chains[Math.floor(rnd() * chains.length)];
        await project.setStageCommand(c, c.stages[0], `cat ${'z'.repeat(1 + Math.floor(rnd() * 50))}${n++}`);
      }
    };
    for (const gap of [0, 1, 2, 127, 128, 129, 130, 1, 254, 255, 256, 257, 258, 3, 300, 511, 512, 513, 128, 128, 128, 129, 256, 256]) {
      const version = project.version;
      for (let i = 0; i < gap; i++) await change();
      assert.equal(project.version - version, gap, 'one change each');
      assert.equal(bytes.get(), Buffer.byteLength(chainLines(project)), `after ${gap} changes`);
    }
  } finally {
    await project.shutdown();
  }
});
