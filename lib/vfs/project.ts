import { AudiofsError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { formatEnv, type PcmFormat } from '../base/pcm-format.js';
import { Engine } from '../mix/engine.js';
import { applyStripText, defaultStrip, formatStrip, type StripSettings } from '../mix/strip.js';
import { formatChannelMap } from '../mix/trace.js';
import { Chain } from '../procchain/chain.js';
import { MemoryInputStore, type InputStore } from '../procchain/input-store.js';
import { resolveCommand } from '../procchain/resolve-command.js';
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
export class Project {
  readonly chains = new Map<string, Chain>();
  readonly strips = new Map<Chain, StripSettings>();
  readonly engine: Engine;
  readonly outputs: Outputs;
  readonly transport: Transport;
  /** /comments: free text for humans, never parsed. */
  readonly comments = new MemoryInputStore();
  /** Called after any change worth saving or showing (the tree updates mtimes). */
  onChange: () => void = () => undefined;
  /** Who has an `in` file open for writing (kept by the tree). */
  writersOpen: (store: InputStore) => boolean = () => false;

  constructor(readonly options: ProjectOptions) {
    this.engine = new Engine({ format: options.format, period: options.period, logger: options.logger });
    this.outputs = new Outputs(this.engine, options.logger, options.format);
    this.transport = new Transport({
      chains: () => [...this.chains.values()],
      format: options.format,
      logger: options.logger,
      env: options.env,
      cwd: options.cwd,
      writersOpen: (store) => this.writersOpen(store),
      spillDir: options.spillDir,
      trace: options.trace,
      changed: () => this.onChange(),
      stripOf: (chain) => this.stripOf(chain),
    }, this.engine, this.outputs);
  }

  /** Export mode off (realtime) or on. */
  get realtime(): boolean {
    return this.transport.realtime;
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
        if (this.engine.sourceNames().includes(chain.name)) this.engine.setStrip(chain.name, next);
      }
      this.onChange();
    });
  }

  /** What /channels reads: which channels of /out belong to which chain (with trace on). */
  channelsText(): string {
    return formatChannelMap(this.engine.channelMap());
  }

  get logger(): Logger {
    return this.options.logger;
  }

  /** Applies one line of /ctl; a bad line throws (and is logged) and changes nothing. */
  async execRootLine(line: string): Promise<void> {
    await this.logged('/ctl', line, async () => this.execRoot(parseRootLine(line, '/ctl')));
  }

  /** Applies one line of NAME/ctl. */
  async execChainLine(chain: Chain, line: string): Promise<void> {
    const where = `/${chain.name}/ctl`;
    await this.logged(where, line, async () => {
      const cmd = parseChainLine(line, where);
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
      this.onChange();
    });
  }

  private liveInputOf(chain: Chain): LiveInput {
    const where = `/${chain.name}/in`;
    return new LiveInput({ where, onRefused: (detail) => this.options.logger.warn(`${where}: ${detail}`) });
  }

  /** Makes a chain from `NAME cmd args | cmd args`; nothing is made when any command is missing. */
  async createChain(name: string, stages: readonly StageArgv[], where = '/ctl'): Promise<Chain> {
    checkName(name, 'chain', where, ROOT_FILES);
    if (this.chains.has(name)) throw new AudiofsError('EEXIST', 'write', where, `chain '${name}' exists (expected a new name, or rm -r ${name} first)`);
    const files = await Promise.all(stages.map((argv) => this.resolve(argv[0], where)));
    const chain = new Chain(name, this.options.makeStore?.());
    const names = stageNames(stages, CHAIN_FILES);
    chain.stages = stages.map((argv, i) => this.newStage(names[i], argv, files[i]));
    this.chains.set(name, chain);
    this.logger.info(`chain ${name} made: ${chain.definition || '(empty)'}`);
    this.onChange();
    return chain;
  }

  /** Ends a chain's processes and forgets it. */
  async removeChain(chain: Chain): Promise<void> {
    this.chains.delete(chain.name);
    this.strips.delete(chain);
    await chain.run?.stop();
    this.engine.removeSource(chain.name);
    chain.out.abort();
    for (const s of chain.stages) s.out.abort();
    this.logger.info(`chain ${chain.name} removed`);
    this.onChange();
  }

  /** Adds a stage with no command yet (mkdir NAME/STAGE); its `cmd` gives it one. */
  addStage(chain: Chain, name: string): Stage {
    checkName(name, 'stage', `/${chain.name}`, CHAIN_FILES);
    if (chain.stage(name)) throw new AudiofsError('EEXIST', 'mkdir', `/${chain.name}/${name}`);
    const stage = this.newStage(name, [], '');
    chain.stages.push(stage);
    this.onChange();
    return stage;
  }

  /** Ends a stage's process and closes the gap. */
  async removeStage(chain: Chain, stage: Stage): Promise<void> {
    const run = chain.run;
    if (run && !run.ended && stage.proc && !stage.bypassed) await run.spliceOut(stage);
    chain.stages = chain.stages.filter((s) => s !== stage);
    await stage.proc?.terminate();
    stage.out.abort();
    this.logger.info(`stage ${chain.name}/${stage.name} removed`);
    this.onChange();
  }

  /** Sets a stage's command (its `cmd` file); a running stage restarts with it. */
  async setStageCommand(chain: Chain, stage: Stage, line: string): Promise<void> {
    const where = `/${chain.name}/${stage.name}/cmd`;
    await this.logged(where, line, async () => {
      const stages = splitStages(line, where);
      if (stages.length !== 1) this.oneStage(line, where);
      const argv = stages[0];
      const file = await this.resolve(argv[0], where);
      stage.argv = argv;
      stage.file = file;
      if (chain.run && !chain.run.ended) await chain.run.restartStage(stage);
      this.onChange();
    });
  }

  /** Adds a line to a stage's `sched` (applied at once when running). */
  async addSched(chain: Chain, stage: Stage, line: string): Promise<void> {
    const where = `/${chain.name}/${stage.name}/sched`;
    await this.logged(where, line, async () => {
      const sched = parseSchedLine(line, where);
      // A remote stage's CPUs are its host's: its sched lines are checked there, when they run.
      if (sched.kind === 'cpu' && !parseSsh(stage.argv)) await checkCpuList(sched.cpus, line.trim(), where);
      if (stage.proc && stage.launch && stage.proc.state !== 'exited') {
        await stage.launch.sched(stage.proc.pid, [line]).catch((e: Error) => {
          throw new AudiofsError('EINVAL', 'write', where, `'${line}': ${e.message.split('\n')[0]}`);
        });
      }
      stage.sched.push(line.trim());
      this.onChange();
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
    this.onChange();
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

  private async execRoot(cmd: RootCommand): Promise<void> {
    const t = this.transport;
    switch (cmd.verb) {
      case 'chain': await this.createChain(cmd.name, cmd.stages); return;
      case 'play': await t.play(); return;
      case 'stop': await t.stop(); return;
      case 'pause': t.pause(); return;
      case 'seek': await t.seek(cmd.at); return;
      case 'loop': await t.setLoop(cmd.region); return;
      case 'steps': t.stepBars = cmd.bars; break;
      case 'step': await t.step(cmd.n); return;
      case 'realtime':
        if (t.state !== 'stopped' && t.realtime !== cmd.on) throw new AudiofsError('EBUSY', 'write', '/ctl', `'realtime ${cmd.on ? 'on' : 'off'}': the transport is ${t.state} (expected stop first)`);
        t.realtime = cmd.on;
        break;
      case 'export': await t.export(cmd.file, cmd.region); return;
      case 'collect': this.outputs.out.setCollect({ on: cmd.on }); break;
      case 'trace': this.engine.setTrace({ on: cmd.on }); break;
    }
    this.onChange();
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
      this.logger.error(`${where}: '${line}' refused: ${detail}`);
      throw err;
    }
  }
}
