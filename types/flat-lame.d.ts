// @flat/lame ships a wrong index.d.ts; this is what it really exports (readable-stream@1 Transforms).
declare module '@flat/lame' {
  import type { Transform } from 'node:stream';
  export interface EncoderOptions {
    channels?: number;
    bitDepth?: number;
    sampleRate?: number;
    bitRate?: number;
    outSampleRate?: number;
    mode?: number;
    float?: boolean;
    signed?: boolean;
  }
  export class Encoder extends Transform {
    constructor(options?: EncoderOptions);
  }
  export class Decoder extends Transform {
    constructor(options?: object);
  }
  export const STEREO: number;
  export const JOINTSTEREO: number;
  export const DUALCHANNEL: number;
  export const MONO: number;
  const lame: { Encoder: typeof Encoder; Decoder: typeof Decoder; STEREO: number; JOINTSTEREO: number; DUALCHANNEL: number; MONO: number };
  export default lame;
}
