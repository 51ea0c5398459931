// `export FILE` of a 3-stage sox chain (vol | lowpass | highpass over 5 min of audio) against the same shell
// pipeline, one sox doing all three effects (the floor) and ecasound, interleaved in one run; with the mount's
// CPU seconds per GB exported. The export must be byte-identical to the pipeline's output.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, watch } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { mountAudiofs, run, type TestMount } from '../test/helpers/mount.js';
import { median } from './stats.js';
import { processCpuSeconds } from './cpu-time.js';

const SECONDS = Number(process.env.EXPORT_BENCH_SECONDS ?? 300);
const RUNS = Number(process.env.EXPORT_BENCH_RUNS ?? 9);
const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';
const EFFECTS = ['vol 0.5', 'lowpass 2000', 'highpass 200'];
const SOX = (effect: string) => `sox -D -q ${RAW} - ${RAW} - ${effect}`;

interface Timing { seconds: number; file: string; cpu?: number }


async function timeShell(command: string, file: string): Promise<Timing> {
  const start = performance.now();
  await run('sh', ['-c', command]);
  return { seconds: (performance.now() - start) / 1000, file };
}

/** `export FILE` through /ctl, timed until FILE appears (the export renames it into place when it is complete). */
async function timeExport(m: TestMount, file: string): Promise<Timing> {
  await rm(file, { force: true });
  const appeared = new Promise<void>((resolve) => {
    const w = watch(join(file, '..'), (_event, name) => {
      if (name === basename(file)) { w.close(); resolve(); }
    });
  });
  const cpu0 = processCpuSeconds(m.proc.pid!);
  const start = performance.now();
  await m.ctl(`export ${file}`);
  await appeared;
  return { seconds: (performance.now() - start) / 1000, file, cpu: processCpuSeconds(m.proc.pid!) - cpu0 };
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const has = (tool: string) => { try { execFileSync('sh', ['-c', `command -v ${tool}`]); return true; } catch { return false; } };

const m = await mountAudiofs();
try {
  const audio = join(m.tmp, 'audio.raw');
  await run('sox', ['-D', '-q', '-n', ...RAW.split(' '), audio, 'synth', String(SECONDS), 'sine', '300', 'pinknoise', 'mix']);
  await m.ctl(`x ${EFFECTS.map(SOX).join(' | ')}`);
  await run('dd', [`if=${audio}`, `of=${m.path('x', 'in')}`, 'bs=1M', 'status=none']);
  const out = (what: string) => join(m.tmp, `${what}.raw`);
  const cases: Record<string, () => Promise<Timing>> = {
    'audiofs `export`': () => timeExport(m, out('audiofs')),
    'shell pipeline': () => timeShell(`< ${audio} ${EFFECTS.map(SOX).join(' | ')} > ${out('pipeline')}`, out('pipeline')),
    'one sox, three effects': () => timeShell(`sox -D -q ${RAW} ${audio} ${RAW} ${out('sox')} ${EFFECTS.join(' ')}`, out('sox')),
  };
  if (has('ecasound')) {
    cases['ecasound'] = () => timeShell(`ecasound -q -f:s16_le,2,44100 -i:${audio} -o:${out('ecasound')} -ea:50 -efl:2000 -efh:200`, out('ecasound'));
  }
  const times: Record<string, Timing[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) for (const [k, f] of Object.entries(cases)) times[k].push(await f());
  if (sha(out('audiofs')) !== sha(out('pipeline'))) throw new Error('the export differs from the shell pipeline');
  const bytes = readFileSync(out('pipeline')).length;
  const base = median(times['shell pipeline'].map((t) => t.seconds));
  console.log(`${SECONDS / 60} min of audio (${(bytes / 1e6).toFixed(1)} MB) through ${EFFECTS.join(' | ')}; medians of ${RUNS} interleaved runs; the export is byte-identical to the pipeline's output.`);
  console.log('(x) = time against the shell pipeline. CPU = the mount process\'s CPU seconds per GB exported.\n');
  console.log('| what | time | against the pipeline | mount CPU s/GB |');
  console.log('|---|---|---|---|');
  for (const [k, ts] of Object.entries(times)) {
    const s = median(ts.map((t) => t.seconds));
    const cpu = ts[0].cpu === undefined ? '—' : (median(ts.map((t) => t.cpu!)) / (bytes / 1e9)).toFixed(2);
    console.log(`| ${k} | ${s.toFixed(3)} s | ${(s / base).toFixed(2)}x | ${cpu} |`);
  }
  if (!has('ecasound')) console.log('\n(ecasound is not installed: `make bench` installs it)');
} finally {
  await m.close();
}
