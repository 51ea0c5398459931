// A seeded mutation fuzzer over the MIDI and WAV parsers, the MIDI slicer and the bars: thousands of cases,
// each may only succeed or throw a typed error (MidiFormatError, WavFormatError, or a RangeError that says what
// was expected), within a bounded heap and time. The cases run in a child process with a 192 MB heap, so one
// that runs away kills that process, and is named by its index (the seed reproduces it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import { SHARED_MIDI } from '../helpers/shared.js';
import { makeWav } from './fuzz-cases.js';
import type { FuzzJob, FuzzReport } from './fuzz-runner.js';

const SEED = 14;
const CASES = 10000;
const BAD = fileURLToPath(new URL('../../../fixtures/midi-bad/', import.meta.url));
/** No case may take longer, nor the worker's heap grow past this. */
const CASE_LIMIT_MS = 2000;
const HEAP_LIMIT_MB = 192;

/** A file like the one that took the mount down: a note held 0x0FFFFFFF ticks at division 1. */
const GIANT_DELTAS = Uint8Array.from([
  0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0, 1, 0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, 18,
  0, 0x90, 60, 100, 0xff, 0xff, 0xff, 0x7f, 0x80, 60, 0, 0xff, 0xff, 0xff, 0x7f, 0xff, 0x2f, 0,
]);

async function seeds(): Promise<{ midi: Uint8Array[]; wav: Uint8Array[] }> {
  const midi: Uint8Array[] = [GIANT_DELTAS];
  for (const name of ['pitchBendTest', 'beat', 'bach_format0', 'TheEntertainer']) midi.push(await readFile(`${SHARED_MIDI}/${name}.mid`));
  const wav: Uint8Array[] = [
    makeWav({ rate: 8000, channels: 1, bits: 8, frames: 200 }),
    makeWav({ rate: 44100, channels: 2, bits: 16, frames: 300 }),
    makeWav({ rate: 48000, channels: 2, bits: 24, frames: 250, extensible: true }),
    makeWav({ rate: 96000, channels: 1, bits: 32, float: true, frames: 400 }),
    makeWav({ rate: 22050, channels: 4, bits: 32, frames: 120 }),
  ];
  for (const name of await readdir(BAD)) (name.endsWith('.mid') ? midi : wav).push(await readFile(BAD + name));
  return { midi, wav };
}

test(`fuzz: ${CASES} mutated MIDI and WAV inputs through parse, bars, steps, slice and conversion: typed errors only`, async () => {
  const child = fork(fileURLToPath(new URL('./fuzz-runner.js', import.meta.url)), {
    execArgv: [`--max-old-space-size=${HEAP_LIMIT_MB}`],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  const crashes: Extract<FuzzReport, { kind: 'crash' }>[] = [];
  let current = -1;
  let startedAt = performance.now();
  let done: Extract<FuzzReport, { kind: 'done' }> | undefined;
  const t0 = performance.now();
  const ended = new Promise<string | null>((resolve) => {
    const watchdog = setInterval(() => {
      if (performance.now() - startedAt > CASE_LIMIT_MS * 5) {
        clearInterval(watchdog);
        child.kill('SIGKILL');
        resolve(`case ${current} ran for more than ${CASE_LIMIT_MS * 5} ms`);
      }
    }, 200);
    child.on('message', (report: FuzzReport) => {
      if (report.kind === 'case') {
        current = report.index;
        startedAt = performance.now();
      } else if (report.kind === 'crash') {
        crashes.push(report);
      } else {
        done = report;
      }
    });
    child.on('exit', (code, signal) => {
      clearInterval(watchdog);
      resolve(code === 0 ? null : `case ${current}: the fuzz process ended (${signal ?? `exit ${code}`}): ${stderr.split('\n').filter(Boolean).slice(0, 3).join(' | ')}`);
    });
  });
  child.send({ seed: SEED, cases: CASES, ...(await seeds()) } satisfies FuzzJob);
  const death = await ended;
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(death, null);
  // One line per distinct fault (its message and where it was thrown), with the first case that hit it.
  const faults = new Map<string, string>();
  for (const c of crashes) {
    const [message, where] = c.error.split('\n').map((l) => l.trim());
    const key = `${c.target}: ${message} ${where}`;
    if (!faults.has(key)) faults.set(key, `${key} (case ${c.index}, input ${c.input.slice(0, 160)})`);
  }
  assert.deepEqual([...faults.values()], [], `${crashes.length} cases crashed`);
  assert.ok(done, 'the worker finished every case');
  const total = Object.values(done.outcomes).reduce((a, b) => a + b, 0);
  console.log(`# fuzz: ${total} cases in ${seconds.toFixed(1)} s; ${JSON.stringify(done.outcomes)}; slowest case ${done.slowest.index}: ${done.slowest.ms.toFixed(0)} ms; external memory at most ${done.maxExternalMb.toFixed(1)} MB`);
  assert.equal(total, CASES);
  assert.ok(done.slowest.ms < CASE_LIMIT_MS, `case ${done.slowest.index} took ${done.slowest.ms.toFixed(0)} ms`);
  assert.ok(done.maxExternalMb < 256, `buffers reached ${done.maxExternalMb.toFixed(0)} MB`);
  // The cases reach past the parsers: many inputs parse and are sliced or converted, many are refused.
  for (const outcome of ['midi-ok', 'midi-MidiFormatError', 'wav-ok', 'wav-WavFormatError']) {
    assert.ok((done.outcomes[outcome] ?? 0) >= CASES / 50, `${outcome}: ${done.outcomes[outcome] ?? 0} cases`);
  }
});
