// One junction between two processes: the JavaScript relay (pump.ts into a StdinTarget, as chain-run does) against
// the kernel pump (SpliceJunction on Node's stdio sockets; KernelPump on real pipes) and against the shell.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { KernelPump, kernelPumpAvailable, kernelPumpProblem, makePipe } from '../lib/procchain/kernel-pump.js';
import { pump } from '../lib/procchain/pump.js';
import { SpliceJunction } from '../lib/procchain/splice-junction.js';
import { StdinTarget } from '../lib/procchain/target.js';

const GiB = 1024 * 1024 * 1024;
const BYTES = Number(process.env.SPLICE_BENCH_BYTES ?? GiB);
const RUNS = Number(process.env.SPLICE_BENCH_RUNS ?? 3);
const WRITER = ['head', '-c', String(BYTES), '/dev/zero'];
const READER = ['wc', '-c'];

interface Run { seconds: number; cpu: number; bytes: number }

/** Seconds, this process's CPU seconds (every thread), and the byte count the reader printed. */
async function timed(f: () => Promise<string>): Promise<Run> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await f();
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { seconds, cpu: (c.user + c.system) / 1e6, bytes: Number(out.trim()) };
}

function output(child: ChildProcess): Promise<string> {
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve, reject) => child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`)))));
}

function shell(command: string): Promise<string> {
  return output(spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'inherit'] }));
}

/** WRITER -> Node -> READER, with `connect` joining the writer's stdout to the reader's stdin. */
function throughNode(connect: (src: Readable, dst: Writable) => void): Promise<string> {
  const a = spawn(WRITER[0], WRITER.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  const b = spawn(READER[0], READER.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  b.stdin!.on('error', () => undefined);
  connect(a.stdout!, b.stdin!);
  return output(b);
}

function jsRelay(src: Readable, dst: Writable): void {
  const target = new StdinTarget(dst);
  pump(src, { targets: () => [target], onEnd: () => target.end() });
}

function kernelJunction(src: Readable, dst: Writable): void {
  jsRelay(src, dst);
  const j = new SpliceJunction(src, dst);
  const engage = () => { if (!j.engage()) setImmediate(engage); };
  engage();
}

/** WRITER and READER on real pipes, a KernelPump between. */
async function kernelPipes(): Promise<string> {
  const p = makePipe();
  const q = makePipe();
  const a = spawn(WRITER[0], WRITER.slice(1), { stdio: ['ignore', p.write, 'inherit'] });
  const b = spawn(READER[0], READER.slice(1), { stdio: [q.read, 'pipe', 'inherit'] });
  closeSync(p.write);
  closeSync(q.read);
  const k = KernelPump.start(p.read, q.write);
  const out = output(b);
  await k.finished;
  k.stop();
  closeSync(p.read);
  closeSync(q.write);
  await new Promise((r) => a.exitCode !== null ? r(0) : a.once('exit', r));
  return out;
}

const cases: Array<[string, () => Promise<string>]> = [
  ['shell: `head \\| wc` (one pipe)', () => shell(`${WRITER.join(' ')} | ${READER.join(' ')}`)],
  ['shell: `head \\| cat \\| wc` (a relay process)', () => shell(`${WRITER.join(' ')} | cat | ${READER.join(' ')}`)],
  ['audiofs JS relay (pump.ts, StdinTarget)', () => throughNode(jsRelay)],
];
if (kernelPumpAvailable()) {
  cases.push(['kernel pump: SpliceJunction on Node stdio (sockets)', () => throughNode(kernelJunction)]);
  cases.push(['kernel pump: KernelPump on real pipes', kernelPipes]);
} else {
  console.log(`(no kernel pump here: ${kernelPumpProblem()})\n`);
}

const results = new Map<string, Run[]>(cases.map(([n]) => [n, []]));
for (let i = 0; i < RUNS; i++) {
  for (const [name, f] of cases) {
    const r = await timed(f);
    if (r.bytes !== BYTES) throw new Error(`${name}: ${r.bytes} bytes, expected ${BYTES}`);
    results.get(name)!.push(r);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const catRelay = median(results.get(cases[1][0])!.map((r) => r.seconds));
console.log(`${(BYTES / GiB).toFixed(2)} GiB of zeros, medians of ${RUNS} interleaved runs; CPU is this Node process's (all its threads).\n`);
console.log('| path | time | MB/s | vs `cat` relay | Node CPU s per GB |');
console.log('|---|---|---|---|---|');
for (const [name] of cases) {
  const rs = results.get(name)!;
  const s = median(rs.map((r) => r.seconds));
  const cpu = median(rs.map((r) => r.cpu)) / (BYTES / 1e9);
  console.log(`| ${name} | ${s.toFixed(2)} s | ${(BYTES / 1e6 / s).toFixed(0)} | ${(catRelay / s).toFixed(2)} | ${name.startsWith('shell') ? '-' : cpu.toFixed(2)} |`);
}
