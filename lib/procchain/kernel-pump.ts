import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
import type { Bytes } from '../base/units.js';

/** How a pump finished: its source's end of file (everything delivered), an error, or stop(). */
export type PumpOutcome = 'running' | 'end' | 'error' | 'stopped';

/** What a pump reports when it finishes on its own. */
export interface PumpFinish {
  outcome: 'end' | 'error' | 'stopped';
  /** Bytes written to the destination. */
  moved: Bytes;
  /** errno name (EPIPE) and the call that failed, for an error. */
  code?: string;
  op?: string;
}

/** What stop() leaves: the counters, and the bytes taken from the source but not delivered (deliver them first). */
export interface PumpStop {
  outcome: PumpOutcome;
  moved: Bytes;
  taken: Bytes;
  residue: Buffer;
  code?: string;
  op?: string;
}

interface PumpAddon {
  available: boolean;
  start(src: number, dst: number, onFinish: (outcome: 'end' | 'error', moved: number, code?: string, op?: string) => void, from?: number): object;
  stop(handle: object): PumpStop;
  stats(handle: object): { moved: number; taken: number };
  pipe(bytes?: number): [number, number];
  socketPair?(): [number, number];
  closeOnExec(fd: number): boolean;
  unread(fd: number): number;
}

let loaded: PumpAddon | null | undefined;
let loadProblem = '';

/** The addon (native/pump) as built, or undefined where it was not built or does not load. */
function nativeAddon(): PumpAddon | undefined {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('../../../native/pump/build/Release/pump.node') as PumpAddon;
    } catch (err) {
      loaded = null;
      loadProblem = (err as Error).message.split('\n')[0];
    }
  }
  return loaded ?? undefined;
}

/** The native pump, or undefined where the addon is missing or the system has no splice(2). */
function pumpAddon(): PumpAddon | undefined {
  const a = nativeAddon();
  if (a && !a.available) loadProblem = 'splice(2) is not available on this system';
  return a?.available ? a : undefined;
}

/** The descriptor under a Node stream made on one (a child's stdio, a net.Socket on a pipe), or undefined. */
export function descriptorOf(stream: Readable | Writable): number | undefined {
  const fd = (stream as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * The bytes written into a pipe or socket that its reader has not read yet (for a socket, counted with the
 * kernel's overhead: only 0 is exact); undefined where that cannot be known (no addon, not Linux, an error).
 */
export function unreadBytes(fd: number): number | undefined {
  const a = nativeAddon();
  if (!a || typeof a.unread !== 'function') return undefined;
  try {
    const n = a.unread(fd);
    return n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Marks a descriptor close-on-exec (the addon's fcntl, on any POSIX system); false where the addon is
 * missing. Throws with the errno name when fcntl fails.
 */
export function setCloseOnExec(fd: number): boolean {
  const a = nativeAddon();
  if (!a || typeof a.closeOnExec !== 'function') return false;
  return a.closeOnExec(fd);
}

/** Whether kernel pumps can run here (the addon loaded and the system has splice); AUDIOFS_SPLICE=0 says no. */
export function kernelPumpAvailable(): boolean {
  return process.env.AUDIOFS_SPLICE !== '0' && pumpAddon() !== undefined;
}

/** Why kernel pumps cannot run here ('' when they can). */
export function kernelPumpProblem(): string {
  if (process.env.AUDIOFS_SPLICE === '0') return 'AUDIOFS_SPLICE=0';
  pumpAddon();
  return loadProblem;
}

/**
 * A pipe (both ends close-on-exec), from the addon: for tests, and for spawning stages on real pipes. With
 * `bytes`, its capacity is raised towards that (F_SETPIPE_SZ; as far as the system allows).
 */
export function makePipe(bytes?: Bytes): { read: number; write: number } {
  const a = pumpAddon();
  if (!a) throw new Error(`no kernel pump: ${loadProblem}`);
  const [read, write] = bytes === undefined ? a.pipe() : a.pipe(bytes);
  return { read, write };
}

/**
 * A connected pair of Unix stream sockets, both close-on-exec (what Node gives a child's stdio), from the addon
 * on any POSIX system; undefined where the addon is missing.
 */
export function makeSocketPair(): [number, number] | undefined {
  const a = nativeAddon();
  return typeof a?.socketPair === 'function' ? a.socketPair() : undefined;
}

/**
 * A thread that moves bytes from one descriptor to another with splice(2) until the source's end of file,
 * an error, or stop(). Both descriptors are made non-blocking. The caller keeps owning (and closes) them.
 * Guarantee: after stop(), every byte taken from the source is in the destination or in `residue`.
 */
export class KernelPump {
  /** Resolves when the pump finishes: on its own ('end' or 'error'), or 'stopped' by stop(). */
  readonly finished: Promise<PumpFinish>;
  private readonly handle: object;
  private resolveFinish!: (f: PumpFinish) => void;
  private stopped: PumpStop | undefined;

  private constructor(private readonly addon: PumpAddon, src: number, dst: number, from?: Bytes) {
    this.finished = new Promise((r) => (this.resolveFinish = r));
    const onFinish = (outcome: 'end' | 'error', moved: number, code?: string, op?: string) => this.resolveFinish({ outcome, moved, code, op });
    this.handle = from === undefined ? addon.start(src, dst, onFinish) : addon.start(src, dst, onFinish, from);
  }

  /**
   * Starts a pump from `src` to `dst`; `from`: src is a regular file, read from that byte to its end. Throws
   * when kernel pumps are not available.
   */
  static start(src: number, dst: number, from?: Bytes): KernelPump {
    const a = pumpAddon();
    if (!a) throw new Error(`no kernel pump: ${loadProblem}`);
    return new KernelPump(a, src, dst, from);
  }

  /** Bytes written to the destination so far. */
  get moved(): Bytes {
    return this.stopped?.moved ?? this.addon.stats(this.handle).moved;
  }

  /** Stops the thread (at once, whatever the peers do) and says what it left; the same answer on every call. */
  stop(): PumpStop {
    if (!this.stopped) {
      this.stopped = this.addon.stop(this.handle);
      const s = this.stopped;
      this.resolveFinish(s.outcome === 'running' ? { outcome: 'stopped', moved: s.moved } : { outcome: s.outcome === 'stopped' ? 'stopped' : s.outcome, moved: s.moved, code: s.code, op: s.op });
    }
    return this.stopped;
  }
}
