// What @flat/lame 1.2.8 really exports (its own index.d.ts is wrong): readable-stream@1 Transforms on the libuv threadpool.
// lib/mix loads the package with createRequire and types it with `import type { FlatLame } from '.../types/flat-lame.js'`,
// so the package's index.d.ts is never consulted.
import type { Transform } from 'node:stream';

/** Options of the encoder; each key is a LAME setter (lame_set_brate is bitRate, lame_set_bWriteVbrTag is writeVbrTag). */
export interface LameEncoderOptions {
  channels?: number;
  /** Only 16 for integer input (32/64 with float: true). */
  bitDepth?: number;
  sampleRate?: number;
  /** Constant bitrate in kbit/s. */
  bitRate?: number;
  outSampleRate?: number;
  /** STEREO, JOINTSTEREO, DUALCHANNEL or MONO. */
  mode?: number;
  /** 0 (best, slowest) .. 9 (worst, fastest). */
  quality?: number;
  /** Whether LAME writes a Xing/Info frame first (the stream never updates it; turn it off for streams). */
  writeVbrTag?: boolean;
  float?: boolean;
  signed?: boolean;
}

/** PCM in, MP3 out. No destroy(); `for await` does not work; write callbacks fire when a chunk is encoded. */
export interface LameEncoder extends Transform {}

/** MP3 in, PCM out (mpg123). */
export interface LameDecoder extends Transform {}

/** The module object of @flat/lame. */
export interface FlatLame {
  Encoder: new (options?: LameEncoderOptions) => LameEncoder;
  Decoder: new (options?: object) => LameDecoder;
  STEREO: 0;
  JOINTSTEREO: 1;
  DUALCHANNEL: 2;
  MONO: 3;
}
