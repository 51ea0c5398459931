// Runs fuzz cases over the MIDI and WAV parsers, the MIDI slicer and the bars, in a child process with a small
// heap (an allocation that runs away ends this process, not the test). Reports each case before running it,
// so a case that hangs or exhausts memory is named.
import { MidiFormatError, noteSpans, readSmf, TempoMap, writeSmf } from '../../lib/midi/smf.js';
import { midiBars, stepCount, stepRegion } from '../../lib/sequencer/bars.js';
import { sliceSmf } from '../../lib/sequencer/midi-slice.js';
import { WavFrameConverter } from '../../lib/sequencer/wav-frames.js';
import { incompleteHeaderError, parseWavHeader, WavFormatError } from '../../lib/sequencer/wav-header.js';
import { planWavRegion } from '../../lib/sequencer/wav-region.js';
import { MIDI_FIELDS, mutate, randomMidi, Rng, WAV_FIELDS } from './fuzz-cases.js';

/** What the test sends. */
export interface FuzzJob {
  seed: number;
  cases: number;
  midi: Uint8Array[];
  wav: Uint8Array[];
}

/** What the worker reports. */
export type FuzzReport =
  | { kind: 'case'; index: number }
  | { kind: 'crash'; index: number; target: string; error: string; input: string }
  | { kind: 'done'; outcomes: Record<string, number>; slowest: { index: number; ms: number }; maxExternalMb: number };

/** Errors that name a fault in the input or an argument out of range: what a parser may throw. */
const TYPED_RANGE = /^(step \d+|steps|writeSmf|sliceMidi): expected /;

function typed(err: unknown): string | null {
  if (err instanceof MidiFormatError) return 'MidiFormatError';
  if (err instanceof WavFormatError) return 'WavFormatError';
  if (err instanceof RangeError && TYPED_RANGE.test(err.message)) return `RangeError(${TYPED_RANGE.exec(err.message)![1].replace(/ \d+$/, '')})`;
  return null;
}

/** Parses, maps, bars, steps, slices and writes back one MIDI input; a slice must read back. */
function midiCase(bytes: Uint8Array, rng: Rng): string {
  const smf = readSmf(bytes);
  const tempoMap = TempoMap.fromSmf(smf);
  noteSpans(smf, tempoMap);
  const bars = midiBars(smf);
  const per = 1 + rng.int(8);
  const steps = stepCount(bars, per);
  for (const n of [1, steps, 1 + rng.int(steps)]) {
    const { from, to } = stepRegion(bars, per, n);
    if (!(from >= 0 && to >= from && Number.isFinite(to))) throw new Error(`step ${n} of ${per} bars: region ${from}..${to}`);
  }
  writeSmf(smf);
  if (smf.format === 2) return 'midi-ok';
  for (let i = 0; i < 2; i++) {
    const from = rng.next() * (bars.end * 1.2 + 1);
    const to = rng.int(3) === 0 ? undefined : from + rng.next() * (bars.end + 1) + 1e-6;
    const slice = sliceSmf(smf, { from, to });
    const again = readSmf(writeSmf(slice));
    if (again.tracks.length !== smf.tracks.length) throw new Error(`a slice read back has ${again.tracks.length} tracks, expected ${smf.tracks.length}`);
    if (to !== undefined && again.tracks.length > 0 && 'ticksPerBeat' in smf.division) {
      // A slice with an end lasts exactly to - from (its end-of-track is there), to within a microsecond a tick.
      const lastTick = Math.max(...again.tracks.map((t) => t.at(-1)?.tick ?? 0));
      const length = TempoMap.fromSmf(again).ticksToSeconds(lastTick);
      if (Math.abs(length - (to - from)) > 1e-6 * Math.max(1, lastTick)) throw new Error(`a slice of ${to - from} s lasts ${length} s`);
    }
  }
  return 'midi-ok';
}

const FORMATS = [{ rate: 44100, channels: 2 }, { rate: 48000, channels: 1 }, { rate: 8000, channels: 2 }];

/** Parses one WAV input and converts a random region of it; the output must have exactly the planned length. */
function wavCase(bytes: Uint8Array, rng: Rng): string {
  const buffer = Buffer.from(bytes);
  const header = parseWavHeader(buffer);
  if (!header) throw incompleteHeaderError(buffer);
  const format = rng.pick(FORMATS);
  const from = rng.int(3) === 0 ? 0 : rng.next() * 0.05;
  const to = rng.int(2) === 0 ? undefined : from + rng.next() * 0.05;
  const plan = planWavRegion(header, buffer.length, { from, to }, format);
  const converter = new WavFrameConverter(header, { format, start: plan.start, outputEnd: plan.outputEnd });
  let bytesOut = 0;
  const emit = (pcm: Buffer) => (bytesOut += pcm.length);
  for (let at = plan.inputFrom; at < plan.inputTo;) {
    const next = Math.min(plan.inputTo, at + 1 + rng.int(4096));
    converter.push(buffer.subarray(at, next), emit);
    at = next;
  }
  converter.flush(emit);
  const expected = (plan.outputEnd - plan.start.output) * format.channels * 2;
  if (bytesOut !== expected) throw new Error(`converted ${bytesOut} bytes, the plan said ${expected}`);
  return 'wav-ok';
}

function report(message: FuzzReport): void {
  process.send!(message);
}

function run(job: FuzzJob): void {
  const outcomes: Record<string, number> = {};
  let slowest = { index: -1, ms: 0 };
  let maxExternalMb = 0;
  for (let index = 0; index < job.cases; index++) {
    report({ kind: 'case', index });
    const rng = new Rng(job.seed * 1_000_003 + index);
    const isMidi = rng.int(2) === 0;
    const input = isMidi
      ? rng.int(4) === 0 ? randomMidi(rng) : mutate(rng.pick(job.midi), rng, MIDI_FIELDS)
      : mutate(rng.pick(job.wav), rng, WAV_FIELDS);
    const t = performance.now();
    let outcome: string;
    try {
      outcome = isMidi ? midiCase(input, rng) : wavCase(input, rng);
    } catch (err) {
      const name = typed(err);
      if (!name) {
        report({
          kind: 'crash', index, target: isMidi ? 'midi' : 'wav',
          error: (err as Error).stack ?? String(err), input: Buffer.from(input).toString('base64'),
        });
        continue;
      }
      outcome = `${isMidi ? 'midi' : 'wav'}-${name}`;
    }
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    const ms = performance.now() - t;
    if (ms > slowest.ms) slowest = { index, ms };
    maxExternalMb = Math.max(maxExternalMb, process.memoryUsage().arrayBuffers / 2 ** 20);
  }
  // The last message is sent once every earlier one has gone; then the channel closes and the process ends.
  process.send!({ kind: 'done', outcomes, slowest, maxExternalMb } satisfies FuzzReport, () => process.disconnect());
}

process.once('message', (job: FuzzJob) => run(job));
