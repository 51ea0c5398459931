// The transport's plan offline: passes, loops, steps, exports and the position as plain numbers, the engine's frame count passed in (a virtual clock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LEAD_MIN_FRAMES, LEAD_PERIODS, LOOP_SEAM_FADE, runSettings, TransportPlan, WRAP_SLACK } from '../../lib/sequencer/transport-plan.js';

const FORMAT = { rate: 44100, channels: 2 };

/** Frames of `s` seconds at 44.1 kHz, computed here (not by the helpers under test). */
const frames = (s: number) => Math.round(s * 44100);

test('play: from the cue to the end; with a loop, from the loop start when the cue lies outside it, and to the loop end', () => {
  const plan = new TransportPlan(FORMAT);
  plan.cue = 1.5;
  assert.deepEqual(plan.playPass(), { from: 1.5, to: undefined, mode: 'realtime', once: false });
  plan.loop = { from: 2, to: 4 };
  assert.deepEqual(plan.playPass(), { from: 2, to: 4, mode: 'realtime', once: false });
  plan.cue = 3;
  assert.deepEqual(plan.playPass(), { from: 3, to: 4, mode: 'realtime', once: false });
  plan.cue = 4;
  assert.deepEqual(plan.playPass(), { from: 2, to: 4, mode: 'realtime', once: false });
  plan.realtime = false;
  assert.deepEqual(plan.playPass().mode, 'export');
});

test('a loop pass fades at its seam, ends at the loop end, and wraps WRAP_SLACK past it unless it drained first', () => {
  const plan = new TransportPlan(FORMAT);
  plan.loop = { from: 2, to: 4 };
  const pass = plan.playPass();
  plan.pass = pass;
  assert.deepEqual(
    { looping: plan.looping(), end: plan.passEndFrames(pass), fade: plan.seamFadeFrames(pass) },
    { looping: true, end: frames(2), fade: frames(LOOP_SEAM_FADE) },
  );
  // The virtual clock: the frames the engine has played since the pass started at 2 s.
  const wrapsAt = [0, 1, 2, 2 + WRAP_SLACK - 0.01, 2 + WRAP_SLACK].map((s) => plan.shouldWrap(frames(s)));
  assert.deepEqual(wrapsAt, [false, false, false, false, true]);
  assert.deepEqual(plan.wrapPass(plan.loop!), { from: 2, to: 4, mode: 'realtime', once: false });
  plan.loop = null;
  assert.deepEqual({ looping: plan.looping(), wraps: plan.shouldWrap(frames(10)) }, { looping: false, wraps: false });
});

test('a step covers its region once, stops at its end to the frame, and never loops', () => {
  const plan = new TransportPlan(FORMAT);
  plan.loop = { from: 0, to: 1 };
  const pass = plan.stepPass({ from: 4, to: 6.5 });
  plan.pass = pass;
  assert.deepEqual(pass, { from: 4, to: 6.5, stopAt: 6.5, mode: 'realtime', once: true });
  assert.deepEqual(
    { looping: plan.looping(), end: plan.passEndFrames(pass), fade: plan.seamFadeFrames(pass), wraps: plan.shouldWrap(frames(100)) },
    { looping: false, end: frames(2.5), fade: 0, wraps: false },
  );
});

test('an export renders its region (or the whole song) once in export mode, without touching the mode setting', () => {
  const plan = new TransportPlan(FORMAT);
  plan.loop = { from: 2, to: 4 };
  const whole = plan.exportPass(null);
  assert.deepEqual(whole, { from: 0, to: undefined, stopAt: undefined, mode: 'export', once: true });
  assert.deepEqual({ end: plan.passEndFrames(whole), looping: plan.looping(whole), fade: plan.seamFadeFrames(whole) }, { end: undefined, looping: false, fade: 0 });
  const region = plan.exportPass({ from: 30, to: 31 });
  plan.pass = region;
  assert.deepEqual(region, { from: 30, to: 31, stopAt: 31, mode: 'export', once: true });
  assert.deepEqual(
    { end: plan.passEndFrames(region), setting: plan.realtime, running: plan.mode({ stopped: false }), after: plan.mode({ stopped: true }) },
    { end: frames(1), setting: true, running: 'export', after: 'realtime' },
  );
  // The seconds rendered count from the region's start: 1 s for 30..31, 10.5 s for 10..20.5.
  assert.deepEqual([plan.renderedSeconds(frames(1)), plan.renderedSeconds(frames(10.5))], [1, 10.5]);
});

test('the position: stopped, the cue; playing, the pass start plus the frames played (after a seek, a loop wrap, a step)', () => {
  const plan = new TransportPlan(FORMAT);
  assert.equal(plan.at({ stopped: false, played: frames(3) }), 0, 'no pass yet: the cue');
  plan.cue = 1.5;
  plan.pass = plan.playPass();
  assert.deepEqual([plan.at({ stopped: false, played: frames(2) }), plan.at({ stopped: true, played: frames(2) })], [3.5, 1.5]);
  plan.loop = { from: 2, to: 4 };
  plan.pass = plan.wrapPass(plan.loop);
  assert.equal(plan.at({ stopped: false, played: frames(1.25) }), 3.25);
  plan.pass = plan.stepPass({ from: 8, to: 10 });
  assert.equal(plan.at({ stopped: false, played: frames(0.5) }), 8.5);
  plan.ended();
  assert.deepEqual([plan.at({ stopped: true, played: frames(0.5) }), plan.playPass().from], [0, 2]);
});

test('a chain started alone plays from the cue to the end, and loops when a loop is set', () => {
  const plan = new TransportPlan(FORMAT);
  plan.cue = 2.5;
  assert.deepEqual(plan.chainPass(), { from: 2.5, mode: 'realtime', once: false });
  plan.loop = { from: 0, to: 4 };
  assert.equal(plan.looping(plan.chainPass()), true);
});

test('run settings derive from the pass mode: realtime paces and bounds, export is lossless', () => {
  const period = 512;
  assert.deepEqual(runSettings('export', period, FORMAT), { lossless: true, buffer: 44100 * 4 });
  assert.deepEqual(runSettings('realtime', period, FORMAT), {
    lossless: false,
    buffer: period * 4 * 4,
    lead: Math.max(period * LEAD_PERIODS, LEAD_MIN_FRAMES) * 4,
    rest: { quietMs: 20, settleMs: Math.ceil((Math.max(period * LEAD_PERIODS, LEAD_MIN_FRAMES) * 1000) / 44100), drainMs: 5000 },
    gateMs: 3000,
  });
  // A short period still leaves the stages LEAD_MIN_FRAMES of lead, and a splice that long to settle; a long one 16 periods.
  const short = runSettings('realtime', 128, FORMAT);
  assert.equal(short.lead, LEAD_MIN_FRAMES * 4);
  assert.equal(short.rest?.settleMs, Math.ceil((LEAD_MIN_FRAMES * 1000) / 44100));
  assert.equal(runSettings('realtime', 4096, FORMAT).lead, 4096 * LEAD_PERIODS * 4);
});
