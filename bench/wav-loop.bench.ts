// `node dist/bench/run.js wav-loop`: a looped WAV input in export mode (no clock): passes, time and memory.
// A WAV input is converted once (to the spill directory) and every pass is fed from that; this shows what
// each pass costs (time, peak RSS, conversions started).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '../lib/base/logger.js';
import { Project } from '../lib/studio/project.js';
import { FIXTURE_BIN, ROOT } from '../test/helpers/mount.js';

const PASSES = 40;
const dir = mkdtempSync(join(tmpdir(), 'wav-loop-bench-'));
try {
  const wav = join(dir, 'in.wav');
  execFileSync('sox', ['-D', '-q', '-n', '-r', '48000', '-c', '2', '-b', '24', wav, 'synth', '60', 'sine', '220', 'pinknoise', 'mix']);
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', now: () => new Date(0), echo: (l) => lines.push(l) });
  const path = [FIXTURE_BIN, process.env.PATH ?? '/usr/bin:/bin', join(ROOT, 'bin')].join(':');
  const project = new Project({ format: { rate: 44100, channels: 2 }, logger, cwd: ROOT, path, env: { ...process.env, PATH: path }, spillDir: dir });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    await project.execRootLine('realtime off');
    await project.execRootLine('a cat');
    await project.chains.get('a')!.input.write(0, readFileSync(wav));
    await project.execRootLine('loop 20 30');
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    await project.execRootLine('play');
    const passes = () => lines.filter((l) => / playing from /.test(l)).length;
    while (passes() < PASSES) await new Promise((r) => setTimeout(r, 20));
    const ms = performance.now() - t0;
    await project.execRootLine('stop');
    console.log('| WAV 60 s 48 kHz 24-bit, loop 20..30, export mode | passes | ms per pass | RSS before MB | peak RSS MB | conversions |');
    console.log('|---|---|---|---|---|---|');
    console.log(`| | ${PASSES} | ${(ms / PASSES).toFixed(0)} | ${(rss0 / 2 ** 20).toFixed(0)} | ${(peak / 2 ** 20).toFixed(0)} | ${lines.filter((l) => /converting the WAV input/.test(l)).length} |`);
  } finally {
    clearInterval(sampler);
    await project.shutdown();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
