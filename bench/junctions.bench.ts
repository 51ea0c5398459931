// Chains through the mount with the junctions between stages relayed by JavaScript (AUDIOFS_SPLICE=0) and by the
// kernel pump (native/pump), side by side, against the same shell pipeline; with the mount's CPU per GB moved.
import { timeShell } from './shell-timing.js';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainRun } from '../lib/procchain/chain-run.js';
import { Chain } from '../lib/procchain/chain.js';
import { kernelPumpAvailable, kernelPumpProblem } from '../lib/procchain/kernel-pump.js';
import { Stage } from '../lib/procchain/stage.js';
import { mountAudiofs, run, type TestMount } from '../test/helpers/mount.js';
import { mountHelloFuse } from './hello-fuse.js';
import { median } from './stats.js';
import { machineBusySeconds, processCpuSeconds } from './cpu-time.js';

const MiB = 1024 * 1024;
const CAT_BYTES = Number(process.env.JUNCTIONS_BENCH_MIB ?? 256) * MiB;
const SOX_SECONDS = 300;
const RUNS = Number(process.env.JUNCTIONS_BENCH_RUNS ?? 3);
const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';
const SOX = (effect: string) => `sox -D -q ${RAW} - ${RAW} - ${effect}`;
const SOX_CHAIN = [SOX('vol 0.5'), SOX('lowpass 2000'), SOX('highpass 200')];
const CAT3 = ['cat', 'cat', 'cat'];

interface Timing { seconds: number; bytes: number; cpu?: number; machine?: number }

/** timeShell, with the machine's CPU seconds meanwhile. */
async function timeShellCpu(command: string): Promise<Timing> {
  const m0 = machineBusySeconds();
  const t = await timeShell(command);
  return { ...t, machine: machineBusySeconds() - m0 };
}



let serial = 0;
/** Stores `input` in a new chain's in, then times play until a reader of its out has everything. */
async function timeChain(m: TestMount, stages: string[], input: string): Promise<Timing> {
  const name = `c${++serial}`;
  await m.ctl(`${name} ${stages.join(' | ')}`);
  await run('dd', [`if=${input}`, `of=${m.path(name, 'in')}`, 'bs=1M', 'status=none']);
  const reading = timeShell(`cat ${m.path(name, 'out')}`);
  await new Promise((r) => setTimeout(r, 200));
  const cpu0 = processCpuSeconds(m.proc.pid!);
  const m0 = machineBusySeconds();
  const start = performance.now();
  await m.ctl('play', `${name}/ctl`);
  const r = await reading;
  const t = { seconds: (performance.now() - start) / 1000, bytes: r.bytes, cpu: processCpuSeconds(m.proc.pid!) - cpu0, machine: machineBusySeconds() - m0 };
  await rm(m.path(name), { recursive: true, force: true });
  return t;
}

/** A ChainRun of 3 `cat` stages alone (no mount, no mixer): stored input in, NAME/out read; this process's CPU. */
async function timeRun(kernelJunctions: boolean): Promise<Timing> {
  const chain = new Chain('c');
  chain.stages = [1, 2, 3].map((i) => new Stage({ name: `cat${i}`, argv: ['cat'], file: '/bin/cat' }));
  chain.input.write(0, Buffer.alloc(CAT_BYTES));
  const r = new ChainRun(chain, { lossless: true, env: process.env, cwd: '/', log: () => undefined, kernelJunctions });
  const reader = chain.out.openReader();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await r.start();
  let bytes = 0;
  for (let b = await reader.read(1 << 20); b !== null; b = await reader.read(1 << 20)) bytes += b.length;
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  await r.done;
  return { seconds, bytes, cpu: (c.user + c.system) / 1e6 };
}

{
  const t: Record<'js' | 'kernel', Timing[]> = { js: [], kernel: [] };
  for (let i = 0; i < RUNS; i++) {
    t.js.push(await timeRun(false));
    t.kernel.push(await timeRun(true));
  }
  const cell = (k: 'js' | 'kernel') => {
    const s = median(t[k].map((x) => x.seconds));
    return `${s.toFixed(2)} s, ${(CAT_BYTES / 1e6 / s).toFixed(0)} MB/s | ${(median(t[k].map((x) => x.cpu!)) / (CAT_BYTES / 1e9)).toFixed(2)}`;
  };
  console.log(`ChainRun alone (no mount, no mixer), 3 \`cat\` stages, ${CAT_BYTES / MiB} MiB; medians of ${RUNS}; CPU = this process's s/GB.\n`);
  console.log('| chain | JavaScript junctions | CPU s/GB | kernel junctions | CPU s/GB |');
  console.log('|---|---|---|---|---|');
  console.log(`| 3 \`cat\` stages | ${cell('js')} | ${cell('kernel')} |\n`);
}

if (!kernelPumpAvailable()) console.log(`(no kernel pump here: ${kernelPumpProblem()}; both columns are the JavaScript relay)\n`);
const js = await mountAudiofs({ env: { AUDIOFS_SPLICE: '0' } });
const kernel = await mountAudiofs();
try {
  for (const m of [js, kernel]) await m.ctl('realtime off');
  const zeros = join(js.tmp, 'zeros.raw');
  await run('dd', ['if=/dev/zero', `of=${zeros}`, 'bs=1M', `count=${CAT_BYTES / MiB}`, 'status=none']);
  const audio = join(js.tmp, 'audio.raw');
  await run('sox', ['-D', '-q', '-n', ...RAW.split(' '), audio, 'synth', String(SOX_SECONDS), 'sine', '300', 'pinknoise', 'mix']);
  const cases: Array<{ what: string; stages: string[]; input: string; shell: string }> = [
    { what: '1 `cat` stage', stages: ['cat'], input: zeros, shell: `cat ${zeros} | cat | cat` },
    { what: '3 `cat` stages', stages: CAT3, input: zeros, shell: `cat ${zeros} | cat | cat | cat | cat` },
    { what: `3 sox stages, ${SOX_SECONDS / 60} min of audio`, stages: SOX_CHAIN, input: audio, shell: `cat ${audio} | ${SOX_CHAIN.join(' | ')} | cat` },
  ];
  const rows: string[] = [];
  for (const c of cases) {
    const t: Record<'shell' | 'js' | 'kernel', Timing[]> = { shell: [], js: [], kernel: [] };
    for (let i = 0; i < RUNS; i++) {
      t.shell.push(await timeShellCpu(c.shell));
      t.js.push(await timeChain(js, c.stages, c.input));
      t.kernel.push(await timeChain(kernel, c.stages, c.input));
    }
    const bytes = t.shell[0].bytes;
    for (const [k, ts] of Object.entries(t)) for (const x of ts) if (x.bytes !== bytes) throw new Error(`${c.what}: ${k} gave ${x.bytes} bytes, the shell ${bytes}`);
    const s = (k: 'shell' | 'js' | 'kernel') => median(t[k].map((x) => x.seconds));
    const mbs = (k: 'shell' | 'js' | 'kernel') => (bytes / 1e6 / s(k)).toFixed(0);
    const cpu = (k: 'js' | 'kernel') => (median(t[k].map((x) => x.cpu!)) / (bytes / 1e9)).toFixed(2);
    const machine = (k: 'shell' | 'js' | 'kernel') => (median(t[k].map((x) => x.machine!)) / (bytes / 1e9)).toFixed(2);
    rows.push(`| ${c.what} | ${(bytes / MiB).toFixed(0)} MiB | ${s('shell').toFixed(2)} s, ${mbs('shell')} MB/s | ${machine('shell')} | ${s('js').toFixed(2)} s, ${mbs('js')} MB/s (${(s('shell') / s('js')).toFixed(2)}) | ${cpu('js')} / ${machine('js')} | ${s('kernel').toFixed(2)} s, ${mbs('kernel')} MB/s (${(s('shell') / s('kernel')).toFixed(2)}) | ${cpu('kernel')} / ${machine('kernel')} |`);
  }
  console.log(`Export mode, input stored first; timed from \`play\` until a reader of NAME/out has everything; medians of ${RUNS} interleaved runs. (x) = speed against the shell pipeline. CPU = CPU seconds per GB of output: the mount process's / the whole machine's (every process of the run: stages, reader, mount).\n`);
  console.log('| chain | bytes | shell pipeline | machine CPU s/GB | JavaScript junctions | CPU s/GB mount / machine | kernel junctions | CPU s/GB mount / machine |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
} finally {
  await js.close();
  await kernel.close();
}

// The ceiling of any reader of a live stream through FUSE here: a C server that answers each read at once from memory,
// with no chain, feeding or mixing behind it, read as the chains' `out` is, against the shell pipelines of the table.
{
  const hello = mountHelloFuse(CAT_BYTES);
  if (typeof hello === 'string') console.log(`\n(no FUSE ceiling: hello-fuse ${hello})`);
  else {
    const zeros = join(tmpdir(), `audiofs-ceiling-${process.pid}.raw`);
    try {
      await run('dd', ['if=/dev/zero', `of=${zeros}`, 'bs=1M', `count=${CAT_BYTES / MiB}`, 'status=none']);
      const rows = [
        { what: `\`cat STREAM \\| wc -c\`, STREAM a file of the C server (bench/hello-fuse.c)`, command: `cat ${join(hello.mnt, 'stream')}` },
        { what: '`cat FILE \\| wc -c` (the page cache: the same two processes)', command: `cat ${zeros}` },
        { what: '`cat FILE \\| cat \\| cat \\| wc -c` (the 1-stage relay\'s pipeline)', command: `cat ${zeros} | cat | cat` },
      ];
      const t: number[][] = rows.map(() => []);
      for (let i = 0; i < RUNS; i++) {
        for (const [k, r] of rows.entries()) {
          const x = await timeShell(r.command);
          if (x.bytes !== CAT_BYTES) throw new Error(`${r.command}: ${x.bytes} bytes, expected ${CAT_BYTES}`);
          t[k].push(x.seconds);
        }
      }
      const base = median(t[2]);
      console.log(`\nThe ceiling of a reader through FUSE here: ${CAT_BYTES / MiB} MiB read; medians of ${RUNS} interleaved runs; (x) = speed against the 1-stage relay's pipeline.\n`);
      console.log('| read | time | MB/s |');
      console.log('|---|---|---|');
      for (const [k, r] of rows.entries()) console.log(`| ${r.what} | ${median(t[k]).toFixed(2)} s | ${(CAT_BYTES / 1e6 / median(t[k])).toFixed(0)} (${(base / median(t[k])).toFixed(2)}) |`);
    } finally {
      hello.close();
      await rm(zeros, { force: true });
    }
  }
}
