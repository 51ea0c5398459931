// Runs /usr/bin/python3 with mido (an independent MIDI parser) and returns what it read.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

const SCRIPT = String.raw`
import json, sys, mido
mid = mido.MidiFile(sys.argv[2])
what = sys.argv[1]
def tempo_changes():
    changes = []
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == 'set_tempo':
                changes.append((tick, msg.tempo))
    changes.sort(key=lambda c: c[0])
    return changes
def seconds_of(changes):
    points = [(0, 0.0, 500000)]
    for tick, tempo in changes:
        t0, s0, tempo0 = points[-1]
        s = s0 + mido.tick2second(tick - t0, mid.ticks_per_beat, tempo0)
        if tick == t0:
            points[-1] = (tick, s, tempo)
        else:
            points.append((tick, s, tempo))
    def at(tick):
        best = points[0]
        for p in points:
            if p[0] <= tick: best = p
            else: break
        return best[1] + mido.tick2second(tick - best[0], mid.ticks_per_beat, best[2])
    return at
if what == 'events':
    out = {'type': mid.type, 'ticks_per_beat': mid.ticks_per_beat, 'tracks': []}
    for track in mid.tracks:
        tick = 0
        events = []
        for msg in track:
            tick += msg.time
            events.append([tick, bytes(msg.bytes()).hex()])
        out['tracks'].append(events)
    print(json.dumps(out))
elif what == 'notes':
    at = seconds_of(tempo_changes())
    notes = []
    state = []
    for index, track in enumerate(mid.tracks):
        tick = 0
        open_notes = {}
        for msg in track:
            tick += msg.time
            if msg.type == 'note_on' and msg.velocity > 0:
                open_notes.setdefault((msg.channel, msg.note), []).append(tick)
            elif msg.type in ('note_off', 'note_on'):
                key = (msg.channel, msg.note)
                starts = open_notes.get(key)
                if not starts: continue
                for start in starts:
                    if start != tick: notes.append([index, msg.channel, msg.note, at(start), at(tick)])
                keep = [s for s in starts if s == tick]
                if keep and len(keep) < len(starts): open_notes[key] = keep
                else: del open_notes[key]
            elif msg.type in ('program_change', 'control_change', 'pitchwheel', 'aftertouch') and tick == 0:
                state.append([index, bytes(msg.bytes()).hex()])
    print(json.dumps({'notes': notes, 'stateAtZero': state}))
`;

/** Every event of every track as mido reads it: absolute tick and the raw message bytes in hex. */
export interface MidoEvents {
  type: number;
  ticks_per_beat: number;
  tracks: [number, string][][];
}

/** Notes as [track, channel, note, start, end] seconds (mido's tick2second), and channel state events at tick 0. */
export interface MidoNotes {
  notes: [number, number, number, number, number][];
  stateAtZero: [number, string][];
}

/** The events of a MIDI file, read by mido. */
export async function midoEvents(path: string): Promise<MidoEvents> {
  const { stdout } = await run(PYTHON, ['-c', SCRIPT, 'events', path], { maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(stdout) as MidoEvents;
}

/** The notes of a MIDI file, read and timed by mido. */
export async function midoNotes(path: string): Promise<MidoNotes> {
  const { stdout } = await run(PYTHON, ['-c', SCRIPT, 'notes', path], { maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(stdout) as MidoNotes;
}
