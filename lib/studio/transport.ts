import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudiofsError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { formatEnv, framesToBytes, type PcmFormat } from '../base/pcm-format.js';
import type { Seconds } from '../base/units.js';
import type { Engine } from '../mix/engine.js';
import type { EngineEnd } from '../mix/engine-types.js';
import type { StripSettings } from '../mix/strip.js';
import { EXPORTS_DIR, FileExportSink } from '../mix/sinks/file-export.js';
import type { Chain } from '../procchain/chain.js';
import { ChainRun } from '../procchain/chain-run.js';
import type { InputStore } from '../procchain/input-store.js';
import type { PaceClock } from '../procchain/pacer.js';
import { runSettings, TransportPlan, type LoopRegion, type Pass, type TransportMode } from '../sequencer/transport-plan.js';
import { ChainSource } from './chain-source.js';
import { ConvertedInputs } from './converted-inputs.js';
import { prepareFeed, type Feed, type Region } from './input-feed.js';
import { LiveInput } from './live-input.js';
import { songStepRegion } from './song-steps.js';
import type { Outputs } from './outputs.js';

/** The transport's state. */
export type TransportState = 'stopped' | 'playing' | 'paused';

/** What the transport needs from the project. */
export interface TransportHost {
  chains(): Chain[];
  format: PcmFormat;
  logger: Logger;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Where converted inputs are written while they play (default: the system's temporary directory). */
  spillDir?: string;
  trace?: (message: string) => void;
  changed(): void;
  stripOf(chain: Chain): StripSettings;
}

/** An export in progress or done, for /status. */
export interface ExportJob {
  file: string;
  /** stopped: by stop, or by removing a chain it rendered; stopped and failed exports leave no file. */
  state: 'rendering' | 'done' | 'stopped' | 'failed';
  seconds: Seconds;
  error?: string;
}

/** Play, stop, pause, seek, loop, steps and export over every chain at once, with the engine as the clock. */
export class Transport {
  state: TransportState = 'stopped';
  exportJob: ExportJob | undefined;
  /** The settings (mode, cue, loop, steps) and the current pass: where passes start, wrap and end. */
  readonly plan: TransportPlan;
  private sources = new Map<Chain, ChainSource>();
  private restarting = false;
  /** WAV inputs converted once each, for every pass. */
  private readonly converted: ConvertedInputs;

  constructor(private readonly host: TransportHost, readonly engine: Engine, readonly outputs: Outputs) {
    this.plan = new TransportPlan(host.format);
    this.converted = new ConvertedInputs({ format: host.format, spillDir: host.spillDir ?? tmpdir(), log: (level, message) => host.logger.log(level, message) });
    engine.on('end', (end: EngineEnd) => this.engineEnded(end));
    engine.on('drained', () => void this.allEnded());
    engine.on('period', () => {
      this.onPeriod();
      for (const cb of this.paced) cb();
    });
  }

  /** The mode the transport is in now: the running pass's, else the setting. */
  get mode(): TransportMode {
    return this.plan.mode({ stopped: this.state === 'stopped' });
  }

  /** Where the transport is now: stopped, where the next play starts (the last seek); else where the current pass is. */
  get position(): Seconds {
    return this.plan.at({ stopped: this.state === 'stopped', played: this.engine.position });
  }

  /** play: resumes after pause, else starts every chain together from the current position. */
  async play(): Promise<void> {
    if (this.state === 'paused') {
      this.engine.resume();
      this.state = 'playing';
      this.host.changed();
      return;
    }
    if (this.state === 'playing') {
      if (this.host.chains().some((c) => c.run && !c.run.ended)) return;
      // Every chain has ended and the engine is draining: this play starts a new pass.
      await this.halt();
      this.state = 'stopped';
      this.plan.ended();
    }
    await this.startPass(this.plan.playPass());
  }

  /** stop: every chain's processes end; the next play starts from the beginning (or the last seek). */
  async stop(): Promise<void> {
    const mode = this.mode;
    await this.halt();
    // In export mode /out ends when the transport stops.
    if (mode === 'export') void this.outputs.out.end();
    // Every pending read of a chain's out is answered, playing or not.
    for (const c of this.host.chains()) {
      c.out.end();
      for (const s of c.stages) s.out.end();
    }
    this.state = 'stopped';
    this.host.changed();
  }

  /** pause: the mix stops taking data; the processes wait on their full pipes. */
  pause(): void {
    if (this.state !== 'playing') return;
    this.engine.pause();
    this.state = 'paused';
    this.host.changed();
  }

  /** seek T: the next play starts at T; while playing, every chain restarts fed from T. */
  async seek(at: Seconds): Promise<void> {
    this.plan.cue = at;
    if (this.state === 'playing' || this.state === 'paused') {
      await this.halt();
      this.state = 'stopped';
      await this.play();
    }
    this.host.changed();
  }

  /** loop A B (or off): play A..B over and over. */
  async setLoop(region: LoopRegion | null): Promise<void> {
    this.plan.loop = region;
    this.host.changed();
  }

  /** step N: plays step N of `steps BARS` at once and stops at its end. */
  async step(n: number): Promise<void> {
    if (this.plan.stepBars === null) throw new AudiofsError('EINVAL', 'write', '/ctl', `'step ${n}': no step size yet (expected 'steps BARS' first)`);
    let region: LoopRegion;
    try {
      region = await songStepRegion(this.host.chains(), this.host.format, this.plan.stepBars, n);
    } catch (err) {
      throw new AudiofsError('EINVAL', 'write', '/ctl', `'step ${n}': ${(err as Error).message.replace(/^step \d+: /, '')}`);
    }
    await this.halt();
    this.state = 'stopped';
    this.plan.loop = null;
    await this.startPass(this.plan.stepPass(region));
  }

  /** export FILE [A B]: renders in export mode to a file by its extension. */
  async export(file: string, region: { from: Seconds; to: Seconds } | null): Promise<void> {
    if (this.state !== 'stopped') await this.stop();
    const pendingDir = this.host.spillDir === undefined ? undefined : join(this.host.spillDir, EXPORTS_DIR);
    const sink = await FileExportSink.open({ file, format: { rate: this.host.format.rate, channels: this.engine.traceChannels() }, pendingDir });
    const job: ExportJob = { file, state: 'rendering', seconds: 0 };
    this.exportJob = job;
    this.engine.addSink(sink, { endWithRun: true });
    const done = this.engine.whenEnded();
    try {
      await this.startPass(this.plan.exportPass(region));
    } catch (err) {
      this.engine.removeSink(sink);
      await sink.abort();
      this.exportJob = { file, state: 'failed', seconds: 0, error: (err as Error).message };
      throw err;
    }
    // A file that cannot be written ends the export (the rest would be rendered for nothing).
    void sink.settled.then((o) => { if (o.state === 'failed' && this.exportJob === job) void this.stop().catch(() => undefined); });
    void Promise.all([done, sink.settled]).then(([end, outcome]) => {
      // The engine counts the pass's frames from its start (the region's `from`).
      job.seconds = this.plan.renderedSeconds(end.position);
      job.state = outcome.state;
      const after = `${job.seconds.toFixed(3)} s rendered`;
      if (outcome.state === 'done') {
        this.host.logger.info(`export ${file}: done, ${after}`);
      } else if (outcome.state === 'stopped') {
        this.host.logger.warn(`export ${file}: stopped${job.error ? ` (${job.error})` : ''} after ${after}; nothing written to ${file}`);
      } else {
        job.error = outcome.error.message;
        this.host.logger.error(`export ${file}: failed after ${after}: ${job.error}; nothing written to ${file}`);
      }
      this.host.changed();
    });
  }

  /** A chain or a stage is being removed (`what`): an export rendering it no longer renders the project, so it stops (no file). */
  async partRemoved(what: string): Promise<void> {
    if (this.exportJob?.state !== 'rendering') return;
    this.exportJob.error = `${what} was removed`;
    await this.stop();
  }

  /** Starts or stops one chain (NAME/ctl play|stop) inside the current run. */
  async playChain(chain: Chain): Promise<void> {
    if (chain.run && !chain.run.ended) return;
    if (this.state !== 'playing') {
      await this.startPass(this.plan.chainPass(), { only: chain });
      return;
    }
    await this.startChain(chain, { from: this.position });
  }

  /** Stops one chain; its source ends, the others play on. */
  async stopChain(chain: Chain): Promise<void> {
    await chain.run?.stop();
  }

  /** Ends everything (unmount). */
  async shutdown(): Promise<void> {
    await this.halt();
    this.state = 'stopped';
    await this.converted.close();
  }

  /** What /status shows of the transport. */
  status(): Record<string, unknown> {
    const e = this.engine.status();
    return {
      transport: this.state,
      mode: this.mode,
      // Stopped, the position is where the next play starts (the last seek), not where the last pass was.
      position: Number(this.position.toFixed(3)),
      loop: this.plan.loop ? `${this.plan.loop.from} ${this.plan.loop.to}` : 'off',
      steps: this.plan.stepBars,
      trace: e.trace,
      collect: this.outputs.out.collecting,
      ...(this.exportJob ? { export: { ...this.exportJob, seconds: Number((this.exportJob.state === 'rendering' ? this.plan.renderedSeconds(this.engine.position) : this.exportJob.seconds).toFixed(3)) } } : {}),
      master: e.master,
      late_skips: e.lateSkips,
      late_skips_total: e.lateSkipsTotal,
      engine: e.state,
    };
  }

  /** Per-chain mix status (levels, xruns). */
  sourceStatus(name: string): Record<string, unknown> | undefined {
    return this.sourceStatuses().get(name);
  }

  /** Per-chain mix status of every chain in the mix, by name (one walk of the engine). */
  sourceStatuses(): Map<string, Record<string, unknown>> {
    return new Map(this.engine.status().sources.map((s) => [s.name, { peak_db: s.peakDb, rms_db: s.rmsDb, xruns: s.xruns, xruns_total: s.xrunsTotal, buffered_frames: s.buffered }]));
  }

  private async startPass(pass: Pass, options: { only?: Chain } = {}): Promise<void> {
    const mode = pass.mode;
    const region: Region = { from: pass.from, to: pass.to };
    this.engine.setMode(mode);
    this.outputs.setMode(mode);
    for (const name of this.engine.sourceNames()) this.engine.removeSource(name);
    this.sources.clear();
    // Conversions of inputs that left the project (a chain or stage removed, an input replaced) go.
    await this.converted.prune(new Set(this.host.chains().flatMap((c) => [c.input, ...c.stages.map((s) => s.input)])));
    this.engine.seek(0);
    // The run ends to the frame at a step's or region's end; a loop's passes fade in and out so the seam never clicks.
    this.engine.setPassEnd(this.plan.passEndFrames(pass), { fade: this.plan.seamFadeFrames(pass) });
    this.plan.pass = pass;
    this.state = 'playing';
    const chains = options.only ? [options.only] : this.host.chains();
    // All or nothing: every chain has finished starting (or failing) before a failure stops them all.
    const started = await Promise.allSettled(chains.map((c) => this.startChain(c, region)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.halt();
      this.state = 'stopped';
      throw failed.reason;
    }
    const gateMs = runSettings(mode, this.engine.period, this.host.format).gateMs;
    await this.engine.start(gateMs === undefined ? {} : { gate: { timeoutMs: gateMs } });
    this.host.logger.info(`playing from ${region.from} s${region.to !== undefined ? ` to ${region.to} s` : ''} (${mode})`);
    this.host.changed();
  }

  private async startChain(chain: Chain, region: Region): Promise<void> {
    const where = `/${chain.name}`;
    const feeds = new Map<InputStore, Feed>();
    const stores = [chain.input, ...chain.stages.map((s) => s.input)].filter((s) => s.size > 0);
    let run: ChainRun | undefined;
    const release = () => Promise.all([...feeds.values()].map((f) => f.dispose?.())).then(() => undefined);
    for (const store of stores) {
      try {
        feeds.set(store, await prepareFeed(store, {
          type: chain.inputType, region, format: this.host.format, where, converted: this.converted,
          onProgress: () => run?.poke(),
        }));
      } catch (err) {
        this.host.logger.error(`${where}/in: ${(err as AudiofsError).detail ?? (err as Error).message}; the chain gets no input, the rest plays on`);
        feeds.set(store, { store, from: store.size, to: store.size, type: 'pcm' });
      }
    }
    // The run's settings follow the current pass's mode (an export's pass renders in export mode).
    const settings = runSettings(this.plan.pass?.mode ?? this.plan.settingMode, this.engine.period, this.host.format);
    const source = new ChainSource(chain.name, this.host.format, { buffer: settings.buffer, quiet: () => (chain.input instanceof LiveInput && chain.input.idle()) || chain.run?.tailing === true });
    const old = this.sources.get(chain);
    if (old) this.engine.removeSource(old.name);
    this.sources.set(chain, source);
    run = new ChainRun(chain, {
      lossless: settings.lossless,
      env: { ...this.host.env, ...formatEnv(this.host.format) },
      cwd: this.host.cwd,
      log: (level, message) => this.host.logger.log(level, message),
      sink: source,
      feedOverride: (store) => feeds.get(store)?.store,
      region: (store) => {
        const f = feeds.get(store);
        return f ? { from: f.from, to: f.to } : { from: 0 };
      },
      trace: this.host.trace,
      pace: settings.lead === undefined ? undefined : { clock: this.paceClock, lead: settings.lead },
      rest: settings.rest,
      onEnd: () => this.host.changed(),
      onStderrLine: (line) => this.outputs.title.fromLine(line),
    });
    chain.run = run;
    // Channels in chain order (/channels, trace), whichever chain started first.
    this.engine.addSource(source, { strip: () => this.host.stripOf(chain), rank: this.host.chains().indexOf(chain) });
    try {
      await run.start();
    } catch (err) {
      this.engine.removeSource(source.name);
      chain.run = undefined;
      await release();
      throw new AudiofsError('EIO', 'play', where, `chain ${chain.name} could not start: ${(err as Error).message}`);
    }
    void run.done.then(release);
  }

  /** Realtime runs keep pace with the mix: its position, and one call each period to every run (one listener on the engine). */
  private readonly paced = new Set<() => void>();
  private readonly paceClock: PaceClock = {
    now: () => framesToBytes(this.engine.position, this.host.format),
    onAdvance: (cb) => {
      this.paced.add(cb);
      return () => void this.paced.delete(cb);
    },
  };

  private async halt(): Promise<void> {
    await this.engine.stop();
    await Promise.all(this.host.chains().map((c) => c.run?.stop()));
    // A live input's writer waiting on a full buffer must not wait for a chain that no longer reads.
    for (const c of this.host.chains()) if (c.input instanceof LiveInput) c.input.discard();
  }

  private onPeriod(): void {
    if (this.state !== 'playing' || this.restarting) return;
    // The engine ends the pass to the frame at a step's, a region's or a loop's end ('drained').
    if (this.plan.shouldWrap(this.engine.position)) void this.wrap();
  }

  private async wrap(): Promise<void> {
    const loop = this.plan.loop;
    if (this.restarting || !loop || !this.plan.looping()) return;
    this.restarting = true;
    try {
      await this.halt();
      this.state = 'stopped';
      await this.startPass(this.plan.wrapPass(loop));
    } catch (err) {
      this.host.logger.error(`loop: the next pass could not start: ${(err as Error).message}`);
    } finally {
      this.restarting = false;
    }
  }

  private async allEnded(): Promise<void> {
    if (this.state !== 'playing' || this.restarting || this.plan.pass?.mode !== 'realtime') return;
    if (this.plan.looping()) return this.wrap();
    this.host.logger.info('every chain has ended: transport stopped');
    await this.stop();
  }

  private engineEnded(end: EngineEnd): void {
    if (end.reason !== 'drained' || this.restarting) return;
    if (this.plan.looping()) {
      void this.wrap();
      return;
    }
    this.state = 'stopped';
    this.plan.ended();
    void this.outputs.out.end();
    this.host.logger.info('every chain has ended: transport stopped');
    this.host.changed();
    void Promise.all(this.host.chains().map((c) => c.run?.stop()));
  }
}
