// Throughput of chains through the mount (export mode, file in, reader out) against the same shell pipeline.
import { timeShell } from './shell-timing.js';
import { join } from 'node:path';
import { mountAudiofs, run, type TestMount } from '../test/helpers/mount.js';

const MiB = 1024 * 1024;
const CAT_BYTES = 512 * MiB;
const SOX_SECONDS = 600;
const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';
const SOX = (effect: string) => `sox -D -q ${RAW} - ${RAW} - ${effect}`;
const SOX_CHAIN = [SOX('lowpass 2000'), SOX('highpass 200'), SOX('vol 0.5')];


/** Makes chain NAME, stores `input` in NAME/in, then times play until a reader of NAME/out has everything. */
async function timeChain(m: TestMount, name: string, stages: string[], input: string): Promise<{ seconds: number; bytes: number }> {
  await m.ctl(`${name} ${stages.join(' | ')}`);
  await run('dd', [`if=${input}`, `of=${m.path(name, 'in')}`, 'bs=1M', 'status=none']);
  const reading = timeShell(`cat ${m.path(name, 'out')}`);
  await new Promise((r) => setTimeout(r, 200));
  const start = performance.now();
  await m.ctl('play', `${name}/ctl`);
  const r = await reading;
  return { seconds: (performance.now() - start) / 1000, bytes: r.bytes };
}

const m = await mountAudiofs();
try {
  await m.ctl('realtime off');
  const zeros = join(m.tmp, 'zeros.raw');
  await run('dd', ['if=/dev/zero', `of=${zeros}`, 'bs=1M', `count=${CAT_BYTES / MiB}`, 'status=none']);
  const audio = join(m.tmp, 'audio.raw');
  await run('sox', ['-D', '-q', '-n', ...RAW.split(' '), audio, 'synth', String(SOX_SECONDS), 'sine', '300', 'pinknoise', 'mix']);
  const rows: string[] = [];
  const row = (what: string, ours: { seconds: number; bytes: number }, base: { seconds: number; bytes: number }, baseName: string) => {
    const mbs = (r: { seconds: number; bytes: number }) => r.bytes / 1e6 / r.seconds;
    if (ours.bytes !== base.bytes) throw new Error(`${what}: audiofs gave ${ours.bytes} bytes, the shell ${base.bytes}`);
    rows.push(`| ${what} | ${(ours.bytes / MiB).toFixed(0)} MiB | ${ours.seconds.toFixed(2)} s | ${mbs(ours).toFixed(0)} MB/s | ${baseName} | ${base.seconds.toFixed(2)} s | ${mbs(base).toFixed(0)} MB/s | ${(mbs(ours) / mbs(base)).toFixed(2)} |`);
  };
  const catBase = await timeShell(`cat ${zeros} | cat | cat`);
  row('`cat` chain (1 stage)', await timeChain(m, 'c', ['cat'], zeros), catBase, '`cat f \\| cat \\| cat`');
  const soxBase = await timeShell(`cat ${audio} | ${SOX_CHAIN.join(' | ')} | cat`);
  row(`3 sox stages, ${SOX_SECONDS / 60} min of audio`, await timeChain(m, 's', SOX_CHAIN, audio), soxBase, 'the same sh pipeline');
  console.log('Export mode, input stored in NAME/in first; timed from `play` until a reader of NAME/out has everything.\n');
  console.log('| chain | bytes | audiofs | audiofs MB/s | baseline | baseline time | baseline MB/s | audiofs / baseline |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
} finally {
  await m.close();
}
