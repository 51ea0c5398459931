import { AudiofsError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { formatEnv, type PcmFormat } from '../base/pcm-format.js';
import { Engine } from '../mix/engine.js';
import { applyStripText, defaultStrip, formatStrip, type StripSettings } from '../mix/strip.js';
import { formatChannelMap } from '../mix/trace.js';
import { Chain } from '../procchain/chain.js';
import { MemoryInputStore, type InputStore } from '../procchain/input-store.js';
import { resolveCommand } from '../procchain/resolve-command.js';
import { StoredInput } from '../sequencer/stored-input.js';
import { parseSchedLine } from '../procchain/sched.js';
import { checkCpuList } from '../procchain/machine-cpus.js';
import { parseSsh } from '../procchain/launch.js';
import { Stage } from '../procchain/stage.js';
import { stageNames } from '../procchain/stage-names.js';
import { splitStages, type StageArgv } from '../procchain/tokenize.js';
import { parseChainLine, parseRootLine, type RootCommand } from './ctl-grammar.js';
import { LiveInput } from './live-input.js';
import { checkName, CHAIN_FILES, ROOT_FILES } from './names.js';
import { Outputs } from './outputs.js';
import { Transport } from './transport.js';
import { checkVerb } from './roles.js';
import { cwdOf, type CommandContext } from './caller.js';
import { textLines } from '../base/text-lines.js';
import { resolve as resolvePath } from 'node:path';
import { dispose, UserFiles } from './user-files.js';
import { gcStats } from '../base/gc-stats.js';

/** What a project needs from the process hosting it. */
export interface ProjectOptions {
  format: PcmFormat;
  logger: Logger;
  /** audiofs's working directory (relative commands, clients' cwd). */
  cwd: string;
  /** PATH for finding commands (audiofs's own bin/ appended). */
  path: string;
  /** The environment every client starts with (the audio format is added). */
  env: Record<string, string | undefined>;
  /** Makes the store behind an `in` file. */
  makeStore?: () => InputStore;
  /** --debug: trace each spawned command line. */
  trace?: (message: string) => void;
  /** Frames per engine period (default 512). */
  period?: number;
  /** Where converted inputs are written while they play (the state directory's spill directory). */
  spillDir?: string;
}

/** The studio: chains in order, the transport and its settings; what the ctl files drive. */
/** The most lines a stage's sched file holds (nice, rt and cpu: a few lines say all there is). */
export const MAX_SCHED_LINES = 16;

/** How many of the last changes Project.changedSince() can name (more than come between two stats of /ctl). */
const RECENT_CHANGES = 256;

export class Project {
  readonly chains = new Map<string, Chain>();
  readonly strips = new Map<Chain, StripSettings>();
  readonly engine: Engine;
  readonly outputs: Outputs;
  readonly transport: Transport;
  /** /comments: free text for humans, never parsed. */
  readonly comments = new MemoryInputStore();
  /** The user's own files in the tree's directories. */
  readonly userFiles: UserFiles;
  /** Counts changes: what is made from the project (the /ctl text, /status) is made again when it moves. */
  version = 0;
  /** Each chain's place in `chains` (a later chain has a larger one): a save names a chain's place without listing every chain. */
  private readonly places = new WeakMap<Chain, number>();
  /** The chains each rewrite of /ctl named, in its order (placeRewritten); keyed by the rewrite's context. */
  private readonly rewrites = new WeakMap<object, Chain[]>();
  private lastPlace = 0;
  private listener: (chain?: Chain | null) => void = () => undefined;
  /**
   * A change: to `chain` alone when given, to the root settings alone (transport, master, comments) when null,
   * to anything when undefined. What is saved is what it touched and the root settings.
   */
  private readonly changed = (chain?: Chain | null): void => {
    this.version++;
    this.recent.push(chain);
    if (this.recent.length > RECENT_CHANGES) this.recent.splice(0, this.recent.length - RECENT_CHANGES / 2);
    this.listener(chain);
  };
  /** What the last changes touched, oldest first: the last is the change that made `version`. */
  private readonly recent: (Chain | null | undefined)[] = [];
  /**
   * Stores every change made so far (and `store`, even while a writer holds it), resolving once it is on disk:
   * a write is acknowledged only after. Set by the host (the state saver); without one there is nothing to wait for.
   */
  persist: (options?: { store?: InputStore }) => Promise<void> = async () => undefined;

  constructor(readonly options: ProjectOptions) {
    gcStats(); // counted from here
    this.userFiles = new UserFiles({ makeStore: () => this.newStore(), changed: () => this.onChange() });
    this.engine = new Engine({ format: options.format, period: options.period, logger: options.logger });
    this.outputs = new Outputs(this.engine, options.logger, options.format);
    this.transport = new Transport({
      chains: () => [...this.chains.values()],
      format: options.format,
      logger: options.logger,
      env: options.env,
      cwd: options.cwd,
      spillDir: options.spillDir,
      trace: options.trace,
      changed: () => this.onChange(),
      stripOf: (chain) => this.stripOf(chain),
    }, this.engine, this.outputs);
  }

  /** Called after any change worth saving or showing; setting it sets what else happens (the saver). */
  get onChange(): (chain?: Chain | null) => void {
    return this.changed;
  }

  set onChange(f: (chain?: Chain | null) => void) {
    this.listener = f;
  }

  /** Export mode off (realtime) or on. */
  get realtime(): boolean {
    return this.transport.plan.realtime;
  }

  /** A chain's mixer strip. */
  stripOf(chain: Chain): StripSettings {
    let s = this.strips.get(chain);
    if (!s) this.strips.set(chain, (s = defaultStrip()));
    return s;
  }

  /** What NAME/mixer reads back. */
  mixerText(chain?: Chain): string {
    return chain ? formatStrip(this.stripOf(chain)) : formatStrip(this.engine.mixer.master, { master: true });
  }

  /** A write to NAME/mixer or /mixer: all lines or none. */
  async applyMixer(text: string, chain?: Chain): Promise<void> {
    const where = chain ? `/${chain.name}/mixer` : '/mixer';
    await this.logged(where, text.trim(), async () => {
      if (!chain) {
        Object.assign(this.engine.mixer.master, applyStripText(this.engine.mixer.master, text, { master: true, path: where }));
      } else {
        const next = applyStripText(this.stripOf(chain), text, { path: where });
        this.strips.set(chain, next);
      }
      this.onChange(chain ?? null);
    });
  }

  /** What /channels reads: which channels of /out belong to which chain (with trace on). */
  channelsText(): string {
    return formatChannelMap(this.engine.channelMap());
  }

  get logger(): Logger {
    return this.options.logger;
  }

  /**
   * What the mount holds in memory: its resident size, its garbage collections so far (full ones, pauses over
   * LONG_PAUSE_MS, the longest pause), and every stored input of the process not disposed (chains' and stages'
   * `in` and the user's files; one dropped without being disposed stays counted).
   */
  memory(): { rss_bytes: number; full_gcs: number; gc_pauses_over_50ms: number; gc_longest_pause_ms: number; inputs: number; inputs_in_memory_bytes: number; inputs_spilled: number } {
    const inputs = StoredInput.census();
    const gc = gcStats();
    return {
      rss_bytes: process.memoryUsage.rss(), full_gcs: gc.full, gc_pauses_over_50ms: gc.longPauses, gc_longest_pause_ms: Math.round(gc.longestMs),
      inputs: inputs.inputs, inputs_in_memory_bytes: inputs.memoryBytes, inputs_spilled: inputs.spilled,
    };
  }

  /** An empty store for an `in` or a file of the user's (spilled to the state directory when large). */
  newStore(): InputStore {
    return this.options.makeStore?.() ?? new MemoryInputStore();
  }

  /**
   * Checks a line of /ctl as execRootLine would before it acts (its grammar, who may say it, a chain's programs);
   * a bad one throws, logged.
   */
  async checkRootLine(line: string, how: CommandContext = { rewrite: false }): Promise<void> {
    await this.logged('/ctl', line, async () => {
      const cmd = parseRootLine(line, '/ctl');
      checkVerb(how.role ?? 'owner', cmd.verb, 'root', '/ctl');
      if (cmd.verb === 'chain') await Promise.all(cmd.stages.map((argv) => this.resolve(argv[0], '/ctl')));
    });
  }

  /**
   * Applies one line of /ctl; a bad line throws (and is logged) and changes nothing. A chain line for a
   * chain that exists is taken when it says what the chain is (or completes one made with mkdir); written
   * anew (`rewrite`: O_TRUNC, or tar creating ctl again), it replaces a chain that differs.
   */
  async execRootLine(line: string, how: CommandContext = { rewrite: false }): Promise<void> {
    await this.logged('/ctl', line, async () => {
      const cmd = parseRootLine(line, '/ctl');
      checkVerb(how.role ?? 'owner', cmd.verb, 'root', '/ctl');
      await this.execRoot(cmd, how);
    });
  }

  /** A whole /ctl text (a file renamed onto /ctl): every line is checked before any is applied. */
  async execRootText(text: string): Promise<void> {
    const lines = textLines(text);
    const commands = lines.map((line) => parseRootLine(line, '/ctl'));
    for (const [i, c] of commands.entries()) {
      if (c.verb === 'chain') await this.logged('/ctl', lines[i], () => Promise.all(c.stages.map((argv) => this.resolve(argv[0], '/ctl'))).then(() => undefined));
    }
    // One rewrite: the chains its lines name are put in its order among themselves (placeRewritten).
    const how: CommandContext = { rewrite: true };
    for (const [i, c] of commands.entries()) await this.logged('/ctl', lines[i], () => this.execRoot(c, how));
  }

  /** A whole NAME/ctl text: every line is checked before any is applied. */
  async execChainText(chain: Chain, text: string): Promise<void> {
    const lines = textLines(text);
    for (const line of lines) await this.checkChainLine(chain, line);
    for (const line of lines) await this.execChainLine(chain, line);
  }

  /** A whole `sched` text: every line is checked, then they replace the stage's lines. */
  async replaceSched(chain: Chain, stage: Stage, text: string): Promise<void> {
    const where = `/${chain.name}/${stage.name}/sched`;
    const lines = textLines(text).map((l) => l.trim());
    if (lines.length > MAX_SCHED_LINES) {
      await this.logged(where, `${lines.length} lines`, async () => {
        throw new AudiofsError('EFBIG', 'rename', where, `${lines.length} lines (expected at most ${MAX_SCHED_LINES})`);
      });
    }
    for (const line of lines) await this.logged(where, line, async () => void parseSchedLine(line, where));
    stage.sched = [];
    for (const line of lines) await this.addSched(chain, stage, line);
    this.onChange(chain);
  }

  /** A file renamed onto an `in` becomes that input as it is (no copy). */
  adoptInput(chain: Chain, stage: Stage | undefined, store: InputStore): void {
    const where = stage ? `/${chain.name}/${stage.name}/in` : `/${chain.name}/in`;
    if (!stage && chain.liveInput) throw new AudiofsError('EINVAL', 'rename', where, "a live input takes writes as they come (expected 'realtime off' in its ctl first)");
    const old = stage ? stage.input : chain.input;
    if (stage) stage.input = store;
    else chain.input = store;
    void dispose(old);
    if (stage) chain.run?.inject(stage);
    else chain.run?.poke();
    this.onChange(chain);
  }

  /** Checks a line of NAME/ctl as execChainLine would before it acts; a bad one throws, logged. */
  async checkChainLine(chain: Chain, line: string, how: CommandContext = { rewrite: false }): Promise<void> {
    const where = `/${chain.name}/ctl`;
    await this.logged(where, line, async () => {
      checkVerb(how.role ?? 'owner', parseChainLine(line, where).verb, 'chain', where);
    });
  }

  /** Applies one line of NAME/ctl. */
  async execChainLine(chain: Chain, line: string, how: CommandContext = { rewrite: false }): Promise<void> {
    const where = `/${chain.name}/ctl`;
    await this.logged(where, line, async () => {
      const cmd = parseChainLine(line, where);
      checkVerb(how.role ?? 'owner', cmd.verb, 'chain', where);
      switch (cmd.verb) {
        case 'play': return this.transport.playChain(chain);
        case 'stop': return this.transport.stopChain(chain);
        case 'restart':
          await this.transport.stopChain(chain);
          return this.transport.playChain(chain);
        case 'realtime':
          if (chain.liveInput !== cmd.on) chain.input = cmd.on ? this.liveInputOf(chain) : this.options.makeStore?.() ?? new MemoryInputStore();
          chain.liveInput = cmd.on;
          break;
        case 'type': chain.inputType = cmd.type; break;
      }
      this.onChange(chain);
    });
  }

  private liveInputOf(chain: Chain): LiveInput {
    const where = `/${chain.name}/in`;
    return new LiveInput({ where, onRefused: (detail) => this.options.logger.warn(`${where}: ${detail}`) });
  }

  /**
   * A chain line for a name: makes the chain, or leaves it as it is when the line says what it is, or
   * completes a chain whose stages the line names (made by mkdir, as cp -a and rsync do), or, with
   * `rewrite`, replaces a chain that differs (stages of the same name keep their inputs and sched lines).
   */
  async defineChain(name: string, stages: readonly StageArgv[], how: { rewrite: boolean }, where = '/ctl'): Promise<Chain> {
    const chain = this.chains.get(name);
    if (!chain) {
      const made = await this.createChain(name, stages, where);
      if (how.rewrite) this.placeRewritten(made, how);
      return made;
    }
    // A whole /ctl written anew says the chains' order too (cp -a may have made their directories first).
    if (how.rewrite) this.placeRewritten(chain, how);
    const names = stageNames(stages, CHAIN_FILES);
    const same = (s: Stage, i: number) => s.name === names[i] && sameArgv(s.argv, stages[i]);
    if (chain.stages.length === stages.length && chain.stages.every(same)) return chain;
    const completes = chain.stages.every((s) => {
      const i = names.indexOf(s.name);
      return i >= 0 && (s.argv.length === 0 || sameArgv(s.argv, stages[i]));
    });
    if (!completes && !how.rewrite) throw new AudiofsError('EEXIST', 'write', where, `chain '${name}' exists as '${chain.definition}' (expected a new name, or rm -r ${name} first)`);
    const files = await Promise.all(stages.map((argv) => this.resolve(argv[0], where)));
    for (const n of names) {
      if (!chain.stage(n) && this.userFiles.get(chain, n)) throw new AudiofsError('EEXIST', 'write', where, `'${name}/${n}' is a file of yours (expected it gone before the stage is made)`);
    }
    if (chain.run && !chain.run.ended) {
      this.logger.info(`chain ${name} stopped to be redefined`);
      await this.transport.stopChain(chain);
    }
    const kept = new Set<Stage>();
    const before = chain.stages;
    chain.stages = names.map((n, i) => {
      const old = chain.stage(n);
      if (!old) return this.newStage(n, stages[i], files[i]);
      kept.add(old);
      old.argv = stages[i];
      old.file = files[i];
      return old;
    });
    for (const s of before) if (!kept.has(s)) await this.dropStage(s);
    this.logger.info(`chain ${name} defined: ${chain.definition}`);
    this.onChange(chain);
    return chain;
  }

  /** Makes a chain from `NAME cmd args | cmd args`; nothing is made when any command is missing. */
  async createChain(name: string, stages: readonly StageArgv[], where = '/ctl'): Promise<Chain> {
    checkName(name, 'chain', where, ROOT_FILES);
    if (this.userFiles.get(this, name)) throw new AudiofsError('EEXIST', 'write', where, `'${name}' is a file of yours (expected a new name)`);
    if (this.chains.has(name)) throw new AudiofsError('EEXIST', 'write', where, `chain '${name}' exists (expected a new name, or rm -r ${name} first)`);
    const files = await Promise.all(stages.map((argv) => this.resolve(argv[0], where)));
    const chain = new Chain(name, this.options.makeStore?.());
    const names = stageNames(stages, CHAIN_FILES);
    chain.stages = stages.map((argv, i) => this.newStage(names[i], argv, files[i]));
    this.putLast(chain);
    this.logger.info(`chain ${name} made: ${chain.definition || '(empty)'}`);
    this.onChange(chain);
    return chain;
  }

  /**
   * The chains changed since the project was at `version` (what is made from a few chains is kept up to date
   * without looking at all of them), or 'all' when a change named none or that is too long ago. The root
   * settings' changes (null) touch no chain.
   */
  changedSince(version: number): Set<Chain> | 'all' {
    const count = this.version - version;
    if (count < 0 || count > this.recent.length) return 'all';
    const chains = new Set<Chain>();
    for (let i = this.recent.length - count; i < this.recent.length; i++) {
      const c = this.recent[i];
      if (c === undefined) return 'all';
      if (c !== null) chains.add(c);
    }
    return chains;
  }

  /** Where `chain` stands among the chains: larger is later (0 for a chain not in the project). */
  placeOf(chain: Chain): number {
    return this.places.get(chain) ?? 0;
  }

  /**
   * Gives a restored chain the place it was saved with: what is saved later goes on from the places on disk
   * (a chain made after the restore comes after every one of them).
   */
  restorePlace(chain: Chain, place: number): void {
    this.places.set(chain, place);
    if (place > this.lastPlace) this.lastPlace = place;
  }

  /**
   * A chain named by a rewrite of /ctl (one open written anew, or one text renamed onto it): the chains that
   * rewrite named so far take, in its order, the places they held among the chains (a chain it made holds the
   * last); the chains it does not name keep theirs. So a /ctl rewritten without a chain's line (sed -i '/^c /d',
   * a tar x of an older project) leaves that chain, and every channel, where it was.
   */
  private placeRewritten(chain: Chain, how: object): void {
    let named = this.rewrites.get(how);
    if (!named) this.rewrites.set(how, (named = []));
    if (!named.includes(chain)) named.push(chain);
    const here = named.filter((c) => this.chains.get(c.name) === c);
    const order = [...this.chains.values()];
    const isNamed = new Set(here);
    const slots = order.flatMap((c, i) => (isNamed.has(c) ? [i] : []));
    const places = here.map((c) => this.placeOf(c)).sort((a, b) => a - b);
    here.forEach((c, k) => {
      order[slots[k]] = c;
      if (this.places.get(c) !== places[k]) {
        this.places.set(c, places[k]);
        this.onChange(c);
      }
    });
    this.chains.clear();
    for (const c of order) this.chains.set(c.name, c);
  }

  private putLast(chain: Chain): void {
    this.chains.delete(chain.name);
    this.chains.set(chain.name, chain);
    this.places.set(chain, ++this.lastPlace);
  }

  /** Ends a chain's processes and forgets it. */
  async removeChain(chain: Chain): Promise<void> {
    this.chains.delete(chain.name);
    await this.transport.partRemoved(`chain ${chain.name}`);
    await chain.run?.stop();
    this.engine.removeSource(chain.name);
    // After its source left the mix (which reads the strip each period).
    this.strips.delete(chain);
    chain.out.abort();
    for (const s of chain.stages) await this.dropStage(s);
    this.userFiles.removeAll(chain);
    void dispose(chain.input);
    this.logger.info(`chain ${chain.name} removed`);
    this.onChange(chain);
  }

  /** Adds a stage with no command yet (mkdir NAME/STAGE); its `cmd` gives it one. */
  addStage(chain: Chain, name: string): Stage {
    checkName(name, 'stage', `/${chain.name}`, CHAIN_FILES);
    if (this.userFiles.get(chain, name)) throw new AudiofsError('EEXIST', 'mkdir', `/${chain.name}/${name}`, `'${name}' is a file of yours`);
    if (chain.stage(name)) throw new AudiofsError('EEXIST', 'mkdir', `/${chain.name}/${name}`);
    const stage = this.newStage(name, [], '');
    chain.stages.push(stage);
    this.onChange(chain);
    return stage;
  }

  /** Ends a stage's process and closes the gap. */
  async removeStage(chain: Chain, stage: Stage): Promise<void> {
    await this.transport.partRemoved(`stage ${chain.name}/${stage.name}`);
    const run = chain.run;
    if (run && !run.ended && stage.proc && !stage.bypassed) await run.remove(stage);
    chain.stages = chain.stages.filter((s) => s !== stage);
    await this.dropStage(stage);
    this.logger.info(`stage ${chain.name}/${stage.name} removed`);
    this.onChange(chain);
  }

  /** Ends a stage that left its chain: its process, its readers, its files. */
  private async dropStage(stage: Stage): Promise<void> {
    await stage.proc?.terminate();
    stage.out.abort();
    this.userFiles.removeAll(stage);
    void dispose(stage.input);
  }

  /** Sets a stage's command (its `cmd` file); a running stage restarts with it. */
  async setStageCommand(chain: Chain, stage: Stage, line: string): Promise<void> {
    const where = `/${chain.name}/${stage.name}/cmd`;
    await this.logged(where, line, async () => {
      const stages = splitStages(line, where);
      if (stages.length !== 1) this.oneStage(line, where);
      const argv = stages[0];
      // The same command again (a copy of the project written back) changes nothing and restarts nothing.
      if (sameArgv(stage.argv, argv)) return;
      const file = await this.resolve(argv[0], where);
      stage.argv = argv;
      stage.file = file;
      if (chain.run && !chain.run.ended) await chain.run.restartStage(stage);
      this.onChange(chain);
    });
  }

  /** Adds a line to a stage's `sched` (applied at once when running). */
  /**
   * A writer of a stage's sched file (see LineFile's writer): each call sets the lines from the open's state
   * (empty after O_TRUNC) plus `text`, every line checked first; a refusal puts back the lines from before the open.
   */
  schedWriter(chain: Chain, stage: Stage, options: { readonly rewrite: boolean }): (text: string) => Promise<void> {
    const where = `/${chain.name}/${stage.name}/sched`;
    const before = [...stage.sched];
    // Lines of this open already applied to the process (each write brings every line since the open).
    let applied = 0;
    return async (text) => {
      // Read at each write: the kernel truncates a file opened with O_TRUNC after the open (echo > sched, cp).
      const base = options.rewrite ? [] : before;
      const lines = text.split('\n').map((l) => l.trim());
      const given = lines.filter((l) => l !== '');
      try {
        await this.logged(where, text.trim(), async () => {
          if (base.length + given.length > MAX_SCHED_LINES) {
            throw new AudiofsError('EFBIG', 'write', where, `${base.length + given.length} lines (expected at most ${MAX_SCHED_LINES})`);
          }
          for (const [i, line] of lines.entries()) {
            if (line === '') continue;
            try {
              const sched = parseSchedLine(line, where);
              if (sched.kind === 'cpu' && !parseSsh(stage.argv)) await checkCpuList(sched.cpus, line, where);
            } catch (err) {
              const e = err as AudiofsError;
              const which = given.length > 1 ? `line ${i + 1}: ` : '';
              throw new AudiofsError(e.code ?? 'EINVAL', 'write', where, `${which}${e.detail ?? e.message}`);
            }
          }
        });
      } catch (err) {
        stage.sched = [...before];
        this.onChange(chain);
        throw err;
      }
      stage.sched = [...base, ...given.slice(0, applied)];
      for (const line of given.slice(applied)) await this.addSched(chain, stage, line);
      applied = given.length;
    };
  }

  /** A writer of a mixer file (see LineFile's writer): each call applies `text` to the settings the open found, all or nothing. */
  mixerWriter(chain?: Chain): (text: string) => Promise<void> {
    const where = chain ? `/${chain.name}/mixer` : '/mixer';
    const before = chain ? this.stripOf(chain) : { ...this.engine.mixer.master };
    return async (text) => {
      await this.logged(where, text.trim(), async () => {
        try {
          if (!chain) Object.assign(this.engine.mixer.master, applyStripText(before, text, { master: true, path: where }));
          else if (this.chains.get(chain.name) === chain) this.strips.set(chain, applyStripText(before, text, { path: where }));
        } catch (err) {
          // What an earlier write of this open applied goes too.
          if (!chain) Object.assign(this.engine.mixer.master, before);
          else if (this.chains.get(chain.name) === chain) this.strips.set(chain, before);
          throw err;
        } finally {
          this.onChange(chain ?? null);
        }
      });
    };
  }

  async addSched(chain: Chain, stage: Stage, line: string): Promise<void> {
    const where = `/${chain.name}/${stage.name}/sched`;
    await this.logged(where, line, async () => {
      if (stage.sched.length >= MAX_SCHED_LINES) throw new AudiofsError('EFBIG', 'write', where, `more than ${MAX_SCHED_LINES} lines`);
      const sched = parseSchedLine(line, where);
      // A remote stage's CPUs are its host's: its sched lines are checked there, when they run.
      if (sched.kind === 'cpu' && !parseSsh(stage.argv)) await checkCpuList(sched.cpus, line.trim(), where);
      if (stage.proc && stage.launch && stage.proc.state !== 'exited') {
        await stage.launch.sched(stage.proc.pid, [line]).catch((e: Error) => {
          throw new AudiofsError('EINVAL', 'write', where, `'${line}': ${e.message.split('\n')[0]}`);
        });
      }
      stage.sched.push(line.trim());
      this.onChange(chain);
    });
  }

  /** chmod of a stage directory: bypass (u-rw) or put back (u+rw). */
  async setStageMode(chain: Chain, stage: Stage, mode: number): Promise<void> {
    const was = stage.bypassed;
    stage.mode = mode & 0o7777;
    const now = stage.bypassed;
    if (was === now) return;
    const run = chain.run;
    if (run && !run.ended) {
      if (now) await run.spliceOut(stage);
      else await run.spliceIn(stage);
    }
    this.logger.info(`stage ${chain.name}/${stage.name} ${now ? 'bypassed' : 'back in the chain'}`);
    this.onChange(chain);
  }

  /** Ends everything at unmount: every process, every pending read, every output. */
  async shutdown(): Promise<void> {
    await this.transport.shutdown();
    for (const c of this.chains.values()) {
      c.out.abort();
      for (const s of c.stages) s.out.abort();
    }
    await this.outputs.close();
  }

  private async execRoot(cmd: RootCommand, how: CommandContext): Promise<void> {
    const t = this.transport;
    switch (cmd.verb) {
      case 'chain': await this.defineChain(cmd.name, cmd.stages, how); return;
      case 'play': await t.play(); return;
      case 'stop': await t.stop(); return;
      case 'pause': t.pause(); return;
      case 'seek': await t.seek(cmd.at); return;
      case 'loop': await t.setLoop(cmd.region); return;
      case 'steps': t.plan.stepBars = cmd.bars; break;
      case 'step': await t.step(cmd.n); return;
      case 'realtime':
        // Only the running pass's mode is fixed; an export's pass keeps its own, whatever the setting becomes.
        if (t.state !== 'stopped' && t.mode !== (cmd.on ? 'realtime' : 'export')) throw new AudiofsError('EBUSY', 'write', '/ctl', `'realtime ${cmd.on ? 'on' : 'off'}': the transport is ${t.state} (expected stop first)`);
        t.plan.realtime = cmd.on;
        break;
      case 'export': {
        // A relative path is the writer's, as it would be for any command it runs.
        const base = (how.caller && (await cwdOf(how.caller.pid))) ?? this.options.cwd;
        await t.export(resolvePath(base, cmd.file), cmd.region);
        return;
      }
      case 'collect': this.outputs.out.setCollect({ on: cmd.on }); break;
      case 'trace': this.engine.setTrace({ on: cmd.on }); break;
    }
    this.onChange(null);
  }

  private newStage(name: string, argv: StageArgv, file: string): Stage {
    return new Stage({ name, argv, file, input: this.options.makeStore?.() });
  }

  private oneStage(line: string, where: string): never {
    throw new AudiofsError('EINVAL', 'write', where, `'${line}': a stage runs one command (expected no '|')`);
  }

  private resolve(cmd: string, where: string): Promise<string> {
    return resolveCommand(cmd, { path: this.options.path, cwd: this.options.cwd }, where);
  }

  /** Runs `f`; on failure logs the line, what was wrong and what was expected, then rethrows. */
  private async logged(where: string, line: string, f: () => Promise<void>): Promise<void> {
    try {
      await f();
    } catch (err) {
      const detail = err instanceof AudiofsError ? err.detail : (err as Error).message;
      this.logger.error(`${where}: '${line.replace(/\n/g, '\\n')}' refused: ${detail}`);
      throw err;
    }
  }
}

/** Whether two commands are the same words. */
function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}
