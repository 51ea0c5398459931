import { open } from 'node:fs/promises';
import { execa, type Options } from 'execa';
import type { Bytes } from '../base/units.js';
import { guardedStdio, guardsReady } from './spawn-guard.js';

const CHUNK: Bytes = 4 * 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

/**
 * Copies a file keeping its holes, so an input extended by `truncate -s 3G` is not written out as 3 GB of
 * zeros: GNU `cp --sparse=always` (it finds the data with SEEK_DATA, never reading the holes), else a copy
 * in chunks that leaves a hole for each chunk of zeros.
 */
export async function copySparse(from: string, to: string): Promise<void> {
  if (process.platform === 'linux') {
    await guardsReady();
    const r = await execa('cp', ['--sparse=always', '--', from, to], {
      reject: false, timeout: 10 * 60_000, stdio: guardedStdio() as unknown as Options['stdio'],
    });
    if (r.exitCode === 0) return;
  }
  await copySkippingZeros(from, to);
}

async function copySkippingZeros(from: string, to: string): Promise<void> {
  const src = await open(from, 'r');
  try {
    const dst = await open(to, 'w', 0o600);
    try {
      const { size } = await src.stat();
      const buf = Buffer.alloc(CHUNK);
      for (let at = 0; at < size;) {
        const { bytesRead } = await src.read(buf, 0, CHUNK, at);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        if (!chunk.equals(ZEROS.subarray(0, bytesRead))) await dst.write(chunk, 0, bytesRead, at);
        at += bytesRead;
      }
      await dst.truncate(size);
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}
