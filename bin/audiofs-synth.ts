// audiofs-synth: MIDI on stdin (a Standard MIDI File or a live byte stream) to project-format PCM on stdout.
import { formatFromEnv } from '../lib/base/pcm-format.js';
import { runProgram, UsageError } from '../lib/dsp/cli.js';
import { readSmf } from '../lib/midi/smf.js';
import { runLiveSynth } from '../lib/synth/live-synth.js';
import { detectMidiInput } from '../lib/synth/midi-input.js';
import { renderSmf } from '../lib/synth/render-smf.js';
import { Synth } from '../lib/synth/synth.js';

runProgram(
  {
    name: 'audiofs-synth',
    usage: 'audiofs-synth [--voices N] < song.mid',
    help: `Plays MIDI from stdin as s16le PCM on stdout (rate and channels from AUDIOFS_RATE
and AUDIOFS_CHANNELS, default 44100 Hz stereo).

Input that starts with MThd is a Standard MIDI File: it is rendered as fast as
possible, every tempo change honoured. Anything else is a live MIDI byte stream
(cat /dev/midi1 | audiofs-synth | aplay -f cd): events apply as they arrive and
audio is paced by the wall clock in blocks of 256 frames. Empty input ends at
once, with no output.

Sounds: one timbre per General MIDI family (program change), drums on channel 10;
velocity, pitch bend (RPN 0 range), sustain (CC64), volume (CC7), pan (CC10),
expression (CC11), all notes/sound off; a gentle master limiter.

  --voices N   voices sounding at once before the oldest is stolen (default 64)`,
  },
  async (args, output) => {
    let maxVoices = 64;
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--voices' && /^\d+$/.test(args[i + 1] ?? '') && Number(args[i + 1]) >= 1) maxVoices = Number(args[++i]);
      else if (args[i] === '--voices') throw new UsageError(`--voices: expected a whole number of 1 or more, got ${args[i + 1] === undefined ? 'nothing' : `'${args[i + 1]}'`}`);
      else throw new UsageError(`unknown argument '${args[i]}' (expected --voices N; MIDI comes on stdin)`);
    }
    const format = formatFromEnv();
    const synth = new Synth({ format, maxVoices });
    const input = await detectMidiInput(process.stdin);
    if (input.kind === 'file') await renderSmf({ smf: readSmf(input.bytes), format, output, synth });
    // No MIDI at all (an empty file, /dev/null, an empty `in`): the song is over before it began.
    else if (input.initial.length === 0 && process.stdin.readableEnded) await output.end();
    else await runLiveSynth({ input: process.stdin, output, format, initial: input.initial, synth });
  },
);
