import type { Readable } from 'node:stream';
import { bytesPerFrame, bytesToFrames, framesToBytes, type PcmFormat } from '../base/pcm-format.js';
import type { Frames } from '../base/units.js';
import type { BlockProcessor } from './block-processor.js';
import { floatToS16, s16ToFloat } from './pcm-codec.js';
import type { PcmOutput } from './pcm-output.js';

/** Largest block handed to the processors: small enough for low latency, large enough for throughput. */
export const TRANSFORM_BLOCK: Frames = 2048;

/** Options of runTransform. */
export interface TransformOptions {
  input: Readable;
  output: PcmOutput;
  format: PcmFormat;
  processors: BlockProcessor[];
  /** Also play out the processors' tails (echo repeats, reverb decay) after the input ends; true when omitted. */
  tail?: boolean;
}

/** Streams PCM from input through the processors to output, block by block, as the input arrives. */
export async function runTransform(options: TransformOptions): Promise<void> {
  const { input, output, format, processors } = options;
  const frameBytes = bytesPerFrame(format);
  const floats = new Float32Array(TRANSFORM_BLOCK * format.channels);
  const bytes = Buffer.allocUnsafe(framesToBytes(TRANSFORM_BLOCK, format));
  let carry: Buffer = Buffer.alloc(0);

  const processBytes = async (data: Buffer): Promise<boolean> => {
    for (let offset = 0; offset < data.length; ) {
      const frames = Math.min(TRANSFORM_BLOCK, bytesToFrames(data.length - offset, format));
      const end = offset + frames * frameBytes;
      if (!(await processBlock(s16ToFloat(data.subarray(offset, end), floats), frames))) return false;
      offset = end;
    }
    return true;
  };
  const processBlock = async (block: Float32Array, frames: Frames): Promise<boolean> => {
    for (const p of processors) p.process(block, frames);
    // A copy per block: the stream may still hold the previous one.
    return output.write(Buffer.from(floatToS16(block.subarray(0, frames * format.channels), bytes)));
  };

  for await (const chunk of input as AsyncIterable<Buffer>) {
    let data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const whole = bytesToFrames(data.length, format) * frameBytes;
    carry = Buffer.from(data.subarray(whole));
    data = data.subarray(0, whole);
    if (!(await processBytes(data))) {
      input.destroy();
      return;
    }
  }
  if (options.tail ?? true) {
    let remaining = processors.reduce((sum, p) => sum + p.tail, 0);
    while (remaining > 0) {
      const frames = Math.min(TRANSFORM_BLOCK, remaining);
      floats.fill(0);
      if (!(await processBlock(floats, frames))) return;
      remaining -= frames;
    }
  }
  await output.end();
}
