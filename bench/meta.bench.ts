// Small operations on the mount against the same tree on tmpfs, side by side in one run: `ls -R`, stat,
// open+read+close of /status, and the latency of a ctl line that makes a chain, for projects of 50 and 1,000
// chains of 3 stages. A ctl line is acknowledged once the project is saved and fsynced: its latency is measured
// with the state directory on the disk (as deployed) and again on tmpfs (the mount's own work, without the
// disk's fsync). A p99 needs hundreds of lines: a project of 50 chains is built in as many fresh mounts as 500
// lines take (11), and the first line after each mount (the mount's code run for the first time) is reported on
// its own. Lines are written by a small C client (bench/ctl-lines.c), as a shell writes them. The bench process
// is not the one serving the mount, so synchronous calls are safe here.
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountAudiofs, ROOT, type TestMount } from '../test/helpers/mount.js';
import { mountHelloFuse } from './hello-fuse.js';
import { quantile } from './stats.js';

const SIZES = (process.env.META_CHAINS ?? '50,1000').split(',').map(Number);
const SECONDS = Number(process.env.META_SECONDS ?? 1.5);
const STAT_PATHS = 1000;
const chainLine = (i: number) => `c${i} audiofs-tone ${200 + i} | audiofs-filter -low 2000 | audiofs-fx -gain -3`;
const STREAMS = new Set(['out', 'stream.mp3']);

/** Calls of `f` per second, over at least SECONDS and 3 calls. */
function rate(f: () => void): number {
  const start = performance.now();
  let n = 0;
  while (n < 3 || performance.now() - start < SECONDS * 1000) {
    f();
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

/** p50 and p99 of the times of each call of `f` (ms), over SECONDS. */
function latencies(f: () => void, max = 100_000): number[] {
  const ms: number[] = [];
  const start = performance.now();
  while (ms.length < 3 || (performance.now() - start < SECONDS * 1000 && ms.length < max)) {
    const t = performance.now();
    f();
    ms.push(performance.now() - t);
  }
  return ms;
}

/** Every path under `dir` (depth first, as readdir gives them). */
function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) walk(p, out);
  }
  return out;
}

/** The same tree on tmpfs: directories, and files of the same sizes (/status with the same text). */
function mirror(m: TestMount, paths: string[], into: string): void {
  for (const p of paths) {
    const rel = p.slice(m.dir.length);
    const st = statSync(p);
    if (st.isDirectory()) mkdirSync(join(into, rel), { recursive: true });
    else writeFileSync(join(into, rel), STREAMS.has(rel.split('/').pop()!) ? '' : Buffer.alloc(st.size, 'x'));
  }
  writeFileSync(join(into, 'status'), readFileSync(m.path('status')));
}

const buffers = new Map<number, Buffer>();
/**
 * Reads a file to its end as `cat` does (coreutils' io_blksize): reads of max(st_blksize, 128 KiB). The mount
 * gives /status an st_blksize of 1 MiB (one FUSE request a read); tmpfs gives 4 KiB, so 128 KiB there.
 */
function readWhole(path: string): void {
  const fd = openSync(path, 'r');
  try {
    const size = Math.max(fstatSync(fd).blksize, 128 * 1024);
    let buf = buffers.get(size);
    if (!buf) buffers.set(size, (buf = Buffer.alloc(size)));
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

const f0 = (n: number) => n.toFixed(0);
const f2 = (n: number) => n.toFixed(2);
/**
 * The ctl-line client (bench/ctl-lines.c): a shell's `echo LINE >> ctl`, timed, in C. A Node client compiled
 * its own loop on another thread now and then, and the mount's threads waited for the CPU that held: the
 * client's JIT in the mount's figures.
 */
const CLIENT_DIR = mkdtempSync(join(tmpdir(), 'audiofs-meta-client-'));
const CLIENT = join(CLIENT_DIR, 'ctl-lines');
{
  const built = spawnSync('gcc', ['-O2', '-o', CLIENT, join(ROOT, 'bench/ctl-lines.c')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`bench/ctl-lines.c did not build: ${built.stderr}`);
}

/** Appends each of `lines` to `ctl` as `echo LINE >> ctl` does; the ms each took. */
function timedLines(ctl: string, lines: string[]): number[] {
  const r = spawnSync(CLIENT, [ctl], { input: lines.map((l) => `${l}\n`).join(''), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`ctl-lines ${ctl}: exit ${r.status}: ${r.stderr}`);
  const ms = r.stdout.trim().split('\n').map(Number);
  if (ms.length !== lines.length) throw new Error(`ctl-lines ${ctl}: ${ms.length} lines timed of ${lines.length}`);
  return ms;
}

/** Makes `chains` chains by ctl lines, each timed, as the project grows. */
function makeChains(m: TestMount, chains: number): number[] {
  return timedLines(m.path('ctl'), Array.from({ length: chains }, (_, i) => chainLine(i + 1)));
}

/** How many ctl lines are timed at least, for each project size (the first line after each mount apart). */
const CTL_SAMPLES = 500;
interface Builds { first: number[]; rest: number[]; beyond: number[] }

/**
 * Makes a project of `chains` chains by ctl lines in fresh mounts (as many as it takes for CTL_SAMPLES lines), the
 * state directory on tmpfs or on the disk; the mount of the last build is kept open when `keep` (and returned).
 */
async function buildProjects(chains: number, where: 'disk' | 'tmpfs', keep: boolean): Promise<{ builds: Builds; mount?: TestMount }> {
  const builds: Builds = { first: [], rest: [], beyond: [] };
  const count = Math.max(1, Math.ceil(CTL_SAMPLES / Math.max(1, chains - 1)));
  for (let b = 0; b < count; b++) {
    const state = where === 'tmpfs' ? mkdtempSync('/dev/shm/audiofs-meta-state-') : undefined;
    const m = await mountAudiofs(state ? { env: { XDG_STATE_HOME: state } } : {});
    let kept = false;
    try {
      const ms = makeChains(m, chains);
      builds.first.push(ms[0]);
      builds.rest.push(...ms.slice(1));
      if (chains > 50) {
        // CTL_SAMPLES more lines in a project of `chains` chains and more (the same mount, warmed up by the
        // build), then those chains removed again, so the tree measured next has `chains` chains.
        const more = Array.from({ length: CTL_SAMPLES }, (_, i) => chainLine(chains + 1 + i));
        builds.beyond.push(...timedLines(m.path('ctl'), more));
        for (let i = chains + 1; i <= chains + CTL_SAMPLES; i++) rmSync(m.path(`c${i}`), { recursive: true });
      }
      if (keep && b === count - 1) {
        kept = true;
        return { builds, mount: m };
      }
    } finally {
      if (!kept) await m.close();
      if (state) rmSync(state, { recursive: true, force: true });
    }
  }
  return { builds };
}

const rows: string[] = [];
for (const chains of SIZES) {
  // The state directory on tmpfs: what a ctl line costs the mount, without the disk.
  const { builds: onShm } = await buildProjects(chains, 'tmpfs', false);
  const { builds: onDisk, mount } = await buildProjects(chains, 'disk', true);
  const m = mount!;
  const shm = mkdtempSync('/dev/shm/audiofs-meta-');
  try {
    const paths = walk(m.dir);
    mirror(m, paths, shm);
    const shmPaths = walk(shm);
    const pick = (ps: string[]) => Array.from({ length: STAT_PATHS }, (_, i) => ps[(i * 7919) % ps.length]);
    const ours = pick(paths);
    const theirs = pick(shmPaths);
    const ls = (dir: string) => () => {
      const r = spawnSync('ls', ['-R', dir], { stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`ls -R ${dir}: exit ${r.status}`);
    };
    const statAll = (ps: string[]) => () => { for (const p of ps) statSync(p); };
    const lsOurs = rate(ls(m.dir));
    const lsBase = rate(ls(shm));
    const statOurs = rate(statAll(ours)) * STAT_PATHS;
    const statBase = rate(statAll(theirs)) * STAT_PATHS;
    const statusOurs = latencies(() => readWhole(m.path('status')));
    const statusBase = latencies(() => readWhole(join(shm, 'status')));
    const statusBytes = statSync(m.path('status')).size;
    const row = (what: string, a: string, b: string, ratio: string, goal: string) => rows.push(`| ${chains} | ${what} | ${a} | ${b} | ${ratio} | ${goal} |`);
    row(`\`ls -R\` (${paths.length} entries), per s`, f0(lsOurs), f0(lsBase), f2(lsOurs / lsBase), chains === 50 ? '≥ 100/s' : '');
    row(`\`stat\` of ${STAT_PATHS} paths, per s`, f0(statOurs), f0(statBase), f2(statOurs / statBase), '≥ 50,000/s');
    row(`open+read+close \`/status\` (${(statusBytes / 1024).toFixed(0)} KiB), per s`, f0(1000 / mean(statusOurs)), f0(1000 / mean(statusBase)), f2(mean(statusBase) / mean(statusOurs)), '');
    row('open+read+close `/status`, p50 / p99 ms', `${f2(quantile(statusOurs, 0.5))} / ${f2(quantile(statusOurs, 0.99))}`, `${f2(quantile(statusBase, 0.5))} / ${f2(quantile(statusBase, 0.99))}`, '', 'p50 < 1 ms');
    const builds = onDisk.first.length;
    const lines = (b: Builds) => `${f2(quantile(b.rest, 0.5))} / ${f2(quantile(b.rest, 0.99))}`;
    const beyond = (b: Builds) => `${f2(quantile(b.beyond, 0.5))} / ${f2(quantile(b.beyond, 0.99))}`;
    const what = builds > 1 ? `${builds} projects built, ${onDisk.rest.length} lines` : `${onDisk.rest.length} lines`;
    row(`ctl line making a chain, lines 2-${chains} (${what}), state on disk: p50 / p99 ms`, lines(onDisk), '-', '', 'p99 < 2 ms');
    if (chains > 50) row(`ctl line making a chain, ${CTL_SAMPLES} more lines at ${chains}-${chains + CTL_SAMPLES} chains, state on disk: p50 / p99 ms`, beyond(onDisk), '-', '', 'p99 < 2 ms');
    row(`ctl line making a chain, lines 2-${chains}, state on tmpfs: p50 / p99 ms`, lines(onShm), '-', '', 'p99 < 2 ms');
    if (chains > 50) row(`ctl line making a chain, ${CTL_SAMPLES} more lines at ${chains}-${chains + CTL_SAMPLES} chains, state on tmpfs: p50 / p99 ms`, beyond(onShm), '-', '', 'p99 < 2 ms');
    const firsts = [...onDisk.first, ...onShm.first];
    row(`the first ctl line after a mount (${firsts.length} mounts): median / max ms`, `${f2(quantile(firsts, 0.5))} / ${f2(Math.max(...firsts))}`, '-', '', '');
  } finally {
    rmSync(shm, { recursive: true, force: true });
    await m.close();
  }
}
rows.push(...await roundTripFloor());
console.log('Small operations: the mount (N chains of 3 stages, transport stopped) against the same tree on tmpfs (/dev/shm), in the same run.');
console.log('Rates over at least ' + SECONDS + ' s each; `ls -R` spawns ls each time; stat and /status use synchronous calls from the bench process; /status is read as `cat` reads it (reads of max(st_blksize, 128 KiB)).\n');
console.log('| chains | operation | audiofs | tmpfs | audiofs / tmpfs | goal |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
rmSync(CLIENT_DIR, { recursive: true, force: true });

/** An empty line appended (open O_APPEND, write, close) `n` times, by the ctl-line client: ms each. */
function emptyLines(path: string, n = 3000): number[] {
  return timedLines(path, Array<string>(n).fill(''));
}

/**
 * The same 4 requests (open, write, flush, release) that change nothing, on the mount's /ctl and on libfuse's
 * own C example built here (bench/hello-fuse.c): what a FUSE round trip costs on this machine without JavaScript.
 */
async function roundTripFloor(): Promise<string[]> {
  const m = await mountAudiofs();
  try {
    const ours = emptyLines(m.path('ctl'));
    const hello = mountHelloFuse();
    let theirs = hello as string;
    if (typeof hello !== 'string') {
      try {
        const ms = emptyLines(join(hello.mnt, 'ctl'));
        theirs = `${f2(quantile(ms, 0.5))} / ${f2(quantile(ms, 0.99))}`;
      } finally {
        hello.close();
      }
    }
    return [`| - | an empty ctl line (open, write, flush, release: nothing changes), p50 / p99 ms | ${f2(quantile(ours, 0.5))} / ${f2(quantile(ours, 0.99))} | libfuse's C example, the same requests: ${theirs} | | the floor of a ctl line |`];
  } finally {
    await m.close();
  }
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
