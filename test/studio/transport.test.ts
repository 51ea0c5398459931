// The transport without a mount: a Project with real chains in export mode (faster than real time), /out read from the outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '../../lib/base/logger.js';
import { Project } from '../../lib/studio/project.js';
import { transportLines } from '../../lib/studio/project-text.js';
import { FIXTURE_BIN, ROOT, run } from '../helpers/mount.js';

const RAW = ['-t', 'raw', '-r', '44100', '-e', 'signed', '-b', '16', '-c', '2'];

const SECOND = 44100 * 4;

/** A project in export mode with chains made by `lines`; shut down after `body`. */
async function withProject(lines: string[], body: (project: Project, log: string[]) => Promise<void>): Promise<void> {
  const log: string[] = [];
  const logger = new Logger({ level: 'debug', now: () => new Date(0), echo: (l) => log.push(l) });
  const path = [FIXTURE_BIN, process.env.PATH ?? '/usr/bin:/bin', join(ROOT, 'bin')].join(':');
  const project = new Project({ format: { rate: 44100, channels: 2 }, logger, cwd: ROOT, path, env: { ...process.env, PATH: path } });
  try {
    await project.execRootLine('realtime off');
    for (const line of lines) await project.execRootLine(line);
    await body(project, log);
  } finally {
    await project.shutdown();
  }
}

/** A ramp of stereo frames, distinct at every position (so any shift shows). */
function ramp(frames: number): Buffer {
  const b = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    b.writeInt16LE(((i * 37) % 20000) - 10000, i * 4);
    b.writeInt16LE(((i * 53) % 20000) - 10000, i * 4 + 2);
  }
  return b;
}

/** Plays and reads /out (the mix) from before play to its end, bounded in time (a hang, not a speed figure). */
async function playAndReadOut(project: Project, ms = 30_000): Promise<Buffer> {
  const reader = project.outputs.out.openReader();
  await project.execRootLine('play');
  const parts: Buffer[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), Math.max(0, deadline - Date.now()));
    const b = await reader.read(1 << 20, ac.signal).finally(() => clearTimeout(timer)).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`/out did not end within ${ms} ms (${Buffer.concat(parts).length} bytes read): ${err.code}`);
    });
    if (b === null) return Buffer.concat(parts);
    parts.push(b);
  }
}

test('play in export mode: /out is the mix of every chain from the same frame, and the transport stops at the end', async () => {
  const input = ramp(3 * 44100);
  await withProject(['a cat', 'b cat'], async (project, log) => {
    project.chains.get('a')!.input.write(0, input);
    project.chains.get('b')!.input.write(0, input.subarray(0, 2 * SECOND));
    const out = await playAndReadOut(project);
    const want = Buffer.alloc(input.length);
    for (let i = 0; i < input.length; i += 2) {
      const v = input.readInt16LE(i) + (i < 2 * SECOND ? input.readInt16LE(i) : 0);
      want.writeInt16LE(Math.max(-32768, Math.min(32767, v)), i);
    }
    assert.equal(out.length, want.length);
    assert.ok(out.equals(want), 'the mix of a and b, sample for sample');
    assert.deepEqual({ transport: project.transport.status().transport, warnings: log.filter((l) => / (warn|error) /.test(l)) }, { transport: 'stopped', warnings: [] });
  });
});

test('seek 1.5 then play: the mix starts at byte secondsToBytes(1.5) of the input', async () => {
  const input = ramp(3 * 44100);
  await withProject(['a cat'], async (project) => {
    project.chains.get('a')!.input.write(0, input);
    await project.execRootLine('seek 1.5');
    const out = await playAndReadOut(project);
    assert.equal(out.length, input.length - 1.5 * SECOND);
    assert.ok(out.equals(input.subarray(1.5 * SECOND)));
  });
});

test('a chain and its inverse cancel in the mix (the rendezvous holds without a clock)', async () => {
  const input = ramp(2 * 44100);
  await withProject(['p cat', 'n sox -D -q -t raw -r 44100 -e signed -b 16 -c 2 - -t raw -r 44100 -e signed -b 16 -c 2 - vol -1'], async (project) => {
    project.chains.get('p')!.input.write(0, input);
    project.chains.get('n')!.input.write(0, input);
    const out = await playAndReadOut(project);
    assert.equal(out.length, input.length);
    let peak = 0;
    for (let i = 0; i < out.length; i += 2) peak = Math.max(peak, Math.abs(out.readInt16LE(i)));
    assert.equal(peak, 0, 'a signal plus its inverse is silence, sample for sample');
    assert.ok(project.chains.get('p')!.out.written === input.length && project.chains.get('n')!.out.written === input.length, 'both chains played all of it');
  });
});

/** Runs `export FILE [A B]` and waits (bounded) for the job to end; the file's bytes and the log's done line. */
async function exportAndWait(project: Project, log: string[], file: string, region = '', ms = 30_000): Promise<{ bytes: Buffer; done: string[] }> {
  await project.execRootLine(`export ${file}${region ? ` ${region}` : ''}`);
  const deadline = Date.now() + ms;
  while (project.transport.exportJob?.state === 'rendering') {
    if (Date.now() > deadline) throw new Error(`export ${file} did not end within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { bytes: await readFile(file), done: log.filter((l) => l.includes(`export ${file}: done`)).map((l) => l.trim().replace(/^.*?export /, 'export ')) };
}

test('export with a loop and steps set renders the song once, ends by itself and leaves the transport stopped (the same bytes as a plain export)', async () => {
  const input = ramp(3 * 44100);
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-export-loop-'));
  try {
    await withProject(['a cat', 'b cat | cat'], async (project, log) => {
      project.chains.get('a')!.input.write(0, input);
      project.chains.get('b')!.input.write(0, input.subarray(0, 2 * SECOND));
      const plain = await exportAndWait(project, log, join(dir, 'plain.raw'));
      await project.execRootLine('loop 0.5 1.5');
      await project.execRootLine('steps 1');
      const looped = await exportAndWait(project, log, join(dir, 'looped.raw'));
      // `step N` plays its step at once (and turns the loop off): the export after it stops that pass first.
      await project.execRootLine('step 1');
      await project.execRootLine('loop 0.5 1.5');
      const stepped = await exportAndWait(project, log, join(dir, 'stepped.raw'));
      const starts = log.filter((l) => / playing from /.test(l)).length;
      // Nothing runs after the exports: no pass restarts in the next second.
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual({
        plain: plain.bytes.length,
        looped: looped.bytes.equals(plain.bytes),
        stepped: stepped.bytes.equals(plain.bytes),
        done: [...plain.done, ...looped.done, ...stepped.done],
        transport: project.transport.status().transport,
        mode: project.transport.status().mode,
        loop: project.transport.status().loop,
        passesAfter: log.filter((l) => / playing from /.test(l)).length - starts,
      }, {
        plain: input.length,
        looped: true,
        stepped: true,
        done: [`export ${join(dir, 'plain.raw')}: done, 3.000 s rendered`, `export ${join(dir, 'looped.raw')}: done, 3.000 s rendered`, `export ${join(dir, 'stepped.raw')}: done, 3.000 s rendered`],
        transport: 'stopped',
        mode: 'export',
        loop: '0.5 1.5',
        passesAfter: 0,
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a region export logs and writes the region\'s length, and its bytes are the full export trimmed by sox', async () => {
  const input = ramp(4 * 44100);
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-export-region-'));
  try {
    await withProject(['a cat'], async (project, log) => {
      project.chains.get('a')!.input.write(0, input);
      const full = join(dir, 'full.raw');
      await exportAndWait(project, log, full);
      const results: Record<string, unknown> = {};
      const want: Record<string, unknown> = {};
      for (const [from, to] of [[1, 2], [0.5, 3.25], [3.5, 10]]) {
        const file = join(dir, `region-${from}-${to}.raw`);
        const { bytes, done } = await exportAndWait(project, log, file, `${from} ${to}`);
        const seconds = Math.min(to, 4) - from;
        const trimmed = await run('sox', [...RAW, full, ...RAW, '-', 'trim', `${from}`, `${seconds}`], { encoding: 'buffer', maxBuffer: 1 << 26 });
        results[`${from}-${to}`] = { done, length: bytes.length, same: bytes.equals(trimmed.stdout as unknown as Buffer) };
        want[`${from}-${to}`] = { done: [`export ${file}: done, ${seconds.toFixed(3)} s rendered`], length: seconds * SECOND, same: true };
      }
      assert.deepEqual(results, want);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** The largest difference in s16 steps between two s16le buffers of the same length. */
function maxDiff(a: Buffer, b: Buffer): number {
  let d = 0;
  for (let i = 0; i < a.length; i += 2) d = Math.max(d, Math.abs(a.readInt16LE(i) - b.readInt16LE(i)));
  return d;
}

test('a WAV input is converted once for every pass (loop wraps, exports) and again only when it changes; the audio is sox\'s conversion', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-wav-once-'));
  try {
    await withProject(['a cat'], async (project, log) => {
      const first = join(dir, 'first.wav');
      const second = join(dir, 'second.wav');
      await run('sox', ['-D', '-q', '-n', '-r', '48000', '-c', '2', '-b', '16', first, 'synth', '3', 'sine', '440', 'sine', '1000', 'gain', '-3', 'fade', '0.02', '3', '0.02']);
      // (Faded in and out: at the very edges sox's resampler and ours differ by design, not by error.)
      await run('sox', ['-D', '-q', '-n', '-r', '22050', '-c', '1', '-b', '24', second, 'synth', '2', 'sine', '300', 'gain', '-3', 'fade', '0.02', '2', '0.02']);
      const oracle = async (wav: string, effects: string[]) => (await run('sox', ['-D', wav, ...RAW, '-', ...effects], { encoding: 'buffer', maxBuffer: 1 << 26 })).stdout as unknown as Buffer;
      const conversions = () => log.filter((l) => /\/a\/in: converting the WAV input/.test(l)).length;
      const input = project.chains.get('a')!.input;
      input.write(0, await readFile(first));
      await project.execRootLine('loop 1 2');
      await project.execRootLine('play');
      const passes = () => log.filter((l) => / playing from /.test(l)).length;
      const deadline = Date.now() + 30_000;
      while (passes() < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await project.execRootLine('stop');
      await project.execRootLine('loop off');
      const region = await exportAndWait(project, log, join(dir, 'region.raw'), '0.5 3');
      // sox converts the whole file, then the region is cut (sox's own trim would cut before its rate effect).
      const want = (await oracle(first, [])).subarray(0.5 * SECOND);
      const before = { passes: passes() >= 5, conversions: conversions(), length: region.bytes.length, diff: maxDiff(region.bytes, want) };
      await input.truncate(0);
      input.write(0, await readFile(second));
      const whole = await exportAndWait(project, log, join(dir, 'whole.raw'));
      const want2 = await oracle(second, []);
      assert.deepEqual({ before, after: { conversions: conversions(), length: whole.bytes.length, diff: maxDiff(whole.bytes, want2) <= 3 } }, {
        before: { passes: true, conversions: 1, length: want.length, diff: before.diff <= 3 ? before.diff : -1 },
        after: { conversions: 2, length: want2.length, diff: true },
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an export with realtime on renders in export mode without touching the setting: the same bytes as with realtime off, and realtime still on after', async () => {
  const input = ramp(2 * 44100);
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-export-mode-'));
  try {
    await withProject(['a cat'], async (project, log) => {
      project.chains.get('a')!.input.write(0, input);
      const off = await exportAndWait(project, log, join(dir, 'off.raw'));
      await project.execRootLine('realtime on');
      const on = await exportAndWait(project, log, join(dir, 'on.raw'), '0.5 1.5');
      const exportPasses = log.filter((l) => / playing from .*\(export\)$/.test(l.trim())).length;
      assert.deepEqual({
        on: on.bytes.equals(off.bytes.subarray(0.5 * SECOND, 1.5 * SECOND)),
        done: on.done,
        exportPasses,
        mode: project.transport.status().mode,
        realtime: project.transport.plan.realtime,
        saved: transportLines(project),
      }, {
        on: true,
        done: [`export ${join(dir, 'on.raw')}: done, 1.000 s rendered`],
        exportPasses: 2,
        mode: 'realtime',
        realtime: true,
        saved: [],
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the mode setting changed during an export is kept after it: realtime on is refused (the export pass runs in export mode), realtime off is taken and stays', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-export-setting-'));
  try {
    await withProject(['a slow-writer'], async (project) => {
      await project.execRootLine('realtime on');
      // slow-writer gives 5 bytes every 0.2 s: the 1 s region would take hours, so the export is still rendering.
      await project.execRootLine(`export ${join(dir, 'never.raw')} 0 1`);
      const during = project.transport.status();
      const refused = await project.execRootLine('realtime on').then(() => 'taken', (err: Error & { code?: string }) => err.code);
      await project.execRootLine('realtime off');
      await project.execRootLine('stop');
      const deadline = Date.now() + 10_000;
      while (project.transport.exportJob?.state === 'rendering' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual({
        during: { transport: during.transport, mode: during.mode },
        refused,
        job: project.transport.exportJob?.state,
        after: project.transport.status().mode,
        setting: project.transport.plan.realtime,
        saved: transportLines(project),
      }, {
        during: { transport: 'playing', mode: 'export' },
        refused: 'EBUSY',
        job: 'stopped',
        after: 'export',
        setting: false,
        saved: ['realtime off'],
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a play forks its chains in turns of the event loop: what waits is served between two chains, not after every fork', async () => {
  // A fork holds the thread while the kernel copies the page tables: a play of 50 chains of 3 stages held every
  // FUSE request of the mount for 0.42 s when every stage was forked back to back.
  const lines = Array.from({ length: 20 }, (_, i) => `c${i} cat | cat | cat`);
  await withProject(lines, async (project) => {
    for (const chain of project.chains.values()) chain.input.write(0, Buffer.alloc(4 * 512));
    let last = performance.now();
    let longest = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      ticks++;
    }, 1);
    try {
      const t0 = performance.now();
      last = t0;
      await project.execRootLine('play');
      const total = performance.now() - t0;
      longest = Math.max(longest, performance.now() - last);
      assert.ok(longest < total / 2, `the longest the thread was held while 20 chains started: ${longest.toFixed(1)} ms of ${total.toFixed(1)} ms (${ticks} timer ticks between); expected under half`);
      for (const c of project.chains.values()) for (const s of c.stages) assert.ok(s.proc?.pid, `${c.name}/${s.name} started`);
    } finally {
      clearInterval(timer);
    }
  });
});

test('a chain removed while a play starts the chains before it is not started: no process of it is left running', async () => {
  const lines = Array.from({ length: 10 }, (_, i) => `c${i} sleep 30`);
  await withProject(lines, async (project) => {
    const lastChain = project.chains.get('c9')!;
    const playing = project.execRootLine('play');
    // The first chain's turn has come; the last one's has not.
    await new Promise((r) => setImmediate(r));
    await project.removeChain(lastChain);
    await playing;
    assert.equal(lastChain.stages[0].proc, undefined, 'its stage was never started');
    assert.equal(lastChain.run?.ended ?? true, true, 'its run, if it had one, has ended');
    assert.ok(project.chains.get('c0')!.stages[0].proc?.pid, 'the chains still there started');
    await project.execRootLine('stop');
  });
});
