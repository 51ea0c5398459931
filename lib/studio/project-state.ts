import { formatArgv } from '../procchain/tokenize.js';
import type { Chain, InputTypeSetting } from '../procchain/chain.js';
import type { InputStore } from '../procchain/input-store.js';
import type { Project } from './project.js';
import { transportLines } from './project-text.js';
import type { SavedInputs } from './saved-inputs.js';

/** One stage as saved: its name, command, mode, sched lines and the id of its saved input. */
export interface StageState {
  name: string;
  argv: string[];
  mode: number;
  sched: string[];
  input: number | null;
  /** The user's own files in the stage's directory. */
  files?: FileState[];
}

/** One file of the user's: its name and the id of its saved content (null when empty). */
export interface FileState {
  name: string;
  input: number | null;
}

/** One chain as saved, stages in order. */
export interface ChainState {
  name: string;
  mode: number;
  type: InputTypeSetting;
  live: boolean;
  /** NAME/mixer as it reads. */
  mixer: string;
  input: number | null;
  stages: StageState[];
  files?: FileState[];
}

/** What project.json holds: everything needed to rebuild the project without starting a process. */
export interface ProjectState {
  version: 1;
  /** The last journal record this snapshot holds (records up to it are skipped at restore). */
  seq?: number;
  /** /ctl lines of the transport settings (realtime off, loop, steps, collect, trace). */
  transport: string[];
  /** /mixer as it reads. */
  master: string;
  /** /comments, base64. */
  comments: string;
  chains: ChainState[];
  files?: FileState[];
}

const ROOT_PART = 'root';
const chainPart = (name: string): string => `chain/${name}`;

/** One chain as last captured: its name and part's name then, its part's text and the saved inputs it names. */
export interface CapturedChain {
  name: string;
  /** chainPart(name), made once: a save of a large project looks up every part by it. */
  key: string;
  text: string;
  ids: number[];
}

/** Which chains changed since the last capture: a set of them, or 'all' (a change that named none). */
export type ChangeScope = Set<Chain> | 'all';

/**
 * Takes the project in parts, saving each changed stored input on the way; `current` is false if one was busy.
 * A chain outside `scope` whose capture is in `cache` is taken from there (a change names the chain it touched);
 * `cache` is kept to the project's chains.
 */
export async function captureProject(project: Project, inputs: SavedInputs, options: { forced?: ReadonlySet<InputStore>; cache?: Map<Chain, CapturedChain>; scope?: ChangeScope } = {}): Promise<{ parts: ProjectParts; current: boolean; ids: Set<number> }> {
  const forced = options.forced ?? new Set();
  const cache = options.cache ?? new Map<Chain, CapturedChain>();
  const scope = options.scope ?? 'all';
  let current = true;
  let ids: number[] = [];
  const save = async (store: InputStore, live = false): Promise<number | null> => {
    if (live) return null;
    const r = await inputs.save(store, store.growing === true && !forced.has(store));
    current &&= r.current;
    if (r.id !== null) ids.push(r.id);
    return r.id;
  };
  const files = async (owner: object): Promise<FileState[]> => {
    const list: FileState[] = [];
    for (const [name, store] of project.userFiles.entries(owner)) list.push({ name, input: await save(store) });
    return list;
  };
  const parts: ProjectParts = new Map();
  const allIds = new Set<number>();
  for (const chain of project.chains.values()) {
    let captured = scope !== 'all' && !scope.has(chain) ? cache.get(chain) : undefined;
    if (captured?.name !== chain.name) {
      ids = [];
      const stages: StageState[] = [];
      for (const s of chain.stages) {
        stages.push({ name: s.name, argv: [...s.argv], mode: s.mode, sched: [...s.sched], input: await save(s.input), files: await files(s) });
      }
      const state: ChainState = {
        name: chain.name,
        mode: chain.mode,
        type: chain.inputType,
        live: chain.liveInput,
        mixer: project.mixerText(chain),
        input: await save(chain.input, chain.liveInput),
        stages,
        files: await files(chain),
      };
      captured = { name: chain.name, key: chainPart(chain.name), text: JSON.stringify(state), ids };
      cache.set(chain, captured);
    }
    parts.set(captured.key, captured.text);
    for (const id of captured.ids) allIds.add(id);
  }
  for (const chain of cache.keys()) if (project.chains.get(chain.name) !== chain) cache.delete(chain);
  ids = [];
  const comments = project.comments.read(0, project.comments.size);
  const root = { version: 1, transport: transportLines(project), master: project.mixerText(), comments: comments.toString('base64'), files: await files(project), chains: [...project.chains.keys()] };
  for (const id of ids) allIds.add(id);
  parts.set(ROOT_PART, JSON.stringify(root));
  return { parts, current, ids: allIds };
}

/** Rebuilds a saved project into an empty one; what cannot be restored is logged and skipped, no process starts. */
export async function restoreProject(project: Project, state: ProjectState, inputs: SavedInputs): Promise<void> {
  const log = project.logger;
  const attempt = async (what: string, f: () => Promise<unknown> | unknown): Promise<void> => {
    try {
      await f();
    } catch (err) {
      log.error(`state: ${what} not restored: ${(err as Error).message}`);
    }
  };
  const restoreFiles = async (owner: object, list: FileState[] | undefined, where: string): Promise<void> => {
    for (const f of list ?? []) {
      await attempt(`${where}/${f.name}`, async () => {
        const store = project.userFiles.create(owner, f.name, `${where}/${f.name}`);
        if (f.input !== null) await inputs.load(f.input, store);
      });
    }
  };
  for (const line of state.transport) await attempt(`'${line}'`, () => project.execRootLine(line));
  await restoreFiles(project, state.files, '');
  await attempt('/mixer', () => project.applyMixer(state.master));
  await attempt('/comments', () => project.comments.write(0, Buffer.from(state.comments, 'base64')));
  for (const c of state.chains) {
    await attempt(`chain ${c.name}`, async () => {
      const chain = await project.createChain(c.name, [], '/state');
      chain.mode = c.mode;
      chain.inputType = c.type;
      if (c.live) await project.execChainLine(chain, 'realtime on');
      for (const s of c.stages) {
        const stage = project.addStage(chain, s.name);
        if (s.argv.length > 0) {
          await project.setStageCommand(chain, stage, formatArgv(s.argv)).catch(() => {
            // Kept as written: the command may come back (PATH), and the stage still reads back.
            stage.argv = s.argv;
            stage.file = s.argv[0];
          });
        }
        stage.mode = s.mode;
        stage.sched = [...s.sched];
        if (s.input !== null) await attempt(`/${c.name}/${s.name}/in`, () => inputs.load(s.input!, stage.input));
        await restoreFiles(stage, s.files, `/${c.name}/${s.name}`);
      }
      await restoreFiles(chain, c.files, `/${c.name}`);
      await project.applyMixer(c.mixer, chain);
      if (c.input !== null && !c.live) await attempt(`/${c.name}/in`, () => inputs.load(c.input!, chain.input));
    });
  }
}

/** A saved project in parts, each a JSON text: 'root' (everything but the chains, which it names in order) and one per chain. */
export type ProjectParts = Map<string, string>;

/** One change of the saved project, as the journal holds it: the parts set (whole) and the parts gone. */
export interface JournalRecord {
  seq: number;
  set: Record<string, unknown>;
  del: string[];
}

/** The parts of a snapshot. */
export function partsOf(state: ProjectState): ProjectParts {
  const { chains, seq, ...root } = state;
  void seq; // the snapshot's, not a part's
  const parts: ProjectParts = new Map([[ROOT_PART, JSON.stringify({ ...root, chains: chains.map((c) => c.name) })]]);
  for (const c of chains) parts.set(chainPart(c.name), JSON.stringify(c));
  return parts;
}

/** The snapshot its parts make; throws when a part it names is missing or does not parse. */
export function stateOf(parts: ProjectParts): ProjectState {
  const rootText = parts.get(ROOT_PART);
  if (rootText === undefined) throw new Error('expected a root part, found none');
  const root = JSON.parse(rootText) as Omit<ProjectState, 'chains'> & { chains: string[] };
  const chains = root.chains.map((name) => {
    const text = parts.get(chainPart(name));
    if (text === undefined) throw new Error(`expected the part of chain '${name}', found none`);
    return JSON.parse(text) as ChainState;
  });
  const state = { ...root, chains };
  if (!isProjectState(state)) throw new Error('expected a version 1 project, got something else');
  return state;
}

/** What changed from `before` to `after` as the record numbered `seq`; undefined when nothing did. */
export function diffParts(before: ProjectParts, after: ProjectParts, seq: number): JournalRecord | undefined {
  const set: Record<string, unknown> = {};
  let changed = false;
  for (const [key, text] of after) {
    if (before.get(key) !== text) {
      set[key] = JSON.parse(text);
      changed = true;
    }
  }
  const del: string[] = [];
  for (const key of before.keys()) if (!after.has(key)) del.push(key);
  return changed || del.length > 0 ? { seq, set, del } : undefined;
}

/** The parts after a record. */
export function applyRecord(parts: ProjectParts, record: JournalRecord): ProjectParts {
  const next = new Map(parts);
  for (const key of record.del) next.delete(key);
  for (const [key, value] of Object.entries(record.set)) next.set(key, JSON.stringify(value));
  return next;
}

/** Whether a parsed journal line is a record this version reads. */
export function isJournalRecord(value: unknown): value is JournalRecord {
  const r = value as JournalRecord | undefined;
  return typeof r === 'object' && r !== null && Number.isInteger(r.seq) && typeof r.set === 'object' && r.set !== null && Array.isArray(r.del);
}

/** Whether a parsed JSON value looks like a ProjectState this version reads. */
export function isProjectState(value: unknown): value is ProjectState {
  const v = value as ProjectState | undefined;
  return typeof v === 'object' && v !== null && v.version === 1 && Array.isArray(v.chains) && Array.isArray(v.transport);
}
