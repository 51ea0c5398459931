// Realtime: a stage that renders far faster than the clock is held to a bounded lead, and the mount's
// memory stays flat, because its output waits in its own pipe rather than in audiofs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leadFrames } from '../../lib/sequencer/transport-plan.js';
import { readFile } from 'node:fs/promises';
import { mountAudiofs, run, sleep } from '../helpers/mount.js';

/** One second of the project format (44.1 kHz, 2 channels, s16le). */
const SECOND = 176_400;

/** The mount's resident memory (kB). */
async function rssKb(pid: number): Promise<number> {
  return Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]);
}

test('realtime: a flooding stage is handed on at most a bounded lead ahead of the clock; what audiofs holds and its memory stay flat', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('fast flooder | passthrough');
    await m.ctl('play');
    const samples: Array<{ position: number; outs: number[]; buffered: number[]; rss: number }> = [];
    for (let i = 0; i < 24; i++) {
      await sleep(250);
      const status = await readFile(m.path('status'), 'utf8');
      assert.match(status, /transport: playing/);
      samples.push({
        position: Number(/\nposition: ([\d.]+)/.exec(status)![1]),
        outs: [...status.matchAll(/\n {8}out_bytes: (\d+)/g)].map((x) => Number(x[1])),
        buffered: [...status.matchAll(/\n {8}buffered_bytes: (\d+)/g)].map((x) => Number(x[1])),
        rss: await rssKb(m.proc.pid!),
      });
    }
    await m.ctl('stop');
    // The status is read after the stages' counters: allow the clock 50 ms more than the lead.
    const bound = leadFrames(512) / 44100 + 0.05;
    const ahead = samples.flatMap((s) => s.outs.map((o) => o / SECOND - s.position)).filter((lead) => lead > bound);
    assert.deepEqual(ahead, [], `each stage at most ${bound.toFixed(2)} s ahead of the clock`);
    const held = samples.flatMap((s) => s.buffered).filter((b) => b > 192 * 1024);
    assert.deepEqual(held, [], 'audiofs holds at most 192 KiB for a stage (a read and what waits for the stage)');
    assert.ok(samples.every((s) => s.outs.length === 2 && s.buffered.length === 2), 'two stages in each sample');
    const last = samples[samples.length - 1];
    assert.ok(last.position > 4, `the clock ran (${last.position} s)`);
    assert.ok(last.outs[0] / SECOND > last.position - 0.5, 'the flooder kept up with the clock');
    const grew = Math.max(...samples.slice(4).map((s) => s.rss)) - samples[4].rss;
    assert.ok(grew < 24 * 1024, `the mount's memory grew ${grew} kB from 1 s to 6 s of play (expected flat)`);
  } finally {
    await run('rm', ['-r', m.path('fast')], { timeout: 10_000 }).catch(() => undefined);
    assert.equal(await m.close(), 0);
  }
});
