// Realtime trials on a busy machine: N generator+filter chains at a short period play T trials of S seconds
// each while a CPU hog (two `yes > /dev/null`, in a session of their own as from another terminal) runs
// beside them; every trial must end with zero xruns and zero late skips. Also shows how long the engine's
// thread (the mount's main thread) waited in the run queue during each trial (/proc/PID/schedstat), and how busy it was.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import { mountAudiofs, sleep, waitFor, type TestMount } from '../test/helpers/mount.js';
import { threadCpuSeconds } from './cpu-time.js';

const CHAINS = Number(process.env.RT_CHAINS ?? 128);
const PERIOD = Number(process.env.RT_PERIOD ?? 128);
const TRIALS = Number(process.env.RT_TRIALS ?? 10);
const SECONDS = Number(process.env.RT_SECONDS ?? 60);
const HOGS = Number(process.env.RT_HOGS ?? 2);
const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';

async function status(m: TestMount): Promise<any> {
  return yaml.load(await readFile(m.path('status'), 'utf8'));
}


/** Seconds a thread has waited in the run queue so far. */
async function runQueueWait(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/task/${pid}/schedstat`, 'utf8')).trim().split(/\s+/);
  return Number(fields[1]) / 1e9;
}

const m = await mountAudiofs({ config: `http: 127.0.0.1:0\ndevice: off\nperiod: ${PERIOD}\n` });
const hogs: ChildProcess[] = [];
const rows: string[] = [];
const notes: string[] = [];
let passed = 0;
try {
  for (let i = 0; i < CHAINS; i++) await m.ctl(`r${i + 1} sox -D -q -n ${RAW} - synth 3600 sine ${200 + 37 * i} | sox -D -q ${RAW} - ${RAW} - lowpass 2000`);
  for (let i = 0; i < HOGS; i++) hogs.push(spawn('yes', [], { stdio: 'ignore', detached: true }));
  const pid = m.proc.pid!;
  for (let t = 1; t <= TRIALS; t++) {
    await m.ctl('play');
    await waitFor(async () => (await status(m)).transport === 'playing', 'the transport playing', 60_000);
    const waited = await runQueueWait(pid);
    const cpu0 = threadCpuSeconds(pid, pid);
    const t0 = performance.now();
    const memory = (await status(m)).memory ?? {};
    const gcs = Number(memory.full_gcs ?? NaN);
    const longPauses = Number(memory.gc_pauses_over_50ms ?? NaN);
    await sleep(SECONDS * 1000);
    const st = await status(m);
    const waitedNow = await runQueueWait(pid);
    const busy = (threadCpuSeconds(pid, pid) - cpu0) / ((performance.now() - t0) / 1000);
    const perChain = Object.values(st.chains ?? {}).map((c: any) => Number(c.xruns ?? NaN));
    const xruns = perChain.reduce((a, b) => a + b, 0);
    await m.ctl('stop');
    const ok = xruns === 0 && st.late_skips === 0 && perChain.length === CHAINS;
    if (ok) passed++;
    rows.push(`| ${t} | ${st.position} s | ${xruns} | ${Math.max(...perChain)} | ${st.late_skips} | ${(waitedNow - waited).toFixed(2)} s | ${(100 * busy).toFixed(0)}% | ${Number(st.memory?.full_gcs ?? NaN) - gcs} | ${Number(st.memory?.gc_pauses_over_50ms ?? NaN) - longPauses} | ${ok ? 'pass' : 'FAIL'} |`);
    // What the mount said about a failed trial (the engine's late skips and what it was doing).
    if (!ok) notes.push(`trial ${t}:\n${m.output().split('\n').filter((l) => / (warn|error) /.test(l)).slice(-10).join('\n')}`);
  }
} finally {
  for (const h of hogs) h.kill('SIGKILL');
  await m.close();
}
console.log(`Realtime mode, period ${PERIOD} frames, ${CHAINS} chains \`sox -n synth sine F | sox lowpass 2000\`, ${TRIALS} trials of ${SECONDS} s, ${HOGS} \`yes > /dev/null\` hogs in a session of their own beside them.\n`);
console.log('| trial | position at read | xruns (sum over chains) | max xruns of one chain | engine late skips | engine thread run-queue wait | engine thread busy | full GCs of the mount | its GC pauses over 50 ms | result |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(`\n**${passed} of ${TRIALS}** trials with zero xruns and zero late skips.`);
for (const n of notes) console.log(`\n${n}`);
