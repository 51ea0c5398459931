import { secondsToFrames, type PcmFormat } from '../base/pcm-format.js';
import type { Bytes, Frames, Seconds } from '../base/units.js';
import { Resampler } from './resampler.js';
import { WavFormatError, type WavHeader } from './wav-header.js';

/** What to convert of a WAV file for a region: which bytes to read, and which output frames they give. */
export interface WavRegionPlan {
  /** The byte range of the file to read (whole frames of the data chunk). */
  inputFrom: Bytes;
  inputTo: Bytes;
  /** Input frame at inputFrom, and the first output frame produced. */
  start: { input: Frames; output: Frames };
  /** The output frame the conversion stops before. */
  outputEnd: Frames;
  /** Output frames of the whole file, for the record. */
  totalFrames: Frames;
}

/**
 * Plans the conversion of the region `from`..`to` (seconds of the converted file) of a WAV file of
 * `fileSize` bytes, checking the header against the data actually there. The output of the region is
 * sample for sample what converting the whole file and cutting would give.
 */
export function planWavRegion(header: WavHeader, fileSize: Bytes, region: { from: Seconds; to?: Seconds }, format: PcmFormat): WavRegionPlan {
  const { dataOffset, dataLength, blockAlign } = header;
  const available = Math.max(0, fileSize - dataOffset);
  if (dataLength !== null && dataLength > available) {
    throw new WavFormatError(`data chunk declares ${dataLength} bytes, the file ended after ${available}`, dataOffset + available);
  }
  if (dataLength === null && available % blockAlign !== 0) {
    throw new WavFormatError(`data ends inside a frame: ${available % blockAlign} bytes left over of a ${blockAlign}-byte frame`, fileSize);
  }
  const inputFrames = Math.floor((dataLength ?? available) / blockAlign);
  const same = header.rate === format.rate;
  const resampler = same ? null : new Resampler({ from: header.rate, to: format.rate, channels: 1 });
  const totalFrames = same ? inputFrames : Math.ceil((inputFrames * format.rate) / header.rate);
  const outputFrom = Math.min(secondsToFrames(region.from, format), totalFrames);
  const outputEnd = Math.max(outputFrom, region.to === undefined ? totalFrames : Math.min(secondsToFrames(region.to, format), totalFrames));
  const inputStart = resampler ? Math.min(resampler.firstInputFor(outputFrom), inputFrames) : outputFrom;
  const inputEnd = resampler ? Math.min(resampler.inputEndFor(outputEnd), inputFrames) : outputEnd;
  return {
    inputFrom: dataOffset + inputStart * blockAlign,
    inputTo: dataOffset + Math.max(inputStart, inputEnd) * blockAlign,
    start: { input: inputStart, output: outputFrom },
    outputEnd,
    totalFrames,
  };
}
