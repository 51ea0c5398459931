// Test helpers for audiofs-dj: MIDI rendered by timidity, beats from MIDI tempo maps (mido), aubio, and beat scores.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { basename, join } from 'node:path';

const run = promisify(execFile);

/** The shared MIDI fixtures. */
export const MIDI_DIR = SHARED_MIDI;

/** A shared fixture's name (TheEntertainer), or the path of a .mid file of our own. */
const midiPath = (mid: string): string => (mid.includes('/') ? mid : join(MIDI_DIR, `${mid}.mid`));

/** Renders the first `seconds` of a MIDI file to a 44.1 kHz stereo WAV with timidity (time 0 = MIDI time 0). */
export async function renderMidi(mid: string, dir: string, seconds: number): Promise<string> {
  const name = basename(mid, '.mid');
  const full = join(dir, `${name}.full.wav`);
  const out = join(dir, `${name}.wav`);
  await run('timidity', ['--preserve-silence', '-Ow', '-s', '44100', '-o', full, midiPath(mid)], { timeout: 120_000 });
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
  const { stdout } = await run('/usr/bin/python3', ['-c', BEATS_PY, midiPath(mid), String(seconds)], { timeout: 120_000 });
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

const GROOVE_PY = `
import sys, json, mido
out = sys.argv[1]; spec = json.loads(sys.argv[2]); ppq = 480
m = mido.MidiFile(ticks_per_beat=ppq)
meta = mido.MidiTrack(); m.tracks.append(meta); last = 0
for beat, bpm in spec['tempos']:
    t = int(beat * ppq); meta.append(mido.MetaMessage('set_tempo', tempo=mido.bpm2tempo(bpm), time=t - last)); last = t
events = []
def note(beat, ch, n, vel, dur):
    events.append((int(beat * ppq), 1, ch, n, vel)); events.append((int((beat + dur) * ppq), 0, ch, n, 0))
chords = [[57, 60, 64], [53, 57, 60], [55, 59, 62], [52, 55, 59]]
bass = [45, 41, 43, 40]
for b in range(spec['beats']):
    bar, pos = divmod(b, 4)
    note(b, 9, 36, 100, 0.2)
    if pos in (1, 3): note(b, 9, 38, 90, 0.2)
    note(b + 0.5, 9, 46, 127, 0.4)
    note(b + 0.5, 9, 54, 110, 0.2)
    note(b, 1, bass[bar % 4], 90, 0.2)
    note(b + 0.5, 1, bass[bar % 4] + 12, 120, 0.3)
    for n in chords[bar % 4]: note(b + 0.5, 2, n + 12, 100, 0.25)
events.sort(key=lambda e: (e[0], e[1]))
tr = mido.MidiTrack(); m.tracks.append(tr)
tr.append(mido.Message('program_change', channel=1, program=33, time=0))
tr.append(mido.Message('program_change', channel=2, program=4, time=0))
last = 0
for t, on, ch, n, v in events:
    tr.append(mido.Message('note_on' if on else 'note_off', channel=ch, note=n, velocity=v, time=t - last)); last = t
m.save(out)
`;

/**
 * Writes an off-beat-heavy disco groove as a MIDI file: soft kick on every beat and snare on 2 and 4, against a loud
 * open hi-hat, tambourine, octave bass and chord stabs on every off-beat; `tempos` is the tempo map as [beat, BPM].
 */
export async function writeGroove(file: string, options: { beats: number; tempos: Array<[number, number]> }): Promise<string> {
  await run('/usr/bin/python3', ['-c', GROOVE_PY, file, JSON.stringify(options)], { timeout: 120_000 });
  return file;
}

/** The F-measure of estimated beats against one list of reference beats at +-tol seconds. */
export function fMeasure(est: number[], ref: number[], tol = 0.07): number {
  return fOnce(est, ref, tol);
}

/**
 * Beat scores that see the phase, at the metrical level the estimate keeps (its median interval against the
 * annotation's: the annotated beats, their double, or either half of them). `f` is the F-measure at +-70 ms against
 * that level (the off-beat scores 0); `phase` is the median distance of the estimated beats from the nearest beat of
 * that level, in beats (0 on the beat, 0.5 on the off-beat).
 */
export function beatScores(est: number[], ref: number[]): { f: number; phase: number } {
  const gap = (xs: number[]): number => [...xs.slice(1).map((b, i) => b - xs[i])].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 1;
  const ratio = gap(est) / gap(ref);
  const levels = ratio < 0.7
    ? [ref.flatMap((b, i) => (i + 1 < ref.length ? [b, (b + ref[i + 1]) / 2] : [b]))]
    : ratio > 1.5 ? [ref.filter((_, i) => i % 2 === 0), ref.filter((_, i) => i % 2 === 1)] : [ref];
  const scored = levels.map((level) => {
    const phases: number[] = [];
    for (const b of est) {
      const i = level.findIndex((t) => t > b);
      if (i <= 0) continue;
      const x = (b - level[i - 1]) / (level[i] - level[i - 1]);
      phases.push(Math.min(x, 1 - x));
    }
    phases.sort((a, b) => a - b);
    return { f: fOnce(est, level, 0.07), phase: phases.length ? phases[Math.floor(phases.length / 2)] : 0.5 };
  });
  return scored.sort((a, b) => b.f - a.f)[0];
}

const RETEMPO_PY = `
import sys, mido
src, out, at_beat, bpm = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
m = mido.MidiFile(src)
tick = int(at_beat * m.ticks_per_beat)
msgs = []; t = 0
for msg in m.tracks[0]:
    t += msg.time; msgs.append((t, msg))
end = [x for x in msgs if x[1].type == 'end_of_track']
msgs = [x for x in msgs if x[1].type != 'end_of_track'] + [(tick, mido.MetaMessage('set_tempo', tempo=mido.bpm2tempo(bpm)))]
msgs.sort(key=lambda x: x[0])
msgs += [(max(tick, end[0][0]), end[0][1])] if end else []
track = mido.MidiTrack(); last = 0
for t, msg in msgs:
    msg.time = t - last; track.append(msg); last = t
m.tracks[0] = track
m.save(out)
`;

/** Writes a copy of a shared MIDI fixture with a sudden tempo change to `bpm` at quarter-note beat `atBeat`. */
export async function withTempoChange(mid: string, file: string, change: { atBeat: number; bpm: number }): Promise<string> {
  await run('/usr/bin/python3', ['-c', RETEMPO_PY, midiPath(mid), file, String(change.atBeat), String(change.bpm)], { timeout: 120_000 });
  return file;
}
