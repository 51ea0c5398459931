import type { Bytes } from '../base/units.js';

/** What the engine mixes: one chain's output, as a FIFO of PCM in the project format. */
export interface MixSource {
  /** The chain's name (for /status, /channels and trace). */
  readonly name: string;
  /** Bytes of PCM ready to be taken now. */
  available(): Bytes;
  /** Takes up to `bytes` bytes (whole frames) of what is ready; less (or none) when less is ready. */
  take(bytes: Bytes): Buffer;
  /** True once the chain has ended and every byte has been taken. */
  readonly ended: boolean;
  /**
   * True once the chain has ended, even if bytes are still ready: what available() says is all that is left.
   * Export mode needs it to mix a last partial period instead of waiting for a full one (absent: same as `ended`).
   */
  readonly complete?: boolean;
  /** True while it has nothing to say (a live input nobody writes to): a period it leaves empty is silence, not an xrun. */
  quiet?(): boolean;
  /** Calls `cb` whenever data arrives or the source ends (export mode waits on it); returns an unsubscribe function. */
  onChange(cb: () => void): () => void;
}

/** Whether no more data will arrive from a source (what is ready is all there is). */
export function isComplete(source: MixSource): boolean {
  return source.ended || source.complete === true;
}
