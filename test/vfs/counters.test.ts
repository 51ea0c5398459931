// /status counts what happened in the current run and in total: xruns per chain, the engine's late skips;
// a live input that nobody writes to is silence, not xruns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import { mountAudiofs, sleep, waitFor, type TestMount } from '../helpers/mount.js';

async function status(m: TestMount): Promise<any> {
  return yaml.load(await readFile(m.path('status'), 'utf8'));
}

test('a live input with nothing to say counts no xruns; a stall of the engine is one late skip in this run and in the total', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('mic cat');
    await m.ctl('realtime on', 'mic/ctl');
    await m.ctl('play');
    await waitFor(async () => (await status(m)).transport === 'playing', 'the transport playing');
    await sleep(1000);
    let s = await status(m);
    assert.ok(s.position >= 0.5, `played for a while (position ${s.position})`);
    assert.deepEqual([s.chains.mic.xruns, s.chains.mic.xruns_total], [0, 0], 'an idle live input is not late');
    // The mount stopped for 0.5 s (as a busy machine can): the clock skips ahead once.
    m.proc.kill('SIGSTOP');
    await sleep(500);
    m.proc.kill('SIGCONT');
    s = await waitFor(async () => { const st = await status(m); return st.late_skips > 0 && st; }, 'a late skip');
    assert.deepEqual([s.late_skips, s.late_skips_total], [1, 1]);
    await m.ctl('stop');
    await m.ctl('play');
    await waitFor(async () => (await status(m)).transport === 'playing', 'the transport playing again');
    s = await status(m);
    assert.deepEqual([s.late_skips, s.late_skips_total], [0, 1], 'a new run counts from 0; the total keeps the old skip');
    await m.ctl('stop');
  } finally {
    await m.close();
  }
});
