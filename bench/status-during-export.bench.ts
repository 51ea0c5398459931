// /status while an export runs (issue 15: under 10 ms at p99): open+read+close of /status every 5 ms during the
// export of a 3-stage sox chain over 10 minutes of audio, against the same reads with the transport stopped, in
// the same run. The reads are made as `cat` makes them, by a small C client (bench/read-timer.c): a Node
// client's own JIT compiler competed with the mount for the CPU.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { mountAudiofs, ROOT, run, sleep, type TestMount } from '../test/helpers/mount.js';

const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';
const SOX = (effect: string) => `sox -D -q ${RAW} - ${RAW} - ${effect}`;
const SECONDS = 600;
const REPS = 3;

const CLIENT_DIR = mkdtempSync(join(tmpdir(), 'audiofs-status-client-'));
const CLIENT = join(CLIENT_DIR, 'read-timer');
{
  const built = spawnSync('gcc', ['-O2', '-o', CLIENT, join(ROOT, 'bench/read-timer.c')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`bench/read-timer.c did not build: ${built.stderr}`);
}

async function exportState(m: TestMount): Promise<string | undefined> {
  return (yaml.load(await readFile(m.path('status'), 'utf8')) as { export?: { state: string } }).export?.state;
}

/** Reads /status every 5 ms (the C client) while `busy` says so, asked every 20 ms; the latencies in ms. */
async function sample(m: TestMount, busy: () => Promise<boolean>): Promise<number[]> {
  const client = spawn(CLIENT, [m.path('status'), '5'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  client.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => client.once('close', (code) => r(code)));
  try {
    while (await busy()) await sleep(20);
  } finally {
    client.stdin.end();
  }
  const code = await exited;
  if (code !== 0) throw new Error(`read-timer: exit ${code}`);
  return out.trim().split('\n').filter((l) => l !== '').map(Number);
}

function summary(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(s.length * p))].toFixed(2);
  return `${s.length} reads: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${s[s.length - 1].toFixed(2)} ms`;
}

const m = await mountAudiofs();
try {
  await m.ctl('realtime off');
  const audio = join(m.tmp, 'audio.raw');
  await run('sox', ['-D', '-q', '-n', ...RAW.split(' '), audio, 'synth', String(SECONDS), 'sine', '300', 'pinknoise', 'mix']);
  await m.ctl(`f ${[SOX('lowpass 2000'), SOX('highpass 200'), SOX('vol 0.5')].join(' | ')}`);
  await run('dd', [`if=${audio}`, `of=${m.path('f', 'in')}`, 'bs=1M', 'status=none']);
  const during: number[] = [];
  const idle: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const until = Date.now() + 2000;
    idle.push(...(await sample(m, async () => Date.now() < until)));
    await m.ctl(`export ${join(m.tmp, `out${i}.raw`)}`);
    while ((await exportState(m)) !== 'rendering') await sleep(5);
    during.push(...(await sample(m, async () => (await exportState(m)) === 'rendering')));
  }
  console.log(`open+read+close of /status every 5 ms (a C client, as cat reads); ${REPS} exports of a 3-stage sox chain over ${SECONDS / 60} min of audio.\n`);
  console.log('| /status | latency | goal |');
  console.log('|---|---|---|');
  console.log(`| during the exports | ${summary(during)} | p99 < 10 ms |`);
  console.log(`| transport stopped (baseline, same run) | ${summary(idle)} | — |`);
} finally {
  await m.close();
  rmSync(CLIENT_DIR, { recursive: true, force: true });
}
