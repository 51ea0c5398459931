import type { Bytes } from '../base/units.js';
import type { InputStore } from './input-store.js';
import { KernelFeed } from './kernel-feed.js';
import type { StdinTarget, Target } from './target.js';

/** Options of a Feeder. */
export interface FeederOptions {
  /** Where the next chunk goes (chosen per chunk: a splice or injection takes effect at once). */
  target: () => Target;
  /**
   * With everything fed and nothing more coming now (the store not growing): whether to keep the target
   * open anyway, taking what is appended, because the chain still plays what it was given (realtime).
   * Asked again after LINGER_POLL_MS, then less often (up to LINGER_POLL_MAX_MS); when it says no, the target ends.
   */
  linger?: () => boolean | Promise<boolean>;
  /** The first byte to feed. */
  from?: Bytes;
  /** Feed up to here only (a region); the whole store when absent. */
  to?: Bytes;
  chunk?: Bytes;
  /** Called once when everything has been fed and the target ended. */
  onDone?: () => void;
  /**
   * Export mode: the target when it is a process's stdin the kernel may write now (nothing else writes it
   * meanwhile); then a spilled store with nothing more coming is fed by a kernel pump from its file.
   */
  kernelTarget?: () => StdinTarget | undefined;
  /** Bytes a kernel pump gave the target, each time one stops. */
  onKernelFed?: (bytes: Bytes) => void;
}

/**
 * How often a lingering feeder asks again whether the chain still plays: after LINGER_POLL_MS, then twice as
 * long each time it still does, up to LINGER_POLL_MAX_MS (a chain that has played on for a while is asked 25
 * times a second, not 100: with 128 chains the asking was a tenth of the engine thread's allocations).
 */
const LINGER_POLL_MS = 10;
const LINGER_POLL_MAX_MS = 40;

/** Feeds a stored input to a process's stdin progressively, with backpressure, following data written later. */
export class Feeder {
  private offset: Bytes;
  private wake: (() => void) | undefined;
  private rerouted: (() => void) | undefined;
  private cancelled = false;
  private running = false;
  /** The kernel pump feeding now, if one is. */
  private kernel: KernelFeed | undefined;
  /** A kernel feed failed (the process is gone): JavaScript feeds from then on. */
  private kernelFailed = false;
  /** Everything was fed and nothing more is coming, but the target stays open for appends (see linger). */
  lingering = false;
  /** How long this lingering feeder waits before asking again. */
  private lingerPoll = LINGER_POLL_MS;

  constructor(private readonly store: InputStore, private readonly options: FeederOptions) {
    this.offset = options.from ?? 0;
  }

  /** Bytes fed so far, from the start of the store. */
  get position(): Bytes {
    return this.offset;
  }

  /** Starts feeding (once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  /** More data was written, or the writer closed: look again. */
  poke(): void {
    this.kernel?.stop();
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** The target changed (a splice): stop waiting for the old one to take more. */
  reroute(): void {
    this.kernel?.stop();
    const r = this.rerouted;
    this.rerouted = undefined;
    r?.();
  }

  /** Stops without ending the target. */
  cancel(): void {
    this.cancelled = true;
    this.poke();
    this.reroute();
  }

  private async loop(): Promise<void> {
    const chunk = this.options.chunk ?? 64 * 1024;
    while (!this.cancelled) {
      const end = Math.min(this.store.size, this.options.to ?? Infinity);
      if (this.offset < end) {
        if (await this.feedByKernel()) continue;
        const data = await this.store.read(this.offset, Math.min(chunk, end - this.offset));
        if (this.cancelled) return;
        if (data.length === 0) {
          // Nothing at this offset though the store says it is longer: what was not fed is gone (a live input
          // emptied by truncate or rm -r while its chain did not take it). Fed up to there; asking again at once
          // had spun this thread for ever (every request of the mount waiting behind it).
          this.offset = end;
          continue;
        }
        this.offset += data.length;
        this.lingering = false;
        const target = this.options.target();
        if (!target.write(data)) await new Promise<void>((resolve) => {
          this.rerouted = resolve;
          void target.whenWritable().then(resolve);
        });
        this.rerouted = undefined;
        continue;
      }
      const more = this.options.to === undefined || this.offset < this.options.to;
      if (more && this.store.growing) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const wasLingering = this.lingering;
      this.lingering = more && (await this.options.linger?.()) === true;
      if (this.cancelled) return;
      if (this.lingering) {
        this.lingerPoll = wasLingering ? Math.min(LINGER_POLL_MAX_MS, this.lingerPoll * 2) : LINGER_POLL_MS;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.lingerPoll);
          this.wake = () => { clearTimeout(timer); resolve(); };
        });
        continue;
      }
      this.options.target().end();
      this.options.onDone?.();
      return;
    }
  }

  /**
   * Has the kernel feed the rest of a spilled store with nothing more coming, until it is done or stopped
   * (poke, reroute, cancel); false when it cannot. The bytes it gave count as fed and as taken by the target.
   */
  private async feedByKernel(): Promise<boolean> {
    if (this.kernelFailed || this.store.growing || this.options.to !== undefined) return false;
    const path = this.store.spillFile?.();
    const target = path === undefined ? undefined : this.options.kernelTarget?.();
    const feed = target && KernelFeed.start(path!, this.offset, target.stdin);
    if (!feed) return false;
    this.kernel = feed;
    const asked = new Promise<void>((resolve) => {
      this.wake = resolve;
      this.rerouted = resolve;
    });
    // Anything else writing this stdin (a stopped stage's last output after a splice that timed out) stops the
    // kernel first, so their bytes never interleave.
    target.kernelWriter = () => this.poke();
    const finish = await Promise.race([feed.finished, asked.then(() => undefined)]);
    target.kernelWriter = undefined;
    this.wake = this.rerouted = undefined;
    this.kernel = undefined;
    const given = feed.stop();
    this.offset += given;
    target.taken += given;
    this.options.onKernelFed?.(given);
    this.lingering = false;
    // An error (EPIPE), or an end with nothing given (the file shorter than the store says): JavaScript from now on.
    if (finish?.outcome === 'error' || (finish?.outcome === 'end' && given === 0)) this.kernelFailed = true;
    return true;
  }
}
