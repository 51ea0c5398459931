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
  /** Calls `cb` whenever data arrives or the source ends (export mode waits on it); returns an unsubscribe function. */
  onChange(cb: () => void): () => void;
}
