// Latency of file operations on a mount while readers wait and chains play: the speed figures behind the
// hang bounds of test/vfs/lifecycle.test.ts (the tests only check that nothing hangs).
import { spawn } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import { mountAudiofs, run } from '../test/helpers/mount.js';
import { median } from './stats.js';

/** Milliseconds an action takes: the median of `n` runs. */
async function medianMs(n: number, f: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return median(times);
}

const m = await mountAudiofs();
const rows: Array<[string, number]> = [];
try {
  await m.ctl('idle passthrough');
  const blocked = spawn('cat', [m.path('idle/out')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  rows.push(['`ls -la` with a reader blocked on idle/out', await medianMs(9, () => run('ls', ['-la', m.dir, m.path('idle')]))]);
  rows.push(['`cat status` with a reader blocked', await medianMs(9, () => run('cat', [m.path('status')]))]);
  rows.push(['a ctl write with a reader blocked', await medianMs(9, () => appendFile(m.path('ctl'), 'realtime on\n'))]);
  await m.ctl('ticker slow-writer');
  await m.ctl('play');
  rows.push(['`dd iflag=nonblock` of a playing chain\'s out', await medianMs(9, () => run('dd', [`if=${m.path('ticker/out')}`, 'iflag=nonblock', 'of=/dev/null']))]);
  rows.push(['`tar cf` of the mount while chains play', await medianMs(5, () => run('tar', ['cf', `${m.tmp}/all.tar`, '-C', m.dir, '.']))]);
  rows.push(['readFile of /status', await medianMs(9, () => readFile(m.path('status')))]);
  await m.ctl('stop');
  blocked.kill();
} finally {
  await m.close();
}
console.log('Median wall time of each operation on a mount (the tests bound these only against a hang).\n');
console.log('| operation | median |');
console.log('|---|---|');
for (const [what, ms] of rows) console.log(`| ${what} | ${ms.toFixed(1)} ms |`);
