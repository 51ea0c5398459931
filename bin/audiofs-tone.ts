// audiofs-tone FREQ: a band-limited test tone in the project PCM format on stdout.
import { formatFromEnv } from '../lib/base/pcm-format.js';
import { runProgram } from '../lib/dsp/cli.js';
import { parseToneArgs, runTone } from '../lib/dsp/tone.js';

runProgram(
  {
    name: 'audiofs-tone',
    usage: 'audiofs-tone FREQ [--wave sine|square|saw|triangle] [--seconds S] [--gain DB]',
    help: `Writes a test tone of FREQ Hz as s16le PCM on stdout (rate and channels from
AUDIOFS_RATE and AUDIOFS_CHANNELS, default 44100 Hz stereo), the same on every channel.

  --wave W      sine (default), square, saw or triangle; band-limited (no aliasing)
  --seconds S   stop after S seconds (default: endless)
  --gain DB     peak level in dBFS (default -6)`,
  },
  async (args, output) => {
    const format = formatFromEnv();
    await runTone(parseToneArgs(args, format), format, output);
  },
);
