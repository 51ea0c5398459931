// Bounds of the mount against hostile clients: a stderr flood, many HTTP connections, huge sizes, a leak loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import { mountAudiofs, sleep, waitFor, type TestMount } from '../helpers/mount.js';
import { STDERR_BURST, STDERR_RATE } from '../../lib/procchain/stderr-limit.js';

/** What an O_NONBLOCK reader gets now. */
async function readNow(path: string): Promise<Buffer> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try { return await fh.readFile(); } finally { await fh.close(); }
}

/** CPU time (user + system) a process has used, in seconds. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function status(m: TestMount): Promise<Record<string, any>> {
  return yaml.load(await readFile(m.path('status'), 'utf8')) as Record<string, any>;
}

test('a client flooding stderr: the log grows by the documented rate, the mount stays idle, the drops are counted', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('f stderr-flooder');
    await m.ctl('play');
    await waitFor(async () => m.output().includes('f/stderr-flooder: stderr flood line'), 'the first lines in the log');
    await sleep(500);
    const seconds = 5;
    const logBefore = m.output().length;
    const cpuBefore = await cpuSeconds(m.proc.pid!);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpu = (await cpuSeconds(m.proc.pid!)) - cpuBefore;
    const elapsed = (performance.now() - t0) / 1000;
    const grown = m.output().length - logBefore;
    // Before: ~52 MB/s and a whole core. The budget is counted in stderr bytes plus 64 a line, and a log line
    // of this flood ('<stamp> info f/stderr-flooder: stderr flood line') is 63 bytes for 18+64 of budget.
    const bound = STDERR_BURST + STDERR_RATE * elapsed;
    console.log(`log growth ${(grown / elapsed / 1024).toFixed(1)} KiB/s (bound ${(bound / elapsed / 1024).toFixed(1)}), mount CPU ${(100 * cpu / elapsed).toFixed(1)}%`);
    assert.ok(grown <= bound, `the log grew ${grown} bytes in ${elapsed.toFixed(1)} s (expected at most ${bound})`);
    assert.ok(grown >= STDERR_RATE * 0.5 * (elapsed - 1), `the log grew ${grown} bytes: the flood is logged up to the rate, not silenced`);
    assert.ok(cpu / elapsed < 0.25, `the mount used ${(100 * cpu / elapsed).toFixed(1)}% of a CPU (expected under 25%)`);
    assert.match(m.output(), / warn f\/stderr-flooder: \.\.\. \d+ bytes of stderr dropped \(more than 16384 bytes a second\)\n/);
    const err = (await readNow(m.path('f/stderr-flooder/err'))).toString();
    assert.match(err, /\.\.\. \d+ bytes of stderr dropped\n/);
    assert.ok(err.length <= 64 * 1024, 'err keeps at most 64 KiB');
    // The mount still answers quickly.
    const t1 = performance.now();
    assert.equal((await status(m)).chains.f.stages[0].state, 'running');
    assert.ok(performance.now() - t1 < 1000, 'status answers under 1 s during the flood');
  } finally {
    assert.equal(await m.close(), 0);
  }
});
