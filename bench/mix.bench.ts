// Full-mount mixing: export of a 3-stage sox chain and of 8 generator chains against the same work done by
// shell tools (side by side, alternating, in the same run), and how many sox chains play in realtime with no xrun.
import { spawn } from 'node:child_process';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { mountAudiofs, run, sleep, type TestMount } from '../test/helpers/mount.js';
import { median } from './stats.js';

const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';
const SOX = (effect: string) => `sox -D -q ${RAW} - ${RAW} - ${effect}`;
const SOX_CHAIN = [SOX('lowpass 2000'), SOX('highpass 200'), SOX('vol 0.5')];
const CHAIN_SECONDS = 300; // 5 minutes of input for benchmark 1
const GEN_SECONDS = 120; // each of the 8 generators in benchmark 2
const GEN_FREQS = [220, 277, 330, 392, 440, 523, 659, 784];
const REPS = 3; // each side of benchmarks 1 and 2, alternating
const RT_SECONDS = Number(process.env.MIX_RT_SECONDS ?? 60); // realtime trial length
// Tried in turn until one has an xrun or a late skip (MIX_RT_FROM skips the smaller ones).
const RT_COUNTS = [24, 32, 40, 48, 64, 80, 96, 112, 128, 160].filter((n) => n >= Number(process.env.MIX_RT_FROM ?? 0));
// MIX_BENCH=export runs benchmarks 1 and 2 only, MIX_BENCH=realtime benchmark 3 only; both by default.
const PARTS = (process.env.MIX_BENCH ?? 'export,realtime').split(',');

/** Seconds `command` (run by sh) takes. */
function timeShell(command: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('close', (code) => (code === 0 ? resolve((performance.now() - start) / 1000) : reject(new Error(`${command}: exit ${code}`))));
  });
}

async function status(m: TestMount): Promise<any> {
  return yaml.load(await readFile(m.path('status'), 'utf8'));
}

/** Seconds from writing `export FILE` to /ctl until /status shows the export `state: done` (polled every 20 ms). */
async function timeExport(m: TestMount, file: string): Promise<number> {
  const start = performance.now();
  await m.ctl(`export ${file}`);
  const deadline = Date.now() + 600_000;
  for (;;) {
    const ex = (await status(m)).export;
    if (ex && String(ex.file).endsWith(file.split('/').pop()!)) {
      if (ex.state === 'done') return (performance.now() - start) / 1000;
      if (ex.state === 'failed') throw new Error(`export ${file} failed: ${ex.error}`);
    }
    if (Date.now() > deadline) throw new Error(`export ${file}: no 'done' in /status`);
    await sleep(20);
  }
}

const size = async (f: string) => (await stat(f)).size;
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** Benchmarks 1 and 2: exports against the same work done by shell tools; their table. */
async function exportBenchmarks(): Promise<string> {
  const m = await mountAudiofs();
  try {
    await m.ctl('realtime off');
    return await exportTables(m);
  } finally {
    await m.close();
  }
}

async function exportTables(m: TestMount): Promise<string> {
  // 1. A 3-stage sox chain over 5 minutes of audio.
  const audio = join(m.tmp, 'audio.raw');
  await run('sox', ['-D', '-q', '-n', ...RAW.split(' '), audio, 'synth', String(CHAIN_SECONDS), 'sine', '300', 'pinknoise', 'mix']);
  await m.ctl(`f ${SOX_CHAIN.join(' | ')}`);
  await run('dd', [`if=${audio}`, `of=${m.path('f', 'in')}`, 'bs=1M', 'status=none']);
  const ours1: number[] = [];
  const base1: number[] = [];
  let oursBytes1 = 0;
  let baseBytes1 = 0;
  for (let i = 0; i < REPS; i++) {
    const out = join(m.tmp, `chain${i}.raw`);
    ours1.push(await timeExport(m, out));
    oursBytes1 = await size(out);
    const baseOut = join(m.tmp, `chain-base${i}.raw`);
    // The input goes to the first stage: `a | b < f` would feed f to the last one.
    base1.push(await timeShell(`${SOX_CHAIN[0]} < ${audio} | ${SOX_CHAIN.slice(1).join(' | ')} > ${baseOut}`));
    baseBytes1 = await size(baseOut);
    if (!(await readFile(out)).equals(await readFile(baseOut))) throw new Error(`benchmark 1: ${out} differs from the shell pipeline's ${baseOut}`);
  }
  await rm(m.path('f'), { recursive: true });

  // 2. 8 generator chains mixed and exported, against sox -m of the same 8 generators (piped inputs).
  for (let i = 0; i < GEN_FREQS.length; i++) await m.ctl(`g${i + 1} sox -D -q -n ${RAW} - synth ${GEN_SECONDS} sine ${GEN_FREQS[i]}`);
  const soxMix = `sox -D -m ${GEN_FREQS.map((f) => `-v 1 "|sox -D -q -n -r 44100 -c 2 -b 16 -e signed -p synth ${GEN_SECONDS} sine ${f}"`).join(' ')} ${RAW}`;
  const ours2: number[] = [];
  const base2: number[] = [];
  let oursBytes2 = 0;
  let baseBytes2 = 0;
  for (let i = 0; i < REPS; i++) {
    const out = join(m.tmp, `gen${i}.raw`);
    ours2.push(await timeExport(m, out));
    oursBytes2 = await size(out);
    const baseOut = join(m.tmp, `gen-base${i}.raw`);
    base2.push(await timeShell(`${soxMix} ${baseOut} 2>/dev/null`));
    baseBytes2 = await size(baseOut);
  }
  for (let i = 0; i < GEN_FREQS.length; i++) await rm(m.path(`g${i + 1}`), { recursive: true });

  const s = (xs: number[]) => `${median(xs).toFixed(2)} s (${xs.map((x) => x.toFixed(2)).join(', ')})`;
  const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
  return [
    `Export mode, timed from \`export OUT.raw\` until /status shows \`state: done\` (polled every 20 ms); median of ${REPS} runs (each run shown), alternating with the baseline.`,
    'Baseline 1 is the same pipeline with the input file on the first stage; each export is checked to be byte for byte its output.',
    'Baseline 2 is `sox -D -m` with 8 `"|sox -n -p synth ..."` piped inputs (generated inside the timed run, not pre-generated files), each `-v 1`.',
    '',
    '| benchmark | audiofs | output | baseline | baseline time | output | audiofs / baseline time | aim |',
    '|---|---|---|---|---|---|---|---|',
    `| 1. 3 sox stages (lowpass, highpass, vol), ${CHAIN_SECONDS / 60} min of audio | ${s(ours1)} | ${mb(oursBytes1)} | the same sh pipeline, file in, file out | ${s(base1)} | ${mb(baseBytes1)} | ${ratio(ours1, base1)} | ≤ 1.3 |`,
    `| 2. 8 generator chains (sox synth sine), ${GEN_SECONDS} s each | ${s(ours2)} | ${mb(oursBytes2)} | \`sox -m\` of 8 piped generators | ${s(base2)} | ${mb(baseBytes2)} | ${ratio(ours2, base2)} | ≤ 1.5 |`,
  ].join('\n');
}

/** Benchmark 3: realtime capacity with the default config (realtime mode, period 512); its table. */
async function realtimeCapacity(): Promise<string> {
  const rt = await mountAudiofs();
  const rows: string[] = [];
  let best = 0;
  let failed: number | undefined;
  try {
    for (const n of RT_COUNTS) {
      const names = Array.from({ length: n }, (_, i) => `r${i + 1}`);
      for (let i = 0; i < n; i++) await rt.ctl(`${names[i]} sox -D -q -n ${RAW} - synth 600 sine ${200 + 37 * i} | ${SOX('lowpass 2000')}`);
      await rt.ctl('play');
      await sleep(RT_SECONDS * 1000);
      const st = await status(rt);
      const perChain = names.map((c) => Number(st.chains?.[c]?.xruns ?? NaN));
      const xruns = perChain.reduce((a, b) => a + b, 0);
      await rt.ctl('stop');
      for (const c of names) await rm(rt.path(c), { recursive: true });
      rows.push(`| ${n} | ${RT_SECONDS} s | ${st.mode} | ${st.position} s | ${xruns} | ${Math.max(...perChain)} | ${st.late_skips} |`);
      // A late skip is time the mix lost (the engine fell 0.25 s behind its clock): not realtime either.
      if (!(xruns === 0 && st.late_skips === 0)) {
        failed = n;
        break;
      }
      best = n;
    }
  } finally {
    await rt.close();
  }
  return [
    `Realtime mode (default config, period 512, device off), N chains \`sox -n synth 600 sine F | sox lowpass 2000\`, each trial ${RT_SECONDS} s; stops at the first N with xruns or engine late skips.`,
    '',
    '| N chains | played | mode | position at read | xruns (sum over chains) | max xruns of one chain | engine late skips |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Largest N that played ${RT_SECONDS} s in realtime (zero xruns, no late skip): **${best}**; ${failed === undefined ? `every N tried did (${RT_COUNTS[RT_COUNTS.length - 1]} the largest)` : `the first that did not: ${failed}`}.`,
  ].join('\n');
}

const tables: string[] = [];
if (PARTS.includes('export')) tables.push(await exportBenchmarks());
if (PARTS.includes('realtime')) tables.push(await realtimeCapacity());
console.log(tables.join('\n\n'));
