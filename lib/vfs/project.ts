import { AudiofsError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { formatEnv, type PcmFormat } from '../base/pcm-format.js';
import { Chain } from '../procchain/chain.js';
import { ChainRun } from '../procchain/chain-run.js';
import type { InputStore } from '../procchain/input-store.js';
import { resolveCommand } from '../procchain/resolve-command.js';
import { parseSchedLine, applySched } from '../procchain/sched.js';
import { Stage } from '../procchain/stage.js';
import { nextStageName, stageNames } from '../procchain/stage-names.js';
import { splitStages, type StageArgv } from '../procchain/tokenize.js';
import { parseChainLine, parseRootLine, type RootCommand } from './ctl-grammar.js';
import { checkName, CHAIN_FILES, ROOT_FILES } from './names.js';

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
}

/** The transport's state. */
export type TransportState = 'stopped' | 'playing' | 'paused';

/** The studio: chains in order, the transport and its settings; what the ctl files drive. */
export class Project {
  readonly chains = new Map<string, Chain>();
  transport: TransportState = 'stopped';
  realtime = true;
  /** Called after any change worth saving or showing (the tree updates mtimes). */
  onChange: () => void = () => undefined;
  /** Who has an `in` file open for writing (kept by the tree). */
  writersOpen: (store: InputStore) => boolean = () => false;

  constructor(readonly options: ProjectOptions) {}

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
        case 'play': return this.playChain(chain);
        case 'stop': return this.stopChain(chain);
        case 'restart':
          await this.stopChain(chain);
          return this.playChain(chain);
        case 'realtime': chain.liveInput = cmd.on; break;
        case 'type': chain.inputType = cmd.type; break;
      }
      this.onChange();
    });
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
    await chain.run?.stop();
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
      parseSchedLine(line, where);
      if (stage.proc && stage.proc.state !== 'exited') {
        await applySched(stage.proc.pid, [line]).catch((e: Error) => {
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
      else run.spliceIn(stage);
    }
    this.logger.info(`stage ${chain.name}/${stage.name} ${now ? 'bypassed' : 'back in the chain'}`);
    this.onChange();
  }

  /** Starts every chain together. */
  async play(): Promise<void> {
    const chains = [...this.chains.values()];
    this.transport = 'playing';
    await Promise.all(chains.map((c) => this.playChain(c)));
    this.onChange();
  }

  /** Stops every chain; their processes end. */
  async stop(): Promise<void> {
    await Promise.all([...this.chains.values()].map((c) => this.stopChain(c)));
    this.transport = 'stopped';
    this.onChange();
  }

  /** Ends everything at unmount: every process, every pending read. */
  async shutdown(): Promise<void> {
    await this.stop();
    for (const c of this.chains.values()) {
      c.out.abort();
      for (const s of c.stages) s.out.abort();
    }
  }

  /** Starts one chain's processes and feeding (a chain already running is left as it is). */
  async playChain(chain: Chain): Promise<void> {
    if (chain.run && !chain.run.ended) return;
    const run = new ChainRun(chain, {
      lossless: !this.realtime,
      env: { ...this.options.env, ...formatEnv(this.options.format) },
      cwd: this.options.cwd,
      log: (level, message) => this.logger.log(level, message),
      writersOpen: (store) => this.writersOpen(store),
      trace: this.options.trace,
      onEnd: () => this.chainEnded(),
    });
    chain.run = run;
    try {
      await run.start();
    } catch (err) {
      chain.run = undefined;
      throw new AudiofsError('EIO', 'play', `/${chain.name}`, `chain ${chain.name} could not start: ${(err as Error).message}`);
    }
    this.logger.info(`chain ${chain.name} playing`);
  }

  /** Stops one chain. */
  async stopChain(chain: Chain): Promise<void> {
    await chain.run?.stop();
  }

  private chainEnded(): void {
    const running = [...this.chains.values()].some((c) => c.run && !c.run.ended);
    if (!running && this.transport === 'playing') {
      this.transport = 'stopped';
      this.logger.info('every chain has ended: transport stopped');
    }
    this.onChange();
  }

  private async execRoot(cmd: RootCommand): Promise<void> {
    switch (cmd.verb) {
      case 'chain': await this.createChain(cmd.name, cmd.stages); return;
      case 'play': await this.play(); return;
      case 'stop': await this.stop(); return;
      case 'realtime':
        this.realtime = cmd.on;
        this.onChange();
        return;
      default:
        throw new AudiofsError('EINVAL', 'write', '/ctl', `'${cmd.verb}' is not available yet in this build`);
    }
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

  /** The name a new stage of `chain` would get for `argv` (mkdir-less additions). */
  stageNameFor(chain: Chain, argv: StageArgv): string {
    return nextStageName(argv, [...CHAIN_FILES, ...chain.stages.map((s) => s.name)]);
  }
}
