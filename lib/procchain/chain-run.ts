import type { LiveStream } from '../base/live-stream.js';
import type { LogLevel } from '../base/logger.js';
import type { Chain } from './chain.js';
import { Feeder } from './feeder.js';
import type { InputStore } from './input-store.js';
import { pump, type PumpState } from './pump.js';
import { launchOf } from './launch.js';
import type { Stage } from './stage.js';
import { StageProcess } from './stage-process.js';
import { STDERR_RATE, StderrLimit } from './stderr-limit.js';
import { DISCARD, StdinTarget, type Target } from './target.js';
import { HoldTarget } from './hold-target.js';
import { waitsOnInput } from './waits-on-input.js';
import { KernelJunctions, type JunctionCandidate } from './kernel-junctions.js';
import { kernelPumpAvailable } from './kernel-pump.js';
import { stopAtRest, type RestOptions } from './stop-at-rest.js';
import { Pacer, type PaceClock } from './pacer.js';
import type { Bytes } from '../base/units.js';
import { spawnTurn } from './spawn-turns.js';

/** A splice lets a stage finish what it was given for up to 3 s (output quiet 50 ms), then 5 s for its output to be handed on. */
const REST: RestOptions = { quietMs: 50, settleMs: 3000, drainMs: 5000 };
export { REST as SPLICE_REST };

/** Why a stage leaves the data path while the chain plays. */
type Leaving = 'bypassed' | 'removed' | 'replaced';

/** What a run needs from the rest of audiofs. */
export interface RunOptions {
  /** Export mode: taps hold the chain back instead of losing data. */
  lossless: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
  log: (level: LogLevel, message: string) => void;
  /** Where the chain's output goes besides NAME/out (the mixer). */
  sink?: Target;
  /** Byte ranges of each stored input to feed (seek, loop, step); the whole input when absent. */
  region?: (store: InputStore) => { from: number; to?: number };
  /** Input bytes that replace a store's contents for this run (a MIDI slice). */
  feedOverride?: (store: InputStore) => InputStore | undefined;
  /** A debug trace of each spawned command line. */
  trace?: (message: string) => void;
  /** Called once when the chain's output has ended. */
  onEnd?: () => void;
  /** Each whole line a stage writes on stderr (besides the log): how a client announces a title. */
  onStderrLine?: (line: string) => void;
  /**
   * Export mode: bytes between adjacent stages moved by the kernel (native/pump) while nobody taps, injects
   * or splices there; JavaScript relays every junction when false, in realtime (where stages are kept near
   * the clock) and where the pump is not available. Default true.
   */
  kernelJunctions?: boolean;
  /** How a splice waits for a stage to come to rest (SPLICE_REST when absent). */
  rest?: RestOptions;
  /** Realtime: every stage's output is handed on at most `lead` bytes ahead of the clock. */
  pace?: { clock: PaceClock; lead: Bytes };
}

/** How long a stage whose output closed at the end of a run may take to exit by itself before it is signalled. */
const EXIT_GRACE_MS = 500;

/** How long a chain's output may pause, with nothing holding it back, before it counts as done with its input. */
const QUIET_MS = 500;
/** How long a lingering chain's output may be quiet before its silence counts as having nothing to say (no xruns). */
const TAIL_MS = 50;
/** How long a chain that has written nothing yet may keep its input open for appends (a client still loading). */
const STARTUP_MS = 10_000;
/** How long a client that wrote nothing yet must idle as an event loop before it counts as waiting for the end of its input. */
const IDLE_MS = 250;

/**
 * Export mode: each stage writes into a pipe of this size (its reader, the kernel or JavaScript, takes more
 * a read and is woken less: a sox writes 8 KiB at a time), and the input is read 1 MiB at a time.
 * Realtime keeps Node's socket pairs and 64 KiB: what waits in a pipe there is latency.
 */
const FILE_SPEED_PIPE: Bytes = 1024 * 1024;
const FILE_SPEED_FEED: Bytes = 1024 * 1024;

/** One run of a chain, from play until its output ends or it is stopped: processes, pumps, feeder. */
export class ChainRun {
  /** Index of the stage the input enters at (the last stage with stored input, else 0). */
  entry = 0;
  ended = false;
  /** Resolves when the output has ended and every process has exited. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly targets = new Map<Stage, StdinTarget>();
  private readonly holds = new Map<Stage, HoldTarget>();
  private readonly pumps = new Map<Stage, PumpState>();
  /** Stages out of the data path now (bypassed): follows the splices as they complete, not the mode bits. */
  private readonly outOfPath = new Set<Stage>();
  private readonly replacing = new Set<StageProcess>();
  /** Processes leaving the data path, stopped: where their last output goes (ahead of what their splice holds). */
  private readonly leaving = new Map<StageProcess, Target>();
  private feeder: Feeder | undefined;
  private feederDone = false;
  private readonly startedAt = Date.now();
  private idleSince: number | undefined;
  private readonly sinkTarget: Target;
  /** The junctions the kernel carries (none when the switch is off or the pump is not available). */
  private readonly junctions: KernelJunctions<Stage> | undefined;
  private pacer: Pacer | undefined;

  constructor(private readonly chain: Chain, private readonly options: RunOptions) {
    this.done = new Promise((r) => (this.resolveDone = r));
    if (options.kernelJunctions !== false && kernelPumpAvailable()) {
      this.junctions = new KernelJunctions<Stage>({
        candidates: () => this.junctionCandidates(),
        // Its pump is live again: it counts as busy from now, not from the last byte JavaScript saw.
        onRelease: (c, moved) => {
          // Its pump is live again: busy from now, and what the kernel moved counts as read and handed on.
          const p = this.pumps.get(c.key);
          if (p) {
            p.lastData = Date.now();
            p.bytes += moved;
            p.handed += moved;
          }
          for (const [s, t] of this.targets) if (s.proc?.stdin === c.dst) t.taken += moved;
        },
        log: (m) => options.log('info', `${chain.name}: ${m}`),
      });
    }
    const out = chain.out;
    const sink = options.sink;
    this.sinkTarget = {
      write: (b) => {
        const a = out.write(b);
        const c = sink ? sink.write(b) : true;
        return a && c;
      },
      whenWritable: () => Promise.all([out.whenWritable(), sink?.whenWritable()]).then(() => undefined),
      end: () => this.finish({ natural: true }),
    };
  }

  /** Spawns every stage (bypassed ones stopped at once), wires the pipes and starts feeding. */
  async start(): Promise<void> {
    // The chain's stages are forked one a turn of the event loop (spawn-turns.ts), the last first. Until they
    // all run: a splice asked for (a chmod) waits for the run to have started, input stored in a stage is taken
    // as the chain starts, and a stop (rm -r) ends what was forked and forks no more.
    let started!: () => void;
    this.splices = new Promise<void>((resolve) => (started = resolve));
    try {
      await spawnTurn();
      if (this.ended) return;
      await this.begin();
    } finally {
      started();
    }
  }

  private async begin(): Promise<void> {
    const { chain } = this;
    const stages = chain.stages;
    this.entry = entryOf(stages);
    for (const s of stages) if (s.bypassed || !hasCommand(s)) this.outOfPath.add(s);
    const pace = this.options.pace;
    if (pace) this.pacer = new Pacer(pace.clock, pace.lead);
    const streams: LiveStream[] = [chain.out, ...stages.map((s) => s.out)];
    for (const s of streams) { s.setLossless(this.options.lossless); s.start(); }
    try {
      // The last stage first: a stage's output always finds the stage after it running. One fork a turn: a fork
      // holds this thread 2-3 ms, and a chain of 3 forked at once held a request (cat status during an export)
      // 9-11 ms.
      let first = true;
      for (let i = stages.length - 1; i >= 0; i--) {
        const stage = stages[i];
        if (!hasCommand(stage)) {
          this.options.log('warn', `${chain.name}/${stage.name}: no command yet (expected one in ${chain.name}/${stage.name}/cmd); passed through as if bypassed`);
          continue;
        }
        if (!first) {
          await spawnTurn();
          // Stopped meanwhile: what was forked is ended (finish), nothing more is.
          if (this.ended) return;
        }
        first = false;
        // Removed from the chain meanwhile (rm -r during the play's start): not started.
        if (!chain.stages.includes(stage)) continue;
        await this.spawn(stage);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    // An `in` written while the stages were forked moves the entry (inject() waits for the run to have begun);
    // the chain's stages as they are now (one may have been removed meanwhile).
    this.entry = entryOf(chain.stages);
    this.begun = true;
    chain.stages.forEach((s, i) => { if (i < this.entry) this.targets.get(s)?.end(); });
    this.startFeeder(this.entryStore());
    this.junctions?.refresh();
  }

  /** Stage processes asked for and not started yet. */
  private readonly starting = new Set<Promise<StageProcess>>();

  /** Every stage of the run is forked and it is fed (until then an injection is found by begin() itself). */
  private begun = false;

  /** Export mode: no clock, every stage runs as fast as its neighbours let it. */
  private get fileSpeed(): boolean {
    return this.options.lossless && !this.options.pace;
  }

  /** Bytes of the stored input the kernel has fed (from a spill file) in this run. */
  kernelFed: Bytes = 0;

  /** Bytes the kernel has moved between this run's stages. */
  get kernelBytes(): number {
    return this.junctions?.moved ?? 0;
  }

  /** Ends every process now; the output ends. */
  async stop(): Promise<void> {
    this.feeder?.cancel();
    this.finish();
    await this.done;
  }

  private splices: Promise<void> = Promise.resolve();

  /** Takes a stage out of the data path: lets it finish what it holds, SIGSTOPs it, joins its neighbours. */
  spliceOut(stage: Stage): Promise<void> {
    return this.serialize(() => this.doSpliceOut(stage, 'bypassed'));
  }

  /** Takes a stage out of the data path and ends its process (rm -r): what it writes as it ends is handed on too. */
  remove(stage: Stage): Promise<void> {
    return this.serialize(() => this.doSpliceOut(stage, 'removed'));
  }

  /** Puts a bypassed stage back: SIGCONT, and the data path goes through it again. */
  spliceIn(stage: Stage): Promise<void> {
    return this.serialize(async () => {
      // A stage with no command has nothing to put back: it stays passed through.
      if (!this.outOfPath.has(stage) || !stage.proc) return;
      const next = this.targetAtOrAfter(this.chain.stages.indexOf(stage) + 1);
      if (next instanceof StdinTarget && next.closed) {
        // The rest of the input went around it to its end meanwhile, and the next stage got its end of file.
        const taken = this.targets.get(stage)?.taken ?? 0;
        const given = this.pumps.get(stage)?.bytes ?? 0;
        this.options.log('warn', `${this.chain.name}/${stage.name}: put back after the chain's input had gone around it to its end: what it still held (it had taken ${taken} bytes and given ${given}) does not reach the output`);
      }
      stage.proc.cont();
      this.outOfPath.delete(stage);
      this.pathChanged();
      this.reconcileEnds();
    });
  }

  /** Splices happen one after another, in the order asked (a quick chmod u-rw then u+rw). */
  private serialize(f: () => Promise<void>): Promise<void> {
    // JavaScript carries every junction while the data path changes.
    const g = async () => {
      this.junctions?.freeze();
      try {
        await f();
      } finally {
        this.junctions?.thaw();
      }
    };
    const next = this.splices.then(g, g);
    this.splices = next.catch(() => undefined);
    return next;
  }

  private async doSpliceOut(stage: Stage, why: Leaving): Promise<void> {
    const proc = stage.proc;
    if (this.outOfPath.has(stage)) return;
    if (!proc || proc.state === 'exited' || this.ended) {
      // An exited process may have left output in its stdout (a pipe of up to 1 MiB in export mode): it goes
      // on along the path as it is before the stage leaves it. Out of the path at once, it was dropped (a
      // bypass just after the first stage ended lost up to the input's last MiB).
      if (proc && !this.ended) await this.pumps.get(stage)?.drained((this.options.rest ?? REST).drainMs);
      this.outOfPath.add(stage);
      this.pathChanged();
      this.reconcileEnds();
      return;
    }
    // What comes from upstream waits while the stage finishes what it was given, stops (or ends), and its output is handed on.
    const hold = new HoldTarget();
    this.holds.set(stage, hold);
    this.pathChanged();
    await this.leave(stage, proc, why, hold);
    this.outOfPath.add(stage);
    this.release(stage, proc, hold, () => this.targetAtOrAfter(this.chain.stages.indexOf(stage)));
    this.pathChanged();
    this.reconcileEnds();
  }

  /**
   * Takes a process out of the data path while what comes from upstream is held: it is stopped at rest;
   * a removed or replaced one is then ended, and what it writes as it ends is handed on too. Logs what it
   * had taken and given by then (for a stage that gives a byte for each it takes, the difference is what
   * it holds: back with it when a bypassed stage returns, gone with a process that ended).
   */
  private async leave(stage: Stage, proc: StageProcess, why: Leaving, hold: HoldTarget): Promise<void> {
    const label = `${this.chain.name}/${stage.name}`;
    const output = this.pumps.get(stage)!;
    const options = this.options.rest ?? REST;
    // Export mode: stopped, it writes no more; what it wrote goes ahead of what is held, without waiting for
    // the reader. Realtime hands it on at the clock's pace as before (taken at once, the next stage would starve).
    const rest = await stopAtRest(proc, output, options, this.fileSpeed ? () => {
      this.leaving.set(proc, hold.ahead);
      this.pathChanged();
    } : undefined);
    let drained = rest.drained;
    if (why !== 'bypassed') {
      this.replacing.add(proc);
      await proc.terminate();
      drained = await output.drained(options.drainMs);
    }
    const taken = this.targets.get(stage)?.taken ?? 0;
    const how = why === 'bypassed' ? 'stopped' : 'ended';
    this.options.log('info', `${label}: ${why} while playing: ${how} after taking ${taken} bytes and giving ${output.bytes}${rest.settled ? '' : ` (still busy after ${options.settleMs} ms)`}`);
    if (!rest.stopped || !drained) {
      this.options.log('warn', `${label}: ${rest.stopped ? 'its last output was not all handed on' : 'did not stop'} within ${options.drainMs} ms; the data path is joined anyway`);
    }
  }

  /** The splice of `stage` is made: what `leaving` (its process) gave last, then what was held, go to `target` (asked once the hold is gone). */
  private release(stage: Stage, leaving: StageProcess, hold: HoldTarget, target: () => Target, aheadTarget = target): void {
    this.holds.delete(stage);
    hold.release(target(), aheadTarget());
    this.leaving.delete(leaving);
  }

  /** The data path changed: every pump and the feeder stop waiting for a target that is no longer theirs. */
  private pathChanged(): void {
    for (const p of this.pumps.values()) p.reroute();
    this.feeder?.reroute();
  }

  /**
   * End of file follows the data path as it is now: a stage's stdin (or the chain's output) ends once
   * its upstream in the path has ended, whatever splices happened in between.
   */
  private reconcileEnds(): void {
    if (this.holds.size > 0 || this.ended) return;
    const stages = this.chain.stages;
    let upstreamEnded = this.feederDone;
    for (let j = this.entry; j < stages.length; j++) {
      const stage = stages[j];
      if (this.outOfPath.has(stage)) continue;
      if (upstreamEnded) this.targets.get(stage)?.end();
      upstreamEnded = this.pumps.get(stage)?.ended ?? true;
    }
    if (upstreamEnded) this.sinkTarget.end();
  }

  /**
   * Replaces a stage's process (its command changed), keeping its place in the data path: what comes from
   * upstream waits while the old process finishes what it was given and its output is handed on, then
   * goes to the new one.
   */
  restartStage(stage: Stage): Promise<void> {
    return this.serialize(async () => {
      const old = stage.proc;
      const i = this.chain.stages.indexOf(stage);
      const inPath = old !== undefined && old.state !== 'exited' && !this.outOfPath.has(stage) && !this.ended;
      const hold = inPath ? new HoldTarget() : undefined;
      try {
        if (hold && old) {
          this.holds.set(stage, hold);
          this.pathChanged();
          await this.leave(stage, old, 'replaced', hold);
        } else if (old) {
          this.replacing.add(old);
          await old.terminate();
        }
        if (this.ended) return;
        await this.spawn(stage);
      } finally {
        if (hold) this.release(stage, old!, hold, () => (this.ended ? DISCARD : this.targetAtOrAfter(i)), () => (this.ended ? DISCARD : this.targetAtOrAfter(i + 1)));
      }
      // A stage that had no command was passed through; with one, it joins the data path (unless bypassed).
      if (!old && !stage.bypassed) this.outOfPath.delete(stage);
      this.pathChanged();
      this.reconcileEnds();
    });
  }

  /** Input written to a stage's `in` during the run: the chain continues from that stage. */
  inject(stage: Stage): void {
    // Before the run begins there is nothing to continue: begin() finds the entry from the stored inputs.
    if (!this.begun) return;
    const i = this.chain.stages.indexOf(stage);
    if (i === this.entry) { this.feeder?.poke(); return; }
    // An `in` emptied (truncated or unlinked, as rm -r does before rmdir) gives nothing to continue from.
    if (stage.input.size === 0) return;
    if (i < this.entry) {
      this.options.log('info', `${this.chain.name}/${stage.name}/in: stored for the next play (the chain is fed further down now)`);
      return;
    }
    const from = this.feeder?.position;
    this.feeder?.cancel();
    this.junctions?.freeze();
    this.entry = i;
    this.startFeeder(stage.input, i === 0 && from !== undefined ? from : undefined);
    this.junctions?.thaw();
  }

  /** Bytes audiofs holds for a stage now: what waits for it to read, and what it wrote that is not yet handed on. */
  buffered(stage: Stage): Bytes {
    const output = this.pumps.get(stage);
    const stdout = stage.proc?.stdout;
    return (this.targets.get(stage)?.waiting ?? 0) + (output?.pending ?? 0) + (stdout && !stdout.destroyed ? stdout.readableLength : 0);
  }

  /** New data in the chain's or entry stage's store, or its writer closed. */
  poke(): void {
    this.feeder?.poke();
  }

  /** Everything stored was fed and the chain's input is held open for appends while it plays (realtime). */
  get lingering(): boolean {
    return this.feeder?.lingering === true;
  }

  /**
   * Whether the chain still plays what it was given: input waits in the entry's stdin, a stage in the path is
   * held back by a full reader (the clock paces it), or (unless the entry stage is blocked reading its input,
   * which means it has taken everything) a stage wrote within QUIET_MS. Before anything has come out, a
   * stage still starting (loading, connecting) plays on for at most STARTUP_MS, unless it is blocked reading
   * its input (a program that reads to the end before it plays gets the end at once).
   */
  private async stillPlaying(): Promise<boolean> {
    if (this.ended) return false;
    const stages = this.chain.stages;
    const entry = stages[this.entry]?.proc;
    if ((entry?.stdin.writableLength ?? 0) > 0) return true;
    // Asked every few ms of every chain while it plays: one pass, which a held pump ends at once.
    const pumps: PumpState[] = [];
    for (let i = this.entry; i < stages.length; i++) {
      const p = this.outOfPath.has(stages[i]) ? undefined : this.pumps.get(stages[i]);
      if (p === undefined || p.ended) continue;
      if (p.held) return true;
      pumps.push(p);
    }
    if (!entry || entry.state !== 'running' || (await waitsOnInput(entry.pid))) return false;
    if (pumps.some((p) => p.started)) return pumps.some((p) => Date.now() - p.lastData < QUIET_MS);
    // Nothing out yet: an event loop idle all along (no thread running for IDLE_MS) waits for the end of its
    // input (audiofs-synth reads it all before it plays); one busy at any check is still starting (audiofs-dj).
    if (await waitsOnInput(entry.pid, { idleLoop: true })) {
      this.idleSince ??= Date.now();
      if (Date.now() - this.idleSince >= IDLE_MS) return false;
    } else {
      this.idleSince = undefined;
    }
    return Date.now() - this.startedAt < STARTUP_MS;
  }

  /** The input is held open for appends but nothing has come out for a while: the chain's silence is not late data. */
  get tailing(): boolean {
    if (!this.lingering) return false;
    return [...this.pumps.values()].every((p) => p.ended || (!p.held && Date.now() - p.lastData >= TAIL_MS));
  }

  private entryStore(): InputStore {
    const stages = this.chain.stages;
    return this.entry === 0 && (stages.length === 0 || stages[0].input.size === 0) ? this.chain.input : stages[this.entry].input;
  }

  private startFeeder(store: InputStore, from?: number): void {
    const fed = this.options.feedOverride?.(store) ?? store;
    const region = this.options.region?.(store);
    this.feeder = new Feeder(fed, {
      target: () => this.targetAtOrAfter(this.entry),
      // Realtime: the chain plays what it was given long after it was fed; what is appended meanwhile is taken.
      linger: this.options.lossless ? undefined : () => this.stillPlaying(),
      from: from ?? region?.from,
      to: region?.to,
      chunk: this.fileSpeed ? FILE_SPEED_FEED : undefined,
      kernelTarget: this.junctions && this.fileSpeed ? () => this.kernelFeedTarget() : undefined,
      onKernelFed: (bytes) => (this.kernelFed += bytes),
      onDone: () => {
        this.feederDone = true;
        this.reconcileEnds();
      },
    });
    this.feederDone = false;
    this.feeder.start();
  }

  private async spawn(stage: Stage): Promise<void> {
    const { options, chain } = this;
    const env = { ...options.env, AUDIOFS_CHAIN: chain.name, AUDIOFS_STAGE: stage.name };
    const launch = launchOf(stage.argv, stage.file);
    options.trace?.(`spawn ${chain.name}/${stage.name}: ${[stage.file, ...launch.args].map((a) => JSON.stringify(a)).join(' ')}`);
    const label = `${chain.name}/${stage.name}`;
    const limit = new StderrLimit({
      onBytes: (b) => stage.err.push(b),
      onLine: (l) => {
        options.log('info', `${label}: ${l}`);
        options.onStderrLine?.(l);
      },
      onDropped: (n) => {
        stage.err.push(Buffer.from(`... ${n} bytes of stderr dropped\n`));
        options.log('warn', `${label}: ... ${n} bytes of stderr dropped (more than ${STDERR_RATE} bytes a second)`);
      },
    });
    const starting = StageProcess.spawn(
      { file: stage.file, args: launch.args, env, cwd: options.cwd, stdoutPipe: this.fileSpeed ? FILE_SPEED_PIPE : undefined },
      {
        onStderr: (chunk) => limit.take(launch.stderr(chunk)),
        onTerminate: () => launch.end(),
        onExit: (exit) => {
          limit.take(launch.flush());
          limit.end();
          // Replaced, or started after the run ended (never its stage's): not the stage's exit.
          if (this.replacing.has(proc) || stage.proc !== proc) return;
          const sentByUs = proc.terminating && (exit.signal === 'SIGTERM' || exit.signal === 'SIGKILL');
          stage.lastExit = exit.signal ? { ...exit, byAudiofs: sentByUs } : exit;
          const how = exit.signal ? (sentByUs ? `stopped by audiofs (${exit.signal})` : `killed by ${exit.signal}`) : `exited with ${exit.exitCode}`;
          const bad = exit.signal ? !sentByUs : exit.exitCode !== 0;
          options.log(bad ? 'warn' : 'debug', `${label}: ${how}${bad ? `; stderr: ${stage.err.tail(3) || '(none)'}` : ''}`);
        },
      },
    );
    // A start takes a trip to the spawning thread: a stop meanwhile ends what it started (finish waits for it).
    this.starting.add(starting);
    let proc: StageProcess;
    try {
      proc = await starting;
    } finally {
      this.starting.delete(starting);
    }
    if (this.ended) return;
    // Removed from the chain while it started (rm -r of the stage or the chain during a play): it never joins.
    if (!chain.stages.includes(stage)) {
      await proc.terminate();
      proc.stdout.destroy();
      return;
    }
    stage.proc = proc;
    stage.launch = launch;
    stage.lastExit = undefined;
    this.targets.set(stage, new StdinTarget(proc.stdin));
    if (stage.bypassed) proc.stop();
    if (stage.sched.length > 0) {
      const applied = launch.sched(proc.pid, stage.sched).catch((e: Error) => options.log('warn', `${label}/sched: ${e.message}`));
      // A remote stage reports its process id once connected; the pumps do not wait for that.
      if (!launch.host) await applied;
    }
    const outTap = streamTarget(stage.out);
    // A process replacing another continues its output where the old one's ended.
    const startAt = this.pumps.get(stage)?.handed ?? 0;
    this.pumps.set(stage, pump(proc.stdout, {
      targets: () => [outTap, this.routeOf(stage, proc)],
      onEnd: () => {
        stage.out.end();
        if (this.replacing.has(proc)) return;
        this.reconcileEnds();
      },
    }, { pacer: this.pacer, startAt }));
  }

  /**
   * Where the output of a stage's process goes now: the next stage in the data path, whether the stage is
   * in it or stopped out of it (what a stage wrote before it stopped is handed on, never dropped). Dropped:
   * the output of a stage removed from the chain or upstream of the entry, and what a process out of the
   * path gives as it is replaced.
   */
  private routeOf(stage: Stage, proc: StageProcess): Target {
    const i = this.chain.stages.indexOf(stage);
    if (i < this.entry) return DISCARD;
    const leaving = this.leaving.get(proc);
    if (leaving) return leaving;
    if (proc !== stage.proc && this.outOfPath.has(stage)) return DISCARD;
    return this.targetAtOrAfter(i + 1);
  }

  /** The entry's stdin when the kernel may feed it from a spill file: export mode, no splice under way, its process running. */
  private kernelFeedTarget(): StdinTarget | undefined {
    if (this.ended || this.holds.size > 0 || this.junctions?.changing !== false) return undefined;
    const target = this.targetAtOrAfter(this.entry);
    for (const [stage, t] of this.targets) if (t === target && stage.proc?.state === 'running') return t;
    return undefined;
  }

  private targetAtOrAfter(i: number): Target {
    const stages = this.chain.stages;
    for (let j = Math.max(i, this.entry); j < stages.length; j++) {
      const hold = this.holds.get(stages[j]);
      if (hold) return hold;
      if (!this.outOfPath.has(stages[j])) return this.targets.get(stages[j]) ?? DISCARD;
    }
    return this.sinkTarget;
  }

  /**
   * Junctions the kernel may carry now: in export mode (the pipes' own backpressure is the whole pacing
   * there), a running stage in the data path whose output goes to the next running stage's stdin, its pump
   * not held back, no splice under way (a hold) and the run not ending.
   */
  private junctionCandidates(): Array<JunctionCandidate<Stage>> {
    if (this.ended || this.holds.size > 0 || !this.fileSpeed) return [];
    const stages = this.chain.stages;
    const found: Array<JunctionCandidate<Stage>> = [];
    for (let i = this.entry; i < stages.length; i++) {
      const from = stages[i];
      const proc = from.proc;
      const output = this.pumps.get(from);
      if (!proc || proc.state !== 'running' || this.outOfPath.has(from) || !output || output.ended || output.held || output.pending > 0) continue;
      const target = this.routeOf(from, proc);
      const to = stages.find((s) => this.targets.get(s) === target);
      if (!to?.proc || to.proc.state !== 'running') continue;
      found.push({ key: from, src: proc.stdout, dst: to.proc.stdin, tap: from.out });
    }
    return found;
  }

  /**
   * Ends the run: the output, then every process. At a natural end (the output ended because everything
   * upstream did), a stage whose output has closed is exiting by itself: it gets EXIT_GRACE_MS to do so
   * before it is signalled (GNU tools close stdout just before they exit).
   */
  private finish(options: { natural?: boolean } = {}): void {
    if (this.ended) return;
    this.junctions?.close();
    this.ended = true;
    this.feeder?.cancel();
    this.pacer?.dispose();
    this.chain.out.end();
    this.options.sink?.end();
    const ending = this.chain.stages.filter((s) => s.proc !== undefined);
    // Processes still starting are ended as soon as they run (spawn() does not wire them into an ended run).
    const starting = [...this.starting].map((p) => p.then(async (proc) => {
      await proc.terminate();
      proc.stdout.destroy();
    }, () => undefined));
    const end = (s: Stage): Promise<void> => {
      const proc = s.proc!;
      const exiting = options.natural && this.pumps.get(s)?.ended && proc.state === 'running';
      return exiting ? Promise.race([proc.exited, sleep(EXIT_GRACE_MS)]).then(() => proc.terminate()) : proc.terminate();
    };
    void Promise.all([...ending.map(end), ...starting]).then(() => {
      for (const s of this.chain.stages) s.out.end();
      this.options.onEnd?.();
      this.resolveDone();
    });
  }
}

/** The stage a run is fed at: the last one with stored input, else the first. */
function entryOf(stages: readonly Stage[]): number {
  for (let i = stages.length - 1; i > 0; i--) if (stages[i].input.size > 0) return i;
  return 0;
}

/** Whether a stage has a command to run (`mkdir NAME/STAGE` makes one without, until its `cmd` is written). */
function hasCommand(stage: Stage): boolean {
  return stage.argv.length > 0 && stage.file !== '';
}

function streamTarget(stream: LiveStream): Target {
  return {
    write: (b) => stream.write(b),
    whenWritable: () => stream.whenWritable(),
    end: () => undefined,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
