import type { Readable, Writable } from 'node:stream';
import type { Bytes } from '../base/units.js';
import { KernelPump, kernelPumpAvailable, type PumpFinish } from './kernel-pump.js';

/** The libuv handle under a Node stream made on a descriptor (a child's stdio, a net.Socket on a pipe). */
interface StreamHandle {
  fd: number;
  reading: boolean;
  readStart(): number;
  readStop(): number;
}

function handleOf(stream: Readable | Writable): StreamHandle | undefined {
  const h = (stream as unknown as { _handle?: Partial<StreamHandle> | null })._handle;
  if (!h || typeof h.fd !== 'number' || h.fd < 0 || typeof h.readStop !== 'function' || typeof h.readStart !== 'function') return undefined;
  return h as StreamHandle;
}

/** Why a junction went back to JavaScript. */
export type ReleaseReason = 'asked' | 'end' | 'error';

/** Options of a SpliceJunction. */
export interface SpliceJunctionEvents {
  /** The kernel pump stopped on its own (the source's end of file, or an error such as EPIPE); JavaScript relays again. */
  onRelease?: (reason: ReleaseReason, finish: PumpFinish) => void;
}

/**
 * The junction between a process's stdout (`src`, as Node reads it) and the next one's stdin (`dst`): while
 * engaged, a kernel pump moves the bytes and Node does not read `src`; released, Node reads it again and
 * whatever the pump held goes back to the front of `src`'s buffer, so the JavaScript relay (taps, bypass,
 * injection) carries on from the exact byte where the kernel stopped.
 *
 * Engaging needs a quiet moment in JavaScript: `src` flowing with nothing buffered, `dst` with no queued
 * write (otherwise the kernel's bytes would overtake them). engage() says false when that is not so.
 * While engaged, nothing in JavaScript may write to `dst` or end it: release first.
 */
export class SpliceJunction {
  private pump: KernelPump | undefined;
  /** Bytes the kernel moved through this junction, over every engagement before this one. */
  private movedBefore: Bytes = 0;

  constructor(private readonly src: Readable, private readonly dst: Writable, private readonly events: SpliceJunctionEvents = {}) {}

  /** Whether kernel pumps exist here and both streams sit on descriptors. */
  static possible(src: Readable, dst: Writable): boolean {
    return kernelPumpAvailable() && handleOf(src) !== undefined && handleOf(dst) !== undefined;
  }

  /** Whether the kernel moves the bytes now. */
  get engaged(): boolean {
    return this.pump !== undefined;
  }

  /** Bytes the kernel has moved through this junction. */
  get moved(): Bytes {
    return this.movedBefore + (this.pump?.moved ?? 0);
  }

  /** Hands the junction to the kernel when JavaScript holds nothing of it; false (nothing changed) otherwise. */
  engage(): boolean {
    if (this.pump) return true;
    const { src, dst } = this;
    const sh = handleOf(src);
    const dh = handleOf(dst);
    if (!sh || !dh || !kernelPumpAvailable()) return false;
    if (src.destroyed || src.readableEnded || src.readableFlowing !== true || src.readableLength > 0) return false;
    if (dst.destroyed || dst.writableEnded || dst.writableLength > 0 || dst.writableNeedDrain) return false;
    sh.readStop();
    // Node's _read starts the handle again unless it believes it is reading: keep it believing so.
    sh.reading = true;
    const pump = KernelPump.start(sh.fd, dh.fd);
    this.pump = pump;
    void pump.finished.then((f) => {
      if (this.pump !== pump || f.outcome === 'stopped') return;
      this.release();
      this.events.onRelease?.(f.outcome, f);
    });
    return true;
  }

  /** Takes the junction back: the pump stops, what it held is put back in front of `src`, and Node reads `src` again. */
  release(): Bytes {
    const pump = this.pump;
    if (!pump) return 0;
    this.pump = undefined;
    const s = pump.stop();
    this.movedBefore += s.moved;
    const sh = handleOf(this.src);
    if (s.residue.length > 0 && !this.src.destroyed) this.src.unshift(s.residue);
    if (sh && !this.src.destroyed) {
      sh.reading = true;
      sh.readStart();
    }
    return s.residue.length;
  }
}
