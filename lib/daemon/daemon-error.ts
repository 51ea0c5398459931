import { AudiofsError, type ErrnoName } from '../base/errors.js';

/** Why a daemon could not be started or stopped. */
export type DaemonFailure = 'already-running' | 'mount-busy' | 'spawn-failed' | 'exited' | 'not-ready';

const CODES: Record<DaemonFailure, ErrnoName> = {
  'already-running': 'EBUSY',
  'mount-busy': 'EBUSY',
  'spawn-failed': 'ENOENT',
  exited: 'EIO',
  'not-ready': 'EIO',
};

/** Data a DaemonError carries besides its message. */
export interface DaemonErrorData {
  readonly pid?: number | null;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  /** The last lines of the daemon's log file. */
  readonly logTail?: string;
  readonly cause?: unknown;
}

/** A daemon that is already running, could not start, or never got ready; carries its pid, exit and log tail. */
export class DaemonError extends AudiofsError {
  readonly reason: DaemonFailure;
  readonly pid: number | null;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly logTail: string;

  constructor(reason: DaemonFailure, mountDir: string, detail: string, data: DaemonErrorData = {}) {
    const tail = data.logTail?.trimEnd() ?? '';
    const text = tail === '' ? detail : `${detail}; last lines of the log:\n${tail}`;
    super(CODES[reason], reason === 'already-running' || reason === 'mount-busy' ? 'start' : 'daemon', mountDir, text, { cause: data.cause });
    this.name = 'DaemonError';
    this.message = `${mountDir}: ${text}`;
    this.reason = reason;
    this.pid = data.pid ?? null;
    this.exitCode = data.exitCode ?? null;
    this.signal = data.signal ?? null;
    this.logTail = tail;
  }
}
