import { bytesPerSecond, framesToBytes, framesToSeconds, secondsToFrames, type PcmFormat } from '../base/pcm-format.js';
import type { Bytes, Frames, Seconds } from '../base/units.js';
import type { Region } from './bars.js';

/** How a pass runs: held to the clock and the sound card (realtime), or as fast as the chains go, losing nothing (export). */
export type TransportMode = 'realtime' | 'export';

/** A loop's, a step's or an export's A..B (the same shape as a step's region). */
export type LoopRegion = Region;

/** What one pass of the transport plays, and how. */
export interface Pass {
  /** Where the inputs are fed from (the engine counts frames from here). */
  from: Seconds;
  /** Where the inputs are cut (a loop's or a region's end); absent: at their end. */
  to?: Seconds;
  /** Where the pass stops by itself (step N, export A B); absent for play and loop passes. */
  stopAt?: Seconds;
  /** The pass's own mode: an export's pass renders in export mode whatever the setting. */
  mode: TransportMode;
  /** Whether the pass renders once whatever loop is set (a step, an export). */
  once: boolean;
}

/** How long past a loop's end the transport waits for a pass that has not drained before it wraps anyway. */
export const WRAP_SLACK: Seconds = 0.5;

/** The fade at each end of a loop's pass: a few milliseconds, so the seam never clicks. */
export const LOOP_SEAM_FADE: Seconds = 0.005;

/** Realtime: how far ahead of the clock a stage's output is handed on (periods, 186 ms at 512 frames and 44.1 kHz). */
export const LEAD_PERIODS = 16;

/**
 * Realtime: the least lead, whatever the period (frames; 743 ms at 44.1 kHz). 16 periods (46 ms at 128 frames,
 * 186 ms at 512) left 128 generator + filter chains beside two CPU hogs ~10,000 short periods a minute (0 of 10
 * trials clean; before the lead was bounded: 10 of 10). With 8,192 frames: ~5,000 in 20 s; 16,384: 39 in 15 s;
 * 32,768: none (`bench/realtime`). A stage still holds at most this much in its pipe.
 */
export const LEAD_MIN_FRAMES = 32768;

/** Realtime: how far ahead of the clock a stage's output is handed on, for a period. */
export function leadFrames(period: Frames): Frames {
  return Math.max(period * LEAD_PERIODS, LEAD_MIN_FRAMES);
}

/**
 * The transport's settings (mode, cue, loop, steps) and its current pass, as plain numbers: where the next
 * pass starts, when a loop wraps, what a step or an export covers, and where the transport is now given
 * how many frames the current pass has played. No processes, no engine: the caller passes the frame count.
 */
export class TransportPlan {
  /** The mode setting (`realtime on|off`); an export does not change it, its pass carries its own mode. */
  realtime = true;
  /** Where the next play starts (the last seek). */
  cue: Seconds = 0;
  loop: LoopRegion | null = null;
  stepBars: number | null = null;
  /** The pass started last (undefined before the first). */
  pass: Pass | undefined;

  constructor(private readonly format: PcmFormat) {}

  /** The mode of a pass started now by play, seek, step or a loop wrap. */
  get settingMode(): TransportMode {
    return this.realtime ? 'realtime' : 'export';
  }

  /** The pass that play starts: from the cue, or from the loop's start when the cue lies outside the loop. */
  playPass(): Pass {
    const loop = this.loop;
    const from = loop && (this.cue < loop.from || this.cue >= loop.to) ? loop.from : this.cue;
    return { from, to: loop?.to, mode: this.settingMode, once: false };
  }

  /** The pass that starts one chain alone while stopped (NAME/ctl play): from the cue, to the end. */
  chainPass(): Pass {
    return { from: this.cue, mode: this.settingMode, once: false };
  }

  /** The pass of a step: its region, stopping at its end, once. */
  stepPass(region: LoopRegion): Pass {
    return { from: region.from, to: region.to, stopAt: region.to, mode: this.settingMode, once: true };
  }

  /** The pass of `export FILE [A B]`: the region (or the whole song) once, in export mode. */
  exportPass(region: LoopRegion | null): Pass {
    return { from: region?.from ?? 0, to: region?.to, stopAt: region?.to, mode: 'export', once: true };
  }

  /** The pass after a loop wraps: the loop again. */
  wrapPass(loop: LoopRegion): Pass {
    return { from: loop.from, to: loop.to, mode: this.settingMode, once: false };
  }

  /** The song played to its end (or drained before a new play): the next play starts from the beginning. */
  ended(): void {
    this.cue = 0;
  }

  /** Whether `pass` (default: the current one) loops: a loop is set and the pass is not one that renders once. */
  looping(pass: Pass | undefined = this.pass): boolean {
    return this.loop !== null && pass !== undefined && !pass.once;
  }

  /** Where the engine ends `pass`, in frames from its start (undefined: when the chains end). */
  passEndFrames(pass: Pass): Frames | undefined {
    const end = pass.stopAt ?? pass.to;
    return end === undefined ? undefined : secondsToFrames(end - pass.from, this.format);
  }

  /** The fade at each end of `pass`, in frames: a loop's passes fade, others end to the frame. */
  seamFadeFrames(pass: Pass): Frames {
    return this.looping(pass) ? secondsToFrames(LOOP_SEAM_FADE, this.format) : 0;
  }

  /**
   * Where the transport is now: stopped, where the next play starts (the cue); else the current pass's
   * start plus the frames it has played.
   */
  at(options: { stopped: boolean; played: Frames }): Seconds {
    if (options.stopped || !this.pass) return this.cue;
    return this.pass.from + framesToSeconds(options.played, this.format);
  }

  /** Whether the current pass should wrap now, having played `played` frames: it loops and is past the loop's end by WRAP_SLACK. */
  shouldWrap(played: Frames): boolean {
    return this.looping() && this.pass!.from + framesToSeconds(played, this.format) >= this.loop!.to + WRAP_SLACK;
  }

  /** The mode the transport is in: the running pass's, else the setting. */
  mode(options: { stopped: boolean }): TransportMode {
    return !options.stopped && this.pass ? this.pass.mode : this.settingMode;
  }

  /** The seconds a pass rendered, from the frames the engine counted from its start. */
  renderedSeconds(played: Frames): Seconds {
    return framesToSeconds(played, this.format);
  }
}

/** How a chain's run is set up for a pass of `mode`, with the engine's period. */
export interface RunSettings {
  /** Export: nothing a stage writes is dropped. */
  lossless: boolean;
  /** Bytes the chain's source buffers ahead of the mix. */
  buffer: Bytes;
  /** Realtime: how far ahead of the clock a stage's output is handed on. */
  lead?: Bytes;
  /** Realtime: how long a stage may stay quiet, settle and drain before it counts as done. */
  rest?: { quietMs: number; settleMs: number; drainMs: number };
  /** Realtime: how long the engine waits for every source's first period. */
  gateMs?: number;
}

/** The run settings of a pass of `mode` (derived per pass, never stored). */
export function runSettings(mode: TransportMode, period: Frames, format: PcmFormat): RunSettings {
  if (mode === 'export') return { lossless: true, buffer: bytesPerSecond(format) };
  return {
    lossless: false,
    buffer: framesToBytes(period * 4, format),
    lead: framesToBytes(leadFrames(period), format),
    // A stage holds at most the lead, and waiting longer than it for the stage to finish would starve the mix.
    rest: { quietMs: 20, settleMs: Math.ceil(framesToSeconds(leadFrames(period), format) * 1000), drainMs: 5000 },
    gateMs: 3000,
  };
}
