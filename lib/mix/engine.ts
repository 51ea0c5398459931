import { EventEmitter } from 'node:events';
import type { Frames, Seconds } from '../base/units.js';
import { DEFAULT_FORMAT, bytesToFrames, framesToBytes, framesToSeconds, type PcmFormat } from '../base/pcm-format.js';
import { Logger } from '../base/logger.js';
import { MonotonicClock, type Clock } from './clock.js';
import { Mixer, type MixResult } from './mixer.js';
import { Meter } from './meter.js';
import { isComplete, type MixSource } from './source.js';
import type { Sink } from './sink.js';
import { defaultStrip, type StripSettings } from './strip.js';
import { traceChannelMap, type ChannelAssignment } from './trace.js';
import type { AddSinkOptions, EngineEnd, EngineMode, EngineOptions, EngineState, EngineStatus, StartOptions } from './engine-types.js';
import { PassEnd } from './pass-end.js';
import { allReady, exportFrames, notReady } from './source-readiness.js';
import { Wakeup } from './wakeup.js';

interface Entry {
  source: MixSource;
  /** Read each period: the strip's one home is whoever added the source (NAME/mixer is the studio's). */
  strip: () => StripSettings;
  meter: Meter;
  /** What the mixer gets of this source each period (filled again every period). */
  input: { pcm: Buffer; strip: StripSettings; meter: Meter };
  xruns: number;
  unsubscribe: () => void;
  /** Where it mixes and which trace channels it gets: sources are kept in this order, not in the order they came. */
  rank: number;
}

/** A source's PCM when it has none this period. */
const NO_PCM = Buffer.alloc(0);

/** The mixing engine: takes a period from every source, mixes it and hands it to every sink. */
export class Engine extends EventEmitter {
  readonly format: PcmFormat;
  readonly period: Frames;
  readonly mixer: Mixer;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxLate: Seconds;
  private entries = new Map<string, Entry>();
  private readonly sinks = new Map<Sink, AddSinkOptions>();
  private currentMode: EngineMode;
  private currentState: EngineState = 'stopped';
  private pos: Frames = 0;
  private generation = 0;
  private loop: Promise<void> = Promise.resolve();
  private readonly wakeup = new Wakeup();
  private anchorTime: Seconds = 0;
  private anchorPos: Frames = 0;
  private tracing = false;
  private drainedSaid = false;
  /** Late skips since the run started (play, seek), and since the engine was made. */
  private lateSkips = 0;
  private lateSkipsTotal = 0;
  /** Xruns of each source by name since the engine was made (a source's own count is since the run started or it was added). */
  private readonly xrunTotals = new Map<string, number>();
  private readonly passEnd = new PassEnd();
  /** The mixer's inputs of the period being mixed. */
  private readonly inputs: Array<Entry['input']> = [];

  constructor(options: EngineOptions = {}) {
    super();
    this.format = options.format ?? DEFAULT_FORMAT;
    this.period = options.period ?? 512;
    this.currentMode = options.mode ?? 'realtime';
    this.clock = options.clock ?? new MonotonicClock();
    this.logger = options.logger ?? new Logger({ level: 'warn' });
    this.maxLate = options.maxLate ?? 0.25;
    this.mixer = new Mixer(this.format);
  }

  /** Adds a source (a chain's output) at its rank (default: last); its strip (read each period) is unity unless given. */
  addSource(source: MixSource, options: { strip?: StripSettings | (() => StripSettings); rank?: number } = {}): void {
    if (this.entries.has(source.name)) throw new Error(`source '${source.name}' is already in the mix (expected a new name)`);
    const unsubscribe = source.onChange(() => this.wakeup.poke());
    const rank = options.rank ?? Math.max(-1, ...[...this.entries.values()].map((e) => e.rank)) + 1;
    const given = options.strip ?? defaultStrip();
    const strip = typeof given === 'function' ? given : () => given;
    const meter = new Meter();
    this.entries.set(source.name, { source, strip, meter, input: { pcm: NO_PCM, strip: strip(), meter }, xruns: 0, unsubscribe, rank });
    this.entries = new Map([...this.entries].sort(([, a], [, b]) => a.rank - b.rank));
    this.drainedSaid = false;
    this.emit('layout', this.channelMap());
    this.wakeup.poke();
  }

  /** Removes a source; unknown names are ignored. */
  removeSource(name: string): void {
    const e = this.entries.get(name);
    if (!e) return;
    e.unsubscribe();
    this.entries.delete(name);
    this.emit('layout', this.channelMap());
    this.wakeup.poke();
  }

  /** The names of the sources, in mixing order. */
  sourceNames(): string[] {
    return [...this.entries.keys()];
  }

  /** Adds a sink; it gets every period from the next one on. */
  addSink(sink: Sink, options: AddSinkOptions = {}): void {
    this.sinks.set(sink, options);
    sink.setMode?.(this.currentMode);
  }

  /** Removes a sink (without ending it). */
  removeSink(sink: Sink): void {
    this.sinks.delete(sink);
  }

  get mode(): EngineMode {
    return this.currentMode;
  }

  /** Switches between realtime and export; realtime re-anchors its clock at the current position. */
  setMode(mode: EngineMode): void {
    if (mode === this.currentMode) return;
    this.currentMode = mode;
    for (const sink of this.sinks.keys()) sink.setMode?.(mode);
    this.anchor();
    this.wakeup.poke();
  }

  get state(): EngineState {
    return this.currentState;
  }

  /** Every change of state is emitted as 'state' (what runs beside the mix follows it: engine-priority.ts). */
  private setState(state: EngineState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit('state', state);
  }

  /** Frames mixed since the start (or the last seek). */
  get position(): Frames {
    return this.pos;
  }

  /** Sets the position counter (the sequencer refeeds the sources from there). */
  seek(position: Frames): void {
    this.pos = position;
    this.anchor();
  }

  /**
   * Where the current pass ends by itself (a loop's B, a step's end, an export region), in frames from
   * its start: the run ends there to the frame ('drained'). `fade` ramps the pass in and out so a
   * loop's seam never clicks (0: exact edges, as exports of a region need).
   */
  setPassEnd(end: Frames | undefined, options: { fade?: Frames } = {}): void {
    this.passEnd.set(end, { fade: options.fade ?? 0, position: this.pos });
  }

  get trace(): boolean {
    return this.tracing;
  }

  /** trace on|off: sinks with layout 'trace' get every source on its own channels. */
  setTrace(options: { on: boolean }): void {
    this.tracing = options.on;
    this.emit('layout', this.channelMap());
  }

  /** Which channels of the traced output belong to which source (for /channels). */
  channelMap(): ChannelAssignment[] {
    return traceChannelMap(this.sourceNames(), this.format.channels);
  }

  /** Channels of what 'trace' sinks get now. */
  traceChannels(): number {
    return this.tracing ? Math.max(1, this.entries.size) * this.format.channels : this.format.channels;
  }

  /** Starts (or restarts after stop or end) the run; resolves once the clock runs. */
  async start(options: StartOptions = {}): Promise<void> {
    if (this.currentState === 'running') return;
    if (this.currentState === 'paused') return this.resume();
    if (options.gate) await this.gate(options.gate.timeoutMs);
    this.drainedSaid = false;
    // A new run counts from 0 (the totals go on).
    this.lateSkips = 0;
    for (const e of this.entries.values()) e.xruns = 0;
    this.run();
  }

  /** Pauses: no period is mixed until resume(). */
  pause(): void {
    if (this.currentState !== 'running') return;
    this.setState('paused');
    this.generation++;
    this.wakeup.poke();
  }

  /** Resumes after pause(); the clock re-anchors, so no catch-up burst. */
  resume(): void {
    if (this.currentState !== 'paused') return;
    this.run();
  }

  /** Stops the run: aborts (or ends) the sinks added with endWithRun and emits 'end' {reason: 'stopped'}. */
  async stop(): Promise<void> {
    if (this.currentState === 'stopped' || this.currentState === 'ended') return;
    this.setState('stopped');
    this.generation++;
    this.wakeup.poke();
    await this.loop;
    await this.finishRun('stopped');
  }

  /** Resolves when the current run ends (export drained, or stop()). */
  whenEnded(): Promise<EngineEnd> {
    return new Promise((resolve) => this.once('end', resolve));
  }

  /** The engine's part of /status. */
  status(): EngineStatus {
    return {
      state: this.currentState,
      mode: this.currentMode,
      position: this.pos,
      seconds: framesToSeconds(this.pos, this.format),
      trace: this.tracing,
      lateSkips: this.lateSkips,
      lateSkipsTotal: this.lateSkipsTotal,
      sources: [...this.entries.values()].map((e) => ({
        name: e.source.name,
        xruns: e.xruns,
        xrunsTotal: this.xrunTotals.get(e.source.name) ?? 0,
        ...e.meter.levels(),
        buffered: bytesToFrames(e.source.available(), this.format),
        ended: e.source.ended,
      })),
      master: { ...this.mixer.meter.levels(), clipped: this.mixer.clipped },
    };
  }

  private run(): void {
    this.setState('running');
    const gen = ++this.generation;
    this.anchor();
    this.loop = this.runLoop(gen).catch((err) => {
      this.logger.error(`mix: engine stopped on an error: ${(err as Error).message}`);
      this.setState('stopped');
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
  }

  private live(gen: number): boolean {
    return this.generation === gen && this.currentState === 'running';
  }

  private async runLoop(gen: number): Promise<void> {
    while (this.live(gen)) {
      if (this.currentMode === 'export') {
        await this.untilReady(gen);
        if (!this.live(gen) || this.currentMode !== 'export') continue;
        const frames = this.passEnd.clamp(exportFrames(this.sources(), { period: this.period, format: this.format }), this.pos);
        if (frames === 0) {
          this.setState('ended');
          await this.finishRun('drained');
          return;
        }
        await this.mixOnce(frames, { awaitSinks: true });
      } else {
        const due = this.anchorTime + framesToSeconds(this.pos - this.anchorPos, this.format);
        await this.clock.sleepUntil(due);
        if (!this.live(gen) || this.currentMode !== 'realtime') continue;
        const late = this.clock.now() - due;
        if (late > this.maxLate) {
          this.lateSkips++;
          this.lateSkipsTotal++;
          this.logger.warn(`mix: the engine fell ${late.toFixed(3)} s behind its clock; skipping ahead instead of catching up`);
          this.anchor();
        }
        const frames = this.passEnd.clamp(this.period, this.pos);
        if (frames === 0) {
          this.setState('ended');
          await this.finishRun('drained');
          return;
        }
        await this.mixOnce(frames, { awaitSinks: false });
        this.sayDrained();
      }
    }
  }

  private anchor(): void {
    this.anchorTime = this.clock.now();
    this.anchorPos = this.pos;
  }

  private sources(): MixSource[] {
    return [...this.entries.values()].map((e) => e.source);
  }

  private allReady(): boolean {
    return allReady(this.sources(), framesToBytes(this.period, this.format));
  }

  private async untilReady(gen: number): Promise<void> {
    while (this.live(gen) && this.currentMode === 'export' && !this.allReady()) await this.wakeup.wait();
  }

  private async gate(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.allReady() && Date.now() < deadline) await this.wakeup.wait(deadline - Date.now());
    if (!this.allReady()) {
      const late = notReady(this.sources(), framesToBytes(this.period, this.format));
      this.logger.warn(`mix: start gate timed out after ${timeoutMs} ms; not ready: ${late.map((s) => s.name).join(', ')}`);
    }
  }

  private async mixOnce(frames: Frames, options: { awaitSinks: boolean }): Promise<void> {
    const want = framesToBytes(frames, this.format);
    // The inputs are the entries' own records, filled again each period (a period allocates no bookkeeping).
    const inputs = this.inputs;
    inputs.length = 0;
    for (const e of this.entries.values()) {
      const complete = isComplete(e.source);
      const pcm = e.source.available() > 0 ? e.source.take(want) : NO_PCM;
      // A source with nothing to say (a live input nobody writes to) gives silence, not an xrun.
      if (pcm.length < want && !complete && this.currentMode === 'realtime' && !(pcm.length === 0 && e.source.quiet?.())) {
        e.xruns++;
        this.xrunTotals.set(e.source.name, (this.xrunTotals.get(e.source.name) ?? 0) + 1);
      }
      e.input.pcm = pcm;
      e.input.strip = e.strip();
      inputs.push(e.input);
    }
    const mixed = this.mixer.mix(inputs, frames, { trace: this.tracing });
    // The sources' PCM is not held past the period (the sinks have what they keep).
    for (const input of inputs) input.pcm = NO_PCM;
    const result: MixResult = {
      mix: this.passEnd.fadeSeams(mixed.mix, this.format.channels, this.pos),
      ...(mixed.trace ? { trace: this.passEnd.fadeSeams(mixed.trace, mixed.trace.length / framesToBytes(frames, { ...this.format, channels: 1 }), this.pos) } : {}),
    };
    this.pos += frames;
    const pending: Promise<void>[] = [];
    for (const sink of [...this.sinks.keys()]) {
      const pcm = sink.layout === 'trace' && result.trace ? result.trace : result.mix;
      try {
        const r = sink.write(pcm);
        if (r) {
          const guarded = r.catch((err) => this.sinkFailed(sink, err));
          if (options.awaitSinks) pending.push(guarded);
        }
      } catch (err) {
        this.sinkFailed(sink, err);
      }
    }
    if (pending.length > 0) await Promise.all(pending);
    this.emit('period', result, this.pos);
  }

  private sinkFailed(sink: Sink, err: unknown): void {
    if (!this.sinks.has(sink)) return;
    this.sinks.delete(sink);
    this.logger.error(`mix: output ${sink.name} failed and was taken out of the mix: ${(err as Error).message}`);
    this.emit('sink-error', sink, err);
  }

  private sayDrained(): void {
    if (this.drainedSaid || this.entries.size === 0) return;
    for (const e of this.entries.values()) if (!e.source.ended) return;
    this.drainedSaid = true;
    this.emit('drained', this.pos);
  }

  private async finishRun(reason: EngineEnd['reason']): Promise<void> {
    const ending = [...this.sinks].filter(([, o]) => o.endWithRun).map(([s]) => s);
    for (const s of ending) this.sinks.delete(s);
    // A stopped run did not render what was asked: a sink that can be discarded (an export file) is.
    await Promise.all(ending.map((s) => (reason === 'stopped' && s.abort ? s.abort() : s.end()).catch((err) => {
      this.logger.error(`mix: output ${s.name} failed to finish: ${(err as Error).message}`);
      this.emit('sink-error', s, err);
    })));
    const end: EngineEnd = { reason, position: this.pos };
    this.logger.info(`mix: run ended (${reason}) at ${framesToSeconds(this.pos, this.format).toFixed(3)} s`);
    this.emit('end', end);
  }
}
