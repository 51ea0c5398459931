import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FORMAT, type PcmFormat } from '../../lib/base/pcm-format.js';
import { FifoSource } from '../../lib/mix/fifo-source.js';
import type { Sink } from '../../lib/mix/sink.js';

/** A temporary directory removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'audiofs-mix-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** sox's options for raw s16le in the project format. */
export function rawArgs(format: PcmFormat = DEFAULT_FORMAT): string[] {
  return ['-r', String(format.rate), '-c', String(format.channels), '-b', '16', '-e', 'signed-integer', '-L', '-t', 'raw'];
}

/** Generates raw PCM with sox: `synth` arguments, e.g. ['1.3', 'sine', '440']. */
export function soxSynth(file: string, synth: string[], options: { format?: PcmFormat; effects?: string[] } = {}): Buffer {
  execFileSync('sox', ['-n', '-D', ...rawArgs(options.format), file, 'synth', ...synth, ...(options.effects ?? [])], { stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(file);
}

/** The oracle: `sox -m` of raw files, each with its own -v factor (sox scales by 1/N unless -v is given). */
export function soxMix(inputs: Array<{ file: string; v: number }>, out: string, format: PcmFormat = DEFAULT_FORMAT): Buffer {
  const args = ['-D', '-m'];
  for (const i of inputs) args.push('-v', String(i.v), ...rawArgs(format), i.file);
  args.push(...rawArgs(format), out);
  execFileSync('sox', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(out);
}

/** A source holding a whole buffer, complete from the start. */
export function bufferSource(name: string, pcm: Buffer, format: PcmFormat = DEFAULT_FORMAT): FifoSource {
  const s = new FifoSource(name, format);
  s.push(pcm);
  s.end();
  return s;
}

/** A sink that keeps every period it gets. */
export class MemorySink implements Sink {
  readonly chunks: Buffer[] = [];
  ended = false;
  constructor(readonly name = 'memory', readonly layout: 'mix' | 'trace' = 'mix') {}
  write(pcm: Buffer): void {
    this.chunks.push(Buffer.from(pcm));
  }
  async end(): Promise<void> {
    this.ended = true;
  }
  get data(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** The largest difference between two s16le buffers, and whether their lengths match. */
export function maxDiff(a: Buffer, b: Buffer): { max: number; sameLength: boolean; at: number } {
  const n = Math.min(a.length, b.length) >> 1;
  let max = 0;
  let at = -1;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(a.readInt16LE(i * 2) - b.readInt16LE(i * 2));
    if (d > max) { max = d; at = i; }
  }
  return { max, sameLength: a.length === b.length, at };
}

/** Runs numpy code with /usr/bin/python3 (Debian's python3-numpy); stdin and stdout are bytes. */
export function numpy(code: string, input: Buffer): Buffer {
  return execFileSync('/usr/bin/python3', ['-c', `import sys, numpy as np\n${code}`], { input, maxBuffer: 1 << 28 });
}
