// What starting stages costs the thread that answers FUSE requests and mixes: stages started from that thread
// with Node's spawn (AUDIOFS_SPAWN=here, as before), from the spawning thread (spawner.ts) with Node's spawn
// (AUDIOFS_SPAWN=fork) and with posix_spawn (native/spawn, the default), side by side in one run.
//  1. In this process, made as large as a mount with many chains (400 MB touched) beside two CPU hogs: the lag
//     of a 1 ms timer on the main thread while 30 `cat` stages start 5 ms apart.
//  2. Through mounts: open+read+close of /status every 5 ms (bench/read-timer.c, as cat reads) while a `play`
//     starts 24 chains of 3 stages (realtime mode, device off: what the thread does besides is the mix).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StageProcess } from '../lib/procchain/stage-process.js';
import { mountAudiofs, ROOT, sleep, type TestMount } from '../test/helpers/mount.js';
import { quantile } from './stats.js';

const RUNS = Number(process.env.SPAWN_BENCH_RUNS ?? 3);
const STAGES = 30;
const CHAINS = 24;
const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';

const CLIENT_DIR = mkdtempSync(join(tmpdir(), 'audiofs-spawn-bench-'));
const CLIENT = join(CLIENT_DIR, 'read-timer');
{
  const built = spawnSync('gcc', ['-O2', '-o', CLIENT, join(ROOT, 'bench/read-timer.c')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`bench/read-timer.c did not build: ${built.stderr}`);
}

const summary = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(2)}, p99 ${quantile(xs, 0.99).toFixed(2)}, max ${Math.max(...xs).toFixed(2)} ms`;

/** The lags of a 1 ms timer on this thread while STAGES stages start 5 ms apart, and how long the starts took. */
type How = 'none' | 'here' | 'fork' | 'posix';
const ROWS: Record<Exclude<How, 'none'>, string> = {
  here: 'from the main thread, Node\'s spawn (before)',
  fork: 'from the spawning thread, Node\'s spawn (a fork)',
  posix: 'from the spawning thread, posix_spawn',
};

async function timerLagDuringSpawns(how: How): Promise<{ lags: number[]; seconds: number }> {
  process.env.AUDIOFS_SPAWN = how === 'none' ? 'posix' : how;
  const lags: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(now - last - 1);
    last = now;
  }, 1);
  const t0 = performance.now();
  const starting: Array<Promise<StageProcess>> = [];
  for (let i = 0; i < STAGES; i++) {
    if (how !== 'none') starting.push(StageProcess.spawn({ file: '/bin/cat', args: [], env: { PATH: '/usr/bin:/bin' }, cwd: '/', stdoutPipe: 1 << 20 }));
    await sleep(5);
  }
  const procs = await Promise.all(starting);
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  for (const p of procs) {
    p.stdin.end();
    p.stdout.resume();
  }
  await Promise.all(procs.map((p) => p.exited));
  return { lags: lags.slice(1), seconds };
}

/** /status latencies (ms) from a `play` of the chains until they have all started and a second more. */
async function statusDuringPlay(m: TestMount): Promise<number[]> {
  for (let c = 0; c < CHAINS; c++) await m.ctl(`s${c} sox -D -q -n ${RAW} - synth 600 sine ${200 + 37 * c} | cat | cat`);
  const client = spawn(CLIENT, [m.path('status'), '5'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  client.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => client.once('close', (code) => r(code)));
  await sleep(300);
  await m.ctl('play');
  await sleep(1500);
  client.stdin.end();
  if ((await exited) !== 0) throw new Error('read-timer failed');
  await m.ctl('stop');
  for (let c = 0; c < CHAINS; c++) await run(['rm', '-r', m.path(`s${c}`)]);
  return out.trim().split('\n').filter((l) => l !== '').map(Number);
}

async function run(argv: string[]): Promise<void> {
  const r = spawnSync(argv[0], argv.slice(1));
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}`);
}

const hogs: ChildProcess[] = [];
try {
  // As large as a mount with many chains: the fork copies page tables of this size.
  const ballast = Buffer.alloc(400 << 20, 1);
  for (let i = 0; i < 2; i++) hogs.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
  const lags: Record<How, number[]> = { none: [], here: [], fork: [], posix: [] };
  const took: Record<How, number[]> = { none: [], here: [], fork: [], posix: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const k of ['none', 'here', 'fork', 'posix'] as const) {
      const r = await timerLagDuringSpawns(k);
      lags[k].push(...r.lags);
      took[k].push(r.seconds);
    }
  }
  for (const h of hogs) h.kill('SIGKILL');
  console.log(`A 1 ms timer on the main thread while ${STAGES} \`cat\` stages start 5 ms apart (StageProcess.spawn, stdout on a pipe); this process ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB resident (${ballast.length >> 20} MiB of it touched ballast), two CPU hogs beside; ${RUNS} runs each, interleaved.\n`);
  console.log('| stages started | timer lag | all started after |');
  console.log('|---|---|---|');
  console.log(`| none (the same 150 ms without spawns: the hogs alone) | ${summary(lags.none)} | — |`);
  for (const k of ['here', 'fork', 'posix'] as const) console.log(`| ${ROWS[k]} | ${summary(lags[k])} | ${took[k].map((s) => s.toFixed(2)).join(', ')} s |`);

  const mounts = {
    here: await mountAudiofs({ env: { AUDIOFS_SPAWN: 'here' } }),
    fork: await mountAudiofs({ env: { AUDIOFS_SPAWN: 'fork' } }),
    posix: await mountAudiofs({ env: { AUDIOFS_SPAWN: 'posix' } }),
  };
  try {
    const status: Record<Exclude<How, 'none'>, number[]> = { here: [], fork: [], posix: [] };
    for (let i = 0; i < RUNS; i++) {
      for (const k of ['here', 'fork', 'posix'] as const) status[k].push(...(await statusDuringPlay(mounts[k])));
    }
    console.log(`\nopen+read+close of /status every 5 ms from a \`play\` of ${CHAINS} chains of 3 stages (${CHAINS * 3} processes) for 1.5 s; realtime mode (device off); ${RUNS} runs each, interleaved.\n`);
    console.log('| stages started | /status latency |');
    console.log('|---|---|');
    for (const k of ['here', 'fork', 'posix'] as const) console.log(`| ${ROWS[k]} | ${summary(status[k])} |`);
  } finally {
    for (const m of Object.values(mounts)) await m.close();
  }
} finally {
  for (const h of hogs) h.kill('SIGKILL');
  rmSync(CLIENT_DIR, { recursive: true, force: true });
}
