// Test helpers for audiofs-dj: MIDI rendered by timidity, beats from MIDI tempo maps (mido), aubio, and beat scores.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';

const run = promisify(execFile);

/** The shared MIDI fixtures. */
export const MIDI_DIR = SHARED_MIDI;

/** Renders the first `seconds` of a MIDI file to a 44.1 kHz stereo WAV with timidity (time 0 = MIDI time 0). */
export async function renderMidi(mid: string, dir: string, seconds: number): Promise<string> {
  const full = join(dir, `${mid}.full.wav`);
  const out = join(dir, `${mid}.wav`);
  await run('timidity', ['--preserve-silence', '-Ow', '-s', '44100', '-o', full, join(MIDI_DIR, `${mid}.mid`)], { timeout: 120_000 });
  await run('sox', [full, out, 'trim', '0', String(seconds)], { timeout: 120_000 });
  return out;
}

const BEATS_PY = `
import sys, mido
m = mido.MidiFile(sys.argv[1]); limit = float(sys.argv[2]); ppq = m.ticks_per_beat
events = []
for t in m.tracks:
    tick = 0
    for msg in t:
        tick += msg.time
        if msg.type == 'set_tempo': events.append((tick, 0, msg.tempo))
        if msg.type == 'note_on' and msg.velocity > 0: events.append((tick, 1, 0))
events.sort()
first = min(e[0] for e in events if e[1] == 1)
tempos = [(e[0], e[2]) for e in events if e[1] == 0] or [(0, 500000)]
if tempos[0][0] != 0: tempos.insert(0, (0, 500000))
def seconds(tick):
    s = 0.0
    for i, (t0, us) in enumerate(tempos):
        t1 = tempos[i + 1][0] if i + 1 < len(tempos) else None
        if t1 is not None and tick > t1: s += (t1 - t0) * us / 1e6 / ppq
        else: return s + (tick - t0) * us / 1e6 / ppq
k = -(-first // ppq); out = []
while seconds(k * ppq) < limit:
    out.append(round(seconds(k * ppq), 4)); k += 1
print(' '.join(map(str, out)))
print(60e6 / tempos[-1][1] if len(tempos) == 1 else 60 / ((out[-1] - out[0]) / (len(out) - 1)))
`;
import { SHARED_MIDI } from '../helpers/shared.js';

/** Quarter-note beat times (from the first note's beat on) and the tempo, from the MIDI tempo map via /usr/bin/python3 mido. */
export async function midiBeats(mid: string, seconds: number): Promise<{ beats: number[]; tempo: number }> {
  const { stdout } = await run('/usr/bin/python3', ['-c', BEATS_PY, join(MIDI_DIR, `${mid}.mid`), String(seconds)], { timeout: 120_000 });
  const [beats, tempo] = stdout.trim().split('\n');
  return { beats: beats.split(' ').map(Number), tempo: Number(tempo) };
}

/** aubiotrack's beat times for a file. */
export async function aubioBeats(file: string): Promise<number[]> {
  const { stdout } = await run('aubiotrack', ['-i', file], { timeout: 120_000 });
  return stdout.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** aubio's tempo estimate for a file, in BPM. */
export async function aubioTempo(file: string): Promise<number> {
  const { stdout } = await run('aubio', ['tempo', '-i', file], { timeout: 120_000 });
  return parseFloat(stdout);
}

function fOnce(est: number[], ref: number[], tol: number): number {
  if (!est.length || !ref.length) return 0;
  const used = new Set<number>();
  let hits = 0;
  for (const r of ref) {
    let best = -1;
    for (let i = 0; i < est.length; i++) if (!used.has(i) && Math.abs(est[i] - r) <= tol && (best < 0 || Math.abs(est[i] - r) < Math.abs(est[best] - r))) best = i;
    if (best >= 0) { used.add(best); hits++; }
  }
  const p = hits / est.length;
  const r = hits / ref.length;
  return p + r ? (2 * p * r) / (p + r) : 0;
}

/** Beat F-measure at +-tol seconds, the best of the annotation, its double and its two halves. */
export function beatFMeasure(est: number[], ref: number[], tol = 0.07): number {
  const double = ref.flatMap((b, i) => (i + 1 < ref.length ? [b, (b + ref[i + 1]) / 2] : [b]));
  const halfA = ref.filter((_, i) => i % 2 === 0);
  const halfB = ref.filter((_, i) => i % 2 === 1);
  return Math.max(...[ref, double, halfA, halfB].map((r) => fOnce(est, r, tol)));
}

/** Relative tempo error, allowing double and half tempo. */
export function tempoError(est: number, ref: number): number {
  return Math.min(...[1, 2, 0.5].map((k) => Math.abs(est * k - ref) / ref));
}

/** Runs a command (killed after two minutes) and returns its stdout, as text or, with 'buffer', as bytes. */
export async function sh(cmd: string, args: string[]): Promise<string>;
export async function sh(cmd: string, args: string[], encoding: 'buffer'): Promise<Buffer>;
export async function sh(cmd: string, args: string[], encoding: 'utf8' | 'buffer' = 'utf8'): Promise<string | Buffer> {
  return (await run(cmd, args, { maxBuffer: 1 << 30, encoding, timeout: 120_000 })).stdout;
}
