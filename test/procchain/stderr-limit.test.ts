// The stderr limit without a process: a fake clock, whole lines, drops counted and reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STDERR_BURST, STDERR_LINE_MAX, STDERR_RATE, StderrLimit } from '../../lib/procchain/stderr-limit.js';

function collect(now: () => number) {
  const got = { bytes: '', lines: [] as string[], dropped: [] as number[] };
  const limit = new StderrLimit({
    onBytes: (b) => (got.bytes += b.toString()),
    onLine: (l) => got.lines.push(l),
    onDropped: (n) => got.dropped.push(n),
  }, now);
  return { limit, got };
}

test('lines under the rate pass whole, joined across chunks; the last partial line passes at the end', () => {
  let t = 0;
  const { limit, got } = collect(() => t);
  assert.equal(limit.take(Buffer.from('one\ntw')), true);
  t += 10;
  assert.equal(limit.take(Buffer.from('o\nthree')), true);
  limit.end();
  assert.deepEqual(got, { bytes: 'one\ntwo\nthree', lines: ['one', 'two', 'three'], dropped: [] });
});

test('a flood passes the burst, then the rate; what is dropped is counted to the byte and reported before the next line', () => {
  let t = 0;
  const { limit, got } = collect(() => t);
  const line = 'x'.repeat(99) + '\n';
  const all = Buffer.from(line.repeat(65536));
  let offered = 0;
  // Ten seconds of a client writing 655 KB a second, in 64 KiB chunks that cut lines.
  for (let i = 0; i < 100; i++) {
    const chunk = all.subarray(i * 65536, (i + 1) * 65536);
    limit.take(chunk);
    offered += chunk.length;
    t += 100;
  }
  limit.end();
  const passed = got.bytes.length;
  const dropped = got.dropped.reduce((a, b) => a + b, 0);
  assert.equal(passed + dropped, offered, 'every byte is either passed or counted as dropped');
  assert.deepEqual(got.lines.filter((l) => l !== 'x'.repeat(99)), [], 'only whole lines pass, never the rest of a line cut by a drop');
  // Each 100-byte line costs 100 + 64 of the budget: burst + 9.9 s of rate (the last chunk came at 9.9 s),
  // plus at most one line of overdraft per refill.
  const budget = STDERR_BURST + 9.9 * STDERR_RATE;
  assert.ok(got.lines.length * 164 <= budget + 100 * 164, `${got.lines.length} lines passed, budget ${budget}`);
  assert.ok(got.lines.length * 164 >= budget - 2 * 164, `${got.lines.length} lines passed: the budget is used`);
  assert.ok(got.dropped.length >= 2, 'drops are reported as they happen, not only at the end');
});

test('a line longer than the maximum is cut into pieces; an over-budget take says so', () => {
  let t = 0;
  const { limit, got } = collect(() => t);
  const long = 'y'.repeat(STDERR_LINE_MAX * 2 + 10);
  assert.equal(limit.take(Buffer.from(long)), true);
  assert.deepEqual(got.lines, ['y'.repeat(STDERR_LINE_MAX), 'y'.repeat(STDERR_LINE_MAX)]);
  limit.end();
  assert.deepEqual(got.lines.slice(2), ['y'.repeat(10)]);
  const { limit: l2 } = collect(() => t);
  assert.equal(l2.take(Buffer.alloc(STDERR_BURST * 2, 'z\n')), false, 'the burst is spent: read less often');
});
