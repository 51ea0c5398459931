// The transport without a mount: a Project with real chains in export mode (faster than real time), /out read from the outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Logger } from '../../lib/base/logger.js';
import { Project } from '../../lib/studio/project.js';
import { FIXTURE_BIN, ROOT } from '../helpers/mount.js';

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
