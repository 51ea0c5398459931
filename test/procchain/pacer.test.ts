// The Pacer without a run: how far ahead of the clock a pump may hand on, and who is let go when the clock moves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pacer, type PaceClock } from '../../lib/procchain/pacer.js';

/** A clock moved by hand. */
function handClock(): PaceClock & { move(bytes: number): void } {
  let now = 1000;
  const listeners = new Set<() => void>();
  return {
    now: () => now,
    onAdvance: (cb) => {
      listeners.add(cb);
      return () => void listeners.delete(cb);
    },
    move(bytes) {
      now += bytes;
      for (const cb of [...listeners]) cb();
    },
  };
}

const microtasks = () => new Promise<void>((resolve) => setImmediate(resolve));

test('the allowance is the lead past the clock, counted from where the run started', () => {
  const clock = handClock();
  const pacer = new Pacer(clock, 512);
  assert.equal(pacer.allowance(0), 512);
  assert.equal(pacer.allowance(500), 12);
  assert.equal(pacer.allowance(900), 0);
  clock.move(400);
  assert.equal(pacer.allowance(900), 12);
  pacer.dispose();
  assert.equal(pacer.allowance(10_000), Infinity, 'a disposed pacer holds nothing back');
});

test('waiters are let go once each time the clock moves, after what moved it, in order; one added meanwhile waits for the next move', async () => {
  const clock = handClock();
  const pacer = new Pacer(clock, 512);
  const calls: string[] = [];
  pacer.onceAdvanced(() => calls.push('a'));
  pacer.onceAdvanced(() => {
    calls.push('b');
    pacer.onceAdvanced(() => calls.push('b again'));
  });
  clock.move(128);
  assert.deepEqual(calls, [], 'not while the clock is being moved');
  await microtasks();
  assert.deepEqual(calls, ['a', 'b']);
  clock.move(128);
  await microtasks();
  assert.deepEqual(calls, ['a', 'b', 'b again']);
  clock.move(128);
  await microtasks();
  assert.deepEqual(calls, ['a', 'b', 'b again'], 'each waiter is called once');
  pacer.dispose();
});

test('a waiter that throws does not keep the others waiting, and its error is not swallowed', async () => {
  const clock = handClock();
  const pacer = new Pacer(clock, 512);
  const errors: unknown[] = [];
  const onError = (err: unknown) => errors.push(err);
  // node:test reports an uncaught exception as the test's failure: take it here instead.
  const listeners = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', onError);
  try {
    const calls: string[] = [];
    pacer.onceAdvanced(() => { throw new Error('boom'); });
    pacer.onceAdvanced(() => calls.push('after'));
    clock.move(128);
    await microtasks();
    await microtasks();
    assert.deepEqual(calls, ['after']);
    assert.equal((errors[0] as Error)?.message, 'boom');
    pacer.onceAdvanced(() => calls.push('next'));
    clock.move(128);
    await microtasks();
    assert.deepEqual(calls, ['after', 'next'], 'the pacer goes on letting waiters go');
  } finally {
    process.removeListener('uncaughtException', onError);
    for (const l of listeners) process.on('uncaughtException', l);
    pacer.dispose();
  }
});

test('dispose lets every waiter go', async () => {
  const clock = handClock();
  const pacer = new Pacer(clock, 512);
  let called = 0;
  pacer.onceAdvanced(() => called++);
  pacer.onceAdvanced(() => called++);
  pacer.dispose();
  await microtasks();
  assert.equal(called, 2);
});
