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
  /**
   * Its place among the chains: the parts are put in order by it, so that a change saves the chains it touched
   * and no list of them all. A restored chain keeps it, and chains made later come after it (Project.placeOf).
   * Absent in what versions before places saved (a snapshot's `chains` are in order anyway).
   */
  place?: number;
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
const CHAIN_PART = 'chain/';
const chainPart = (name: string): string => `${CHAIN_PART}${name}`;

/** Which chains changed since the last capture: a set of them, or 'all' (a change that named none). */
export type ChangeScope = Set<Chain> | 'all';

/** What changed in the saved project since `parts`: the parts to set (their new texts) and the parts gone. */
export interface ProjectChanges {
  set: Map<string, string>;
  del: string[];
  /** False when a stored input was busy (a writer holds it): it is saved later. */
  current: boolean;
  /** Every saved input the project names, when that may have changed; undefined when it is as before. */
  ids: Set<number> | undefined;
}

/**
 * Takes what changed in the project since `parts` (the project as saved), saving each changed stored input on
 * the way. Only the chains in `scope` are looked at (a change names the chain it touched) and the root part,
 * so a change costs the same in a project of 1,000 chains as in one of 10. `inputsOf` holds the saved inputs
 * each chain named at its last capture, and is kept to the project's chains. The stores to copy are copied
 * first (the only I/O, and the only waits); the parts are then taken at once (Capture): this function stays
 * small, as does the job of V8's optimizing compiler when it becomes hot (the whole capture as one async
 * function took 13 ms to compile, on a thread a shell's ctl line then waited for).
 */
export async function captureChanges(project: Project, inputs: SavedInputs, parts: ProjectParts, options: { forced?: ReadonlySet<InputStore>; inputsOf: Map<Chain, readonly number[]>; scope: ChangeScope }): Promise<ProjectChanges> {
  const capture = new Capture(project, inputs, parts, options.forced ?? new Set(), options.inputsOf);
  const { scope } = options;
  if (scope !== 'all') {
    for (const store of capture.toCopy(scope)) await capture.copy(store);
    for (const chain of scope) capture.look(chain);
  }
  // Everything when asked, and when the chains captured are not the project's (a chain made or removed by a
  // change that did not name it): the count tells.
  const all = scope === 'all' || options.inputsOf.size !== project.chains.size;
  if (all) {
    const chains = new Set([...project.chains.values(), ...options.inputsOf.keys()]);
    for (const store of capture.toCopy(chains)) await capture.copy(store);
    for (const chain of chains) capture.look(chain);
    capture.dropGoneParts();
  }
  for (const store of capture.rootToCopy()) await capture.copy(store);
  return capture.changes(all);
}

/** One capture's parts, taken synchronously once the stores they name are copied (captureChanges). */
class Capture {
  private current = true;
  private idsMoved = false;
  /** The saved inputs named by the part being taken. */
  private ids: number[] = [];
  private readonly set = new Map<string, string>();
  private readonly del = new Set<string>();

  constructor(private readonly project: Project, private readonly inputs: SavedInputs, private readonly parts: ProjectParts,
    private readonly forced: ReadonlySet<InputStore>, private readonly inputsOf: Map<Chain, readonly number[]>) {}

  /** The stores of `chains` that changed since they were saved: to copy() first. */
  toCopy(chains: Iterable<Chain>): InputStore[] {
    const stale: InputStore[] = [];
    for (const chain of chains) {
      if (this.project.chains.get(chain.name) !== chain) continue;
      for (const s of chain.stages) {
        this.addStale(s.input, stale);
        this.addStaleFiles(s, stale);
      }
      if (!chain.liveInput) this.addStale(chain.input, stale);
      this.addStaleFiles(chain, stale);
    }
    return stale;
  }

  /** The root's stores (the user's files beside /ctl) that changed since they were saved. */
  rootToCopy(): InputStore[] {
    const stale: InputStore[] = [];
    this.addStaleFiles(this.project, stale);
    return stale;
  }

  /** Copies `store` to its file (a writer that opened it meanwhile leaves it for later). */
  async copy(store: InputStore): Promise<void> {
    this.current &&= (await this.inputs.save(store, this.busy(store))).current;
  }

  /** Takes a chain's part: set when its text changed; forgotten when the project no longer has it. */
  look(chain: Chain): void {
    const before = this.inputsOf.get(chain);
    // Also a chain removed while its stores were copied (rm -r during the copy of a large in).
    if (this.project.chains.get(chain.name) !== chain) return this.forget(chain);
    this.ids = [];
    const stages: StageState[] = [];
    for (const s of chain.stages) {
      stages.push({ name: s.name, argv: [...s.argv], mode: s.mode, sched: [...s.sched], input: this.idOf(s.input), files: this.files(s) });
    }
    const state: ChainState = {
      name: chain.name,
      mode: chain.mode,
      type: chain.inputType,
      live: chain.liveInput,
      mixer: this.project.mixerText(chain),
      input: chain.liveInput ? null : this.idOf(chain.input),
      stages,
      files: this.files(chain),
      place: this.project.placeOf(chain),
    };
    const key = chainPart(chain.name);
    const text = JSON.stringify(state);
    const ids = this.ids;
    if (!before || before.length !== ids.length || before.some((id, i) => id !== ids[i])) this.idsMoved = true;
    this.inputsOf.set(chain, ids);
    if (this.parts.get(key) !== text) this.set.set(key, text);
    this.del.delete(key);
  }

  /** Parts of chains the project no longer has (a restore's leftovers, or a removal whose save failed). */
  dropGoneParts(): void {
    for (const key of this.parts.keys()) if (key.startsWith(CHAIN_PART) && !this.project.chains.has(key.slice(CHAIN_PART.length))) this.del.add(key);
  }

  /** The root part, and what changed. */
  changes(all: boolean): ProjectChanges {
    const project = this.project;
    this.ids = [];
    const comments = project.comments.read(0, project.comments.size);
    const root = JSON.stringify({ version: 1, transport: transportLines(project), master: project.mixerText(), comments: comments.toString('base64'), files: this.files(project) });
    if (this.parts.get(ROOT_PART) !== root) {
      this.set.set(ROOT_PART, root);
      this.idsMoved = true;
    }
    let allIds: Set<number> | undefined;
    if (this.idsMoved || all) {
      allIds = new Set(this.ids);
      for (const chainIds of this.inputsOf.values()) for (const id of chainIds) allIds.add(id);
    }
    return { set: this.set, del: [...this.del], current: this.current, ids: allIds };
  }

  /** A chain the project no longer has (or has another of the same name): its capture goes, and its part with no chain of its name. */
  private forget(chain: Chain): void {
    const before = this.inputsOf.get(chain);
    this.inputsOf.delete(chain);
    if (before && before.length > 0) this.idsMoved = true;
    const key = chainPart(chain.name);
    if (this.project.chains.get(chain.name) === undefined) {
      this.set.delete(key);
      if (this.parts.has(key)) this.del.add(key);
    }
  }

  private addStale(store: InputStore, stale: InputStore[]): void {
    if (this.inputs.savedNow(store, this.busy(store)) === undefined) stale.push(store);
  }

  private addStaleFiles(owner: object, stale: InputStore[]): void {
    for (const [, store] of this.project.userFiles.entries(owner)) this.addStale(store, stale);
  }

  private files(owner: object): FileState[] {
    const list: FileState[] = [];
    for (const [name, store] of this.project.userFiles.entries(owner)) list.push({ name, input: this.idOf(store) });
    return list;
  }

  /**
   * The saved input a part names for `store`: its file's id as saved now. A store that changed since it was
   * copied (or looked at) names the file it was last saved to, and the capture is not current: it is saved
   * again later.
   */
  private idOf(store: InputStore): number | null {
    const r = this.inputs.savedNow(store, this.busy(store)) ?? { id: this.inputs.lastId(store), current: false };
    this.current &&= r.current;
    if (r.id !== null) this.ids.push(r.id);
    return r.id;
  }

  private busy(store: InputStore): boolean {
    return store.growing === true && !this.forced.has(store);
  }
}

/** The journal record (its JSON text) that makes `changes`, numbered `seq`; undefined when nothing changed. */
export function recordText(changes: ProjectChanges, seq: number): string | undefined {
  if (changes.set.size === 0 && changes.del.length === 0) return undefined;
  // The parts' texts are JSON already: the record is put together, not parsed and written again.
  let set = '';
  for (const [key, text] of changes.set) set += `${set === '' ? '' : ','}${JSON.stringify(key)}:${text}`;
  return `{"seq":${seq},"set":{${set}},"del":${JSON.stringify(changes.del)}}`;
}

/** Makes `changes` in `parts`. */
export function applyChanges(parts: ProjectParts, changes: Pick<ProjectChanges, 'set' | 'del'>): void {
  for (const key of changes.del) parts.delete(key);
  for (const [key, text] of changes.set) parts.set(key, text);
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
  // The places saved, when they say the order the chains come in (not a mix of a snapshot's places and chains
  // an older version's records added without one): then what is saved later goes on from them. Otherwise the
  // chains are numbered afresh, and the first save writes every chain's part again.
  const keepPlaces = placesInOrder(state.chains);
  for (const line of state.transport) await attempt(`'${line}'`, () => project.execRootLine(line));
  await restoreFiles(project, state.files, '');
  await attempt('/mixer', () => project.applyMixer(state.master));
  await attempt('/comments', () => project.comments.write(0, Buffer.from(state.comments, 'base64')));
  for (const c of state.chains) {
    await attempt(`chain ${c.name}`, async () => {
      const chain = await project.createChain(c.name, [], '/state');
      if (keepPlaces) project.restorePlace(chain, c.place!);
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

/** Whether every chain has a place and they rise in the chains' order (what a version before places saved has none). */
function placesInOrder(chains: readonly ChainState[]): boolean {
  return chains.every((c, i) => c.place !== undefined && (i === 0 || c.place > chains[i - 1].place!));
}

/** The parts of a snapshot: the root, and each chain with its place (all numbered by their order when some have none). */
export function partsOf(state: ProjectState): ProjectParts {
  const { chains, seq, ...root } = state;
  void seq; // the snapshot's, not a part's
  const parts: ProjectParts = new Map([[ROOT_PART, JSON.stringify(root)]]);
  const placed = placesInOrder(chains);
  chains.forEach((c, i) => parts.set(chainPart(c.name), JSON.stringify({ ...c, place: placed ? c.place : i + 1 })));
  return parts;
}

/**
 * The snapshot its parts make, chains in the order of their places; throws when a part does not parse. A
 * root part that lists the chains (as saved before chains had places) says their order itself.
 */
export function stateOf(parts: ProjectParts): ProjectState {
  const rootText = parts.get(ROOT_PART);
  if (rootText === undefined) throw new Error('expected a root part, found none');
  const root = JSON.parse(rootText) as Omit<ProjectState, 'chains'> & { chains?: string[] };
  let chains: ChainState[];
  if (Array.isArray(root.chains)) {
    chains = root.chains.map((name) => {
      const text = parts.get(chainPart(name));
      if (text === undefined) throw new Error(`expected the part of chain '${name}', found none`);
      return JSON.parse(text) as ChainState;
    });
  } else {
    chains = [];
    for (const [key, text] of parts) if (key.startsWith(CHAIN_PART)) chains.push(JSON.parse(text) as ChainState);
    chains.sort((a, b) => (a.place ?? 0) - (b.place ?? 0));
  }
  const state = { ...root, chains };
  if (!isProjectState(state)) throw new Error('expected a version 1 project, got something else');
  return state;
}

/** A chain part's place, written last in it (JSON.stringify keeps the order the part was made in); undefined when it is not. */
function placeAtEnd(text: string): number | undefined {
  // Read from the end, a character at a time: `,"place":` and digits before the closing brace. (A search or a
  // regular expression over each part cost ~1 ms a fold of 1,500 chains.)
  const close = text.length - 1;
  if (text.charCodeAt(close) !== 0x7d) return undefined;
  let at = close;
  while (at > 0 && text.charCodeAt(at - 1) >= 0x30 && text.charCodeAt(at - 1) <= 0x39) at--;
  if (at === close || !text.endsWith(',"place":', at)) return undefined;
  return Number(text.slice(at, close));
}

/**
 * project.json's text for `parts` up to record `seq`, in pieces (their concatenation): stateOf(parts) with
 * `seq`, put together from the parts' texts without parsing or joining them, so that the thread that answers
 * requests is held a few tenths of a ms by a fold of 1,500 chains, not 2-3 ms (the writer encodes and writes the
 * pieces a batch at a time).
 */
export function snapshotPieces(parts: ProjectParts, seq: number): string[] {
  const rootText = parts.get(ROOT_PART);
  if (rootText === undefined) throw new Error('expected a root part, found none');
  const parsed = () => [`${JSON.stringify({ ...stateOf(parts), seq })}\n`];
  // Saved before chains had places: the root part lists them.
  if (rootText.includes('"chains":')) return parsed();
  const chains: { place: number; text: string }[] = [];
  for (const [key, text] of parts) {
    if (!key.startsWith(CHAIN_PART)) continue;
    const place = placeAtEnd(text);
    if (place === undefined) return parsed();
    chains.push({ place, text });
  }
  chains.sort((a, b) => a.place - b.place);
  const root = rootText.slice(0, rootText.lastIndexOf('}'));
  const pieces = [`${root}${root.endsWith('{') ? '' : ','}"seq":${seq},"chains":[`];
  chains.forEach((c, i) => (i === 0 ? pieces.push(c.text) : pieces.push(',', c.text)));
  pieces.push(']}\n');
  return pieces;
}

/** Makes a journal record's changes in `parts`. */
export function applyRecord(parts: ProjectParts, record: JournalRecord): void {
  applyChanges(parts, { del: record.del, set: new Map(Object.entries(record.set).map(([key, value]) => [key, JSON.stringify(value)])) });
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
