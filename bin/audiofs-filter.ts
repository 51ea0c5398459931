// audiofs-filter -low|-high|-band FREQ [Q]: an RBJ biquad over project-format PCM from stdin to stdout.
import { formatFromEnv } from '../lib/base/pcm-format.js';
import { runProgram } from '../lib/dsp/cli.js';
import { parseFilterArgs } from '../lib/dsp/filter-args.js';
import { runTransform } from '../lib/dsp/pcm-transform.js';

runProgram(
  {
    name: 'audiofs-filter',
    usage: 'audiofs-filter -low|-high|-band FREQ [Q]',
    help: `Filters s16le PCM from stdin to stdout (rate and channels from AUDIOFS_RATE and
AUDIOFS_CHANNELS, default 44100 Hz stereo) with one RBJ-cookbook biquad per channel.

  -low FREQ [Q]    low-pass at FREQ Hz
  -high FREQ [Q]   high-pass at FREQ Hz
  -band FREQ [Q]   band-pass centred on FREQ Hz (0 dB at the centre)

Q defaults to 0.7071 (Butterworth). FREQ must be below the Nyquist frequency.
Example: cat song.mid | audiofs-synth | audiofs-filter -low 2000 | aplay -f cd`,
  },
  async (args, output) => {
    const format = formatFromEnv();
    const filter = parseFilterArgs(args, format);
    await runTransform({ input: process.stdin, output, format, processors: [filter] });
  },
);
