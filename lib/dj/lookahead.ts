// The tracks ahead: paths are taken from the queue and loaded, in order, as soon as they arrive (within a budget).
import type { Seconds } from '../base/units.js';
import type { LoadedTrack } from './load-track.js';
import type { TrackQueue } from './track-queue.js';

/** How far ahead to load: at most `tracks` tracks, and no new one once `seconds` of audio are waiting. */
export interface LookaheadOptions {
  tracks: number;
  seconds: Seconds;
}

/** Loads the queue ahead of the player, one track at a time, so a long decode is done before the track is due. */
export class Lookahead {
  private readonly ready: LoadedTrack[] = [];
  private loading = false;
  private ended = false;
  private wakers: Array<() => void> = [];
  private told = false;

  constructor(
    private readonly queue: TrackQueue,
    private readonly load: (path: string) => Promise<LoadedTrack>,
    private readonly log: (line: string) => void,
    private readonly options: LookaheadOptions = { tracks: 8, seconds: 1200 },
  ) {
    void this.pump();
  }

  /** True while nothing is ready or being loaded and the open input has no path: the next track is up to the user. */
  get starved(): boolean {
    return this.ready.length === 0 && !this.loading && this.queue.waiting && !this.queue.closed;
  }

  /** Whether the next track is loaded and can be had at once. */
  get hasReady(): boolean {
    return this.ready.length > 0;
  }

  /** Whether the input is closed and every track has been handed out: next() gives undefined at once. */
  get finished(): boolean {
    return this.ended && this.ready.length === 0;
  }

  /** Resolves once the next track is loaded or the input is finished (takes nothing). */
  async settled(): Promise<void> {
    while (!this.hasReady && !this.finished) await this.changed();
  }

  /** The next loaded track in queue order, waiting for it; undefined once the input is closed and everything is played. */
  async next(): Promise<LoadedTrack | undefined> {
    while (this.ready.length === 0 && !this.ended) await this.changed();
    const track = this.ready.shift();
    this.wake();
    this.tellWaiting();
    return track;
  }

  private full(): boolean {
    const seconds = this.ready.reduce((s, t) => s + t.pcm.frames / t.pcm.format.rate, 0);
    return this.ready.length >= this.options.tracks || seconds >= this.options.seconds;
  }

  private async pump(): Promise<void> {
    for (;;) {
      while (this.full()) await this.changed();
      // Only a take that really waits (the queue empty, the input open) is news; lines already in the pipe come within ms.
      const notice = setTimeout(() => this.tellWaiting(), 250);
      const path = await this.queue.take().finally(() => clearTimeout(notice));
      this.told = false;
      if (path === undefined) break;
      this.loading = true;
      try {
        this.ready.push(await this.load(path));
      } catch (err) {
        this.log(`audiofs-dj: skipping ${(err as Error).message}`);
      } finally {
        this.loading = false;
        this.wake();
      }
    }
    this.ended = true;
    this.wake();
  }

  /** Says 'waiting for a new track' once per wait, when the player has nothing left ahead and the input nothing new. */
  private tellWaiting(): void {
    if (this.told || !this.starved) return;
    this.told = true;
    this.log('waiting for a new track');
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.wakers.push(resolve));
  }

  private wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const resolve of w) resolve();
  }
}
