import type { Frames, Seconds } from '../base/units.js';
import type { PcmFormat } from '../base/pcm-format.js';
import type { Logger } from '../base/logger.js';
import type { Clock } from './clock.js';
import type { Levels } from './meter.js';

/** realtime: paced by the clock, late sources give silence (xruns); export: waits for every source, no clock. */
export type EngineMode = 'realtime' | 'export';
/** The transport as the engine sees it. */
export type EngineState = 'stopped' | 'running' | 'paused' | 'ended';

/** Options of an Engine. */
export interface EngineOptions {
  format?: PcmFormat;
  /** Frames per period (default 512). */
  period?: Frames;
  mode?: EngineMode;
  clock?: Clock;
  logger?: Logger;
  /** Realtime: how late the engine may fall (a stalled process) before it skips ahead instead of catching up (default 0.25 s). */
  maxLate?: Seconds;
}

/** Options of start(). */
export interface StartOptions {
  /** Rendezvous: start the clock only once every source has a first period ready, or after timeoutMs. */
  gate?: { timeoutMs: number };
}

/** Options of addSink(). */
export interface AddSinkOptions {
  /** End the sink (and remove it) when the run ends: export files. */
  endWithRun?: boolean;
}

/** How a run ended: every source drained (export mode) or stop(). */
export interface EngineEnd {
  reason: 'drained' | 'stopped';
  position: Frames;
}

/** One source in /status. */
export interface SourceStatus extends Levels {
  name: string;
  /** Periods it left short since the run started (or it was added), and since the engine was made. */
  xruns: number;
  xrunsTotal: number;
  buffered: Frames;
  ended: boolean;
}

/** The engine's part of /status, as a plain object. */
export interface EngineStatus {
  state: EngineState;
  mode: EngineMode;
  position: Frames;
  seconds: Seconds;
  trace: boolean;
  /** Times the realtime clock fell more than maxLate behind and skipped ahead, since the run started (play, seek). */
  lateSkips: number;
  /** The same since the engine was made. */
  lateSkipsTotal: number;
  sources: SourceStatus[];
  master: Levels & { clipped: number };
}
