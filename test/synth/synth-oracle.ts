// Test helper: onset and pitch analysis of rendered audio by numpy (the independent oracle).
import { LOAD_PCM } from '../dsp/numpy-oracle.js';

/**
 * numpy script: argv = pcm path, channels, rate, JSON list of [start seconds, midi note, end seconds].
 * For each note: the first sample within +-30 ms of its start whose level exceeds 2% of the note's
 * early peak (the onset), and the spectral peak from 10 ms after the start to its end (at most 250 ms) (the pitch), in cents from the note.
 */
export const ONSETS_AND_PITCHES = `${LOAD_PCM}
path, channels, rate, notes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
x = load(path, channels).mean(axis=1)
out = []
for start, note, end in notes:
    s = int(round(start * rate))
    lo, hi = max(0, s - int(0.03 * rate)), min(len(x), s + int(0.03 * rate))
    peak = np.abs(x[s:hi]).max()
    over = np.nonzero(np.abs(x[lo:hi]) > 0.02 * peak)[0]
    onset = (lo + over[0]) / rate if len(over) else None
    a, b = s + int(0.01 * rate), int(min(end, start + 0.25) * rate)
    hz = peak_hz(x[a:b], rate) if b <= len(x) else None
    want = 440 * 2 ** ((note - 69) / 12)
    out.append({"start": start, "note": note, "onset": onset, "hz": hz, "cents": None if hz is None else float(1200 * np.log2(hz / want))})
print(json.dumps({"frames": len(x), "notes": out}))
`;

/** One analysed note. */
export interface NoteAnalysis { start: number; note: number; onset: number | null; hz: number | null; cents: number | null }
