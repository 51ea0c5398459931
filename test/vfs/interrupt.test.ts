// Interruptible requests: a process blocked in a read of a live stream, or in a write held by a full live
// input, ends at once when it gets a signal (the kernel's FUSE_INTERRUPT is answered EINTR), and the
// stream loses no byte for the other readers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { mountAudiofs, sleep, waitFor, type TestMount } from '../helpers/mount.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGKILL'] as const;
type Sig = (typeof SIGNALS)[number] | 'SIGUSR1';
/** How long a signalled process may take to end (the aim is 100 ms; this bound keeps a loaded machine from failing the test). */
const EXIT_BOUND_MS = 1000;
const LIVE_INPUT_LIMIT = 256 * 1024;

/** read(2) and write(2) numbers in /proc/PID/syscall. */
const SYSCALL: Record<string, { read: number; write: number }> = { x64: { read: 0, write: 1 }, arm64: { read: 63, write: 64 } };

let m: TestMount;

before(async () => {
  m = await mountAudiofs({ args: ['--debug'] });
  await m.ctl('idle passthrough');
});

after(async () => {
  assert.equal(await m.close(), 0);
});

/** Whether `pid` waits in the kernel for the answer to a FUSE request made by read(2) or write(2). */
async function blockedIn(pid: number, call: 'read' | 'write'): Promise<boolean> {
  const wchan = await readFile(`/proc/${pid}/wchan`, 'utf8').catch(() => '');
  if (wchan !== 'request_wait_answer') return false;
  const nr = SYSCALL[process.arch]?.[call];
  if (nr === undefined) return true;
  const syscall = await readFile(`/proc/${pid}/syscall`, 'utf8').catch(() => '');
  return Number(syscall.split(' ')[0]) === nr;
}

interface Exit { code: number | null; signal: string | null }

/** A process of the test (never the test process itself: a hang must not hang the suite). */
function start(argv: string[]): { child: ChildProcess; out: () => Buffer; exit: Promise<Exit> } {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const parts: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => parts.push(b));
  const exit = new Promise<Exit>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, out: () => Buffer.concat(parts), exit };
}

/** Whether the mount's --debug trace shows it got `op` of `path` from `pid` (the kernel handed the request on). */
function reached(op: string, path: string, pid: number): boolean {
  return m.output().includes(` debug fuse: ${op} ${path} from pid ${pid}\n`);
}

/**
 * Starts `argv` and waits until it is blocked in `call` of `path` on the mount, and the mount has that request:
 * a process signalled while its request still waits in the kernel's queue ends without audiofs ever seeing it.
 */
async function startBlocked(argv: string[], call: 'read' | 'write', path: string): Promise<ReturnType<typeof start>> {
  const p = start(argv);
  try {
    await waitFor(() => blockedIn(p.child.pid!, call), `${argv.join(' ')} to block in ${call}(2)`);
    await waitFor(() => reached(call, path, p.child.pid!), `the mount to get the ${call} of ${path} from ${p.child.pid}`);
  } catch (err) {
    p.child.kill('SIGKILL');
    throw err;
  }
  return p;
}

/** Sends `sig` and measures how long the process takes to end (at most EXIT_BOUND_MS, then it is SIGKILLed and the result is null). */
async function signalAndTime(p: ReturnType<typeof start>, sig: Sig): Promise<{ ms: number; exit: Exit | null }> {
  const t0 = performance.now();
  p.child.kill(sig);
  const exit = await Promise.race([p.exit, sleep(EXIT_BOUND_MS).then(() => null)]);
  const ms = performance.now() - t0;
  if (!exit) {
    p.child.kill('SIGKILL');
    await Promise.race([p.exit, sleep(5000)]);
  }
  return { ms, exit };
}

/** The pids the mount's --debug trace names in `fuse: interrupt OP PATH (pid N)` lines. */
function interruptedPids(op: string, path: string): number[] {
  const re = new RegExp(` debug fuse: interrupt ${op} ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(pid (\\d+)\\)\\n`, 'g');
  return [...m.output().matchAll(re)].map((x) => Number(x[1]));
}

const READERS = [
  { file: 'out', what: '/out (the transport is stopped)' },
  { file: 'idle/out', what: 'NAME/out of a stopped chain' },
  { file: 'idle/passthrough/out', what: 'a stage\'s out' },
  { file: 'stream.mp3', what: '/stream.mp3' },
];

for (const { file, what } of READERS) {
  for (const sig of SIGNALS) {
    test(`a cat blocked reading ${what} ends at once on ${sig}`, { timeout: 30_000 }, async () => {
      const cat = await startBlocked(['cat', m.path(file)], 'read', `/${file}`);
      const { ms, exit } = await signalAndTime(cat, sig);
      assert.ok(exit, `cat ${file} still there ${ms.toFixed(0)} ms after ${sig} (expected it gone within ${EXIT_BOUND_MS} ms)`);
      assert.deepEqual(exit, { code: null, signal: sig }, `cat ${file} ended ${ms.toFixed(0)} ms after ${sig}, but not by it`);
      assert.equal(cat.out().length, 0);
      // The read was answered EINTR because of the interrupt (not, say, end of file).
      await waitFor(() => interruptedPids('read', `/${file}`).includes(cat.child.pid!), `the trace of the interrupt of ${cat.child.pid}`).catch((err: Error) => {
        const trace = m.output().split('\n').filter((l) => l.includes(`/${file}`) || l.includes('interrupt')).slice(-12).join('\n');
        throw new Error(`${err.message}; the mount's last trace lines of /${file}:\n${trace}`);
      });
      assert.match(m.output(), new RegExp(` debug fuse: read /${file.replace('.', '\\.')} -> -4 \\(interrupted\\)\\n`));
    });
  }
}

test('a cat > NAME/in held by a full live input ends at once on SIGINT, SIGTERM and SIGKILL, and nothing of the held write is stored', { timeout: 60_000 }, async () => {
  await m.ctl('live passthrough');
  await m.ctl('realtime on', 'live/ctl');
  const input = m.path('live/in');
  for (const [i, sig] of SIGNALS.entries()) {
    // The chain is not playing: 256 KiB are taken, then a write is held (for 5 s, then EPIPE: signalled well before).
    // A live in's size counts every byte ever taken; `>` (O_TRUNC) drops what waits, so each writer gets 256 KiB in.
    const cat = await startBlocked(['sh', '-c', 'exec cat /dev/zero > "$0"', input], 'write', '/live/in');
    assert.equal((await stat(input)).size, LIVE_INPUT_LIMIT * (i + 1));
    const { ms, exit } = await signalAndTime(cat, sig);
    assert.ok(exit, `the writer is still there ${ms.toFixed(0)} ms after ${sig} (expected it gone within ${EXIT_BOUND_MS} ms)`);
    assert.deepEqual(exit, { code: null, signal: sig }, `the writer ended ${ms.toFixed(0)} ms after ${sig}, but not by it`);
    assert.equal((await stat(input)).size, LIVE_INPUT_LIMIT * (i + 1), 'nothing of the interrupted write was stored');
    await waitFor(() => interruptedPids('write', '/live/in').includes(cat.child.pid!), `the trace of the interrupt of ${cat.child.pid}`);
  }
  assert.doesNotMatch(m.output(), /write refused/, 'no writer waited into the 5 s EPIPE');
});

test('while readers of a live stream are interrupted, another reader gets every byte, and one that handles the signal and reads on does too', { timeout: 90_000 }, async () => {
  // The chain's out gets exactly what the test writes to its live input, when it writes it: every reader
  // is blocked on an empty stream at each interrupt, then the next piece comes.
  await m.ctl('feed passthrough');
  await m.ctl('realtime on', 'feed/ctl');
  await m.ctl('play');
  const out = m.path('feed/out');
  const whole = await open(out, 'r');
  const got: Buffer[] = [];
  const received = () => got.reduce((n, b) => n + b.length, 0);
  const reading = (async () => {
    for (;;) {
      const { bytesRead, buffer } = await whole.read(Buffer.alloc(65536), 0, 65536, null);
      if (bytesRead === 0) return;
      got.push(buffer.subarray(0, bytesRead));
    }
  })();
  // Python retries a read that a handled signal interrupted (PEP 475): the same open file, read on.
  const survivor = start(['python3', '-c', [
    'import os, signal, sys',
    'signal.signal(signal.SIGUSR1, lambda *a: None)',
    'fd = os.open(sys.argv[1], os.O_RDONLY)',
    'while True:',
    '    b = os.read(fd, 65536)',
    '    if not b: break',
    '    sys.stdout.buffer.write(b); sys.stdout.buffer.flush()',
  ].join('\n'), out]);
  const writer = await open(m.path('feed/in'), 'a');
  const sent: Buffer[] = [];
  const killed: number[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      const cat = await startBlocked(['cat', out], 'read', '/feed/out');
      await waitFor(() => blockedIn(survivor.child.pid!, 'read'), 'the python reader to block');
      const { ms, exit } = await signalAndTime(cat, SIGNALS[i % 3]);
      assert.deepEqual(exit, { code: null, signal: SIGNALS[i % 3] }, `piece ${i}: cat ended ${ms.toFixed(0)} ms after ${SIGNALS[i % 3]}`);
      killed.push(cat.child.pid!);
      survivor.child.kill('SIGUSR1');
      await waitFor(() => interruptedPids('read', '/feed/out').includes(survivor.child.pid!) && interruptedPids('read', '/feed/out').filter((p) => p === survivor.child.pid).length === i + 1, `the interrupt of the python reader (${i + 1})`);
      const piece = randomBytes(48 * 1024 + i * 1000);
      sent.push(piece);
      await writer.write(piece);
      const total = sent.reduce((n, b) => n + b.length, 0);
      await waitFor(() => received() === total && survivor.out().length === total, `piece ${i} at both readers (${received()} and ${survivor.out().length} of ${total} bytes)`);
    }
  } finally {
    await writer.close();
    await m.ctl('stop');
  }
  await Promise.race([reading, sleep(10_000).then(() => { throw new Error('the whole reader did not get end of file after stop'); })]);
  await whole.close();
  const survived = await Promise.race([survivor.exit, sleep(10_000).then(() => null)]);
  if (!survived) survivor.child.kill('SIGKILL');
  const expected = Buffer.concat(sent);
  assert.ok(Buffer.concat(got).equals(expected), `the other reader got ${received()} bytes, expected the ${expected.length} written, in order`);
  assert.deepEqual(survived, { code: 0, signal: null }, 'the python reader ended at end of file');
  assert.ok(survivor.out().equals(expected), `the reader that was interrupted 6 times and read on got ${survivor.out().length} bytes, expected the ${expected.length} written, in order`);
  for (const pid of killed) assert.ok(interruptedPids('read', '/feed/out').includes(pid), `the read of cat ${pid} was interrupted`);
});

test('how long a reader blocked on /out takes to end after a signal: median and max of 20 (SIGINT, SIGTERM, SIGKILL in turn)', { timeout: 120_000 }, async (t) => {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const sig = SIGNALS[i % 3];
    const cat = await startBlocked(['cat', m.path('out')], 'read', '/out');
    // Let the poll phase of the waiting worker be anywhere.
    await sleep(Math.random() * 25);
    const { ms, exit } = await signalAndTime(cat, sig);
    assert.ok(exit, `trial ${i}: cat still there ${ms.toFixed(0)} ms after ${sig}`);
    times.push(ms);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = (sorted[9] + sorted[10]) / 2;
  const max = sorted[19];
  t.diagnostic(`signal to exit, 20 trials: median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms; all: ${times.map((x) => x.toFixed(0)).join(' ')}`);
  assert.ok(median < 100, `median ${median.toFixed(1)} ms (expected under 100 ms); all: ${times.map((x) => x.toFixed(0)).join(' ')}`);
  assert.ok(max < EXIT_BOUND_MS, `max ${max.toFixed(1)} ms (expected under ${EXIT_BOUND_MS} ms)`);
});
