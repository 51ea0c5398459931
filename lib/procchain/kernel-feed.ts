import { closeSync, openSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Bytes } from '../base/units.js';
import { descriptorOf, KernelPump, type PumpFinish } from './kernel-pump.js';

/**
 * A stored input fed to a process's stdin by the kernel (export mode): a kernel pump reads the store's spill
 * file from a byte to its end and writes the process's stdin, so the bytes never pass through JavaScript.
 * While it runs nothing in JavaScript may write to that stdin. stop() says how many bytes the process was
 * given; what the pump had read beyond that is simply read again from the file by whoever feeds next.
 */
export class KernelFeed {
  /** Resolves when the pump finishes on its own: the file's end (everything given) or an error (EPIPE). */
  readonly finished: Promise<PumpFinish>;
  private given: Bytes | undefined;

  private constructor(private readonly pump: KernelPump, private readonly file: number) {
    this.finished = pump.finished;
  }

  /** Starts feeding `path` from byte `from` to `stdin`; undefined when the kernel cannot (no descriptor, data queued in Node, no pump). */
  static start(path: string, from: Bytes, stdin: Writable): KernelFeed | undefined {
    const fd = descriptorOf(stdin);
    if (fd === undefined || stdin.writableLength > 0 || stdin.writableEnded || stdin.destroyed) return undefined;
    let file: number;
    try {
      file = openSync(path, 'r');
    } catch {
      return undefined;
    }
    try {
      return new KernelFeed(KernelPump.start(file, fd, from), file);
    } catch {
      closeSync(file);
      return undefined;
    }
  }

  /** Stops the pump (at once) and closes the file; the bytes written to the stdin, the same on every call. */
  stop(): Bytes {
    if (this.given === undefined) {
      this.given = this.pump.stop().moved;
      closeSync(this.file);
    }
    return this.given;
  }
}
