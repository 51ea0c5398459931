// audiofs-fx: echo, gain, reverb and pan over project-format PCM from stdin to stdout, in the order given.
import { formatFromEnv } from '../lib/base/pcm-format.js';
import { runProgram } from '../lib/dsp/cli.js';
import { parseFxChain } from '../lib/dsp/fx-chain.js';
import { runTransform } from '../lib/dsp/pcm-transform.js';

runProgram(
  {
    name: 'audiofs-fx',
    usage: 'audiofs-fx [-echo SECONDS [FEEDBACK]] [-gain DB] [-reverb [ROOM]] [-pan P] ...',
    help: `Applies effects to s16le PCM from stdin to stdout (rate and channels from
AUDIOFS_RATE and AUDIOFS_CHANNELS, default 44100 Hz stereo). Several effects may
be given; they apply in the order written.

  -echo SECONDS [FEEDBACK]  y[n] = x[n] + FEEDBACK * y[n - SECONDS]: repeats every
                            SECONDS, each FEEDBACK (0..<1, default 0.5) times the last
  -gain DB                  multiply by 10^(DB/20)
  -reverb [ROOM]            Freeverb room, ROOM 0..1 (default 0.5), 30% wet
  -pan P                    balance, P from -1 (left) to 1 (right); 0 leaves both
                            channels as they are; P > 0 scales left by cos(P*pi/2),
                            P < 0 scales right by cos(-P*pi/2)

When the input ends, echo repeats and reverb decay play out before exit.`,
  },
  async (args, output) => {
    const format = formatFromEnv();
    const processors = parseFxChain(args, format);
    await runTransform({ input: process.stdin, output, format, processors });
  },
);
