// The worker thread that converts WAV sample frames to the project format, off the thread that serves FUSE.
// Messages in: 'start' (layout, format, plan, output path), 'chunk' (data bytes, in order), 'end'.
// Messages out: 'progress' (output bytes written so far), 'done', 'error' (a message).
import { closeSync, openSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { PcmFormat } from '../base/pcm-format.js';
import { WavFrameConverter, type WavSampleLayout } from './wav-frames.js';
import type { WavRegionPlan } from './wav-region.js';

/** What the main thread sends. */
export type ConvertRequest =
  | { kind: 'start'; layout: WavSampleLayout; format: PcmFormat; plan: WavRegionPlan; path: string }
  | { kind: 'chunk'; bytes: Uint8Array }
  | { kind: 'end' };

/** What the worker answers. */
export type ConvertReply =
  | { kind: 'progress'; written: number }
  | { kind: 'done'; written: number }
  | { kind: 'error'; message: string };

let converter: WavFrameConverter | undefined;
let fd: number | undefined;
let written = 0;

function write(pcm: Buffer): void {
  let at = 0;
  while (at < pcm.length) at += writeSync(fd!, pcm, at, pcm.length - at, written + at);
  written += pcm.length;
}

function reply(message: ConvertReply): void {
  parentPort!.postMessage(message);
}

parentPort!.on('message', (message: ConvertRequest) => {
  try {
    switch (message.kind) {
      case 'start':
        fd = openSync(message.path, 'r+');
        converter = new WavFrameConverter(message.layout, { format: message.format, start: message.plan.start, outputEnd: message.plan.outputEnd });
        return;
      case 'chunk':
        converter!.push(Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength), write);
        return reply({ kind: 'progress', written });
      case 'end':
        converter!.flush(write);
        closeSync(fd!);
        return reply({ kind: 'done', written });
    }
  } catch (err) {
    reply({ kind: 'error', message: (err as Error).message });
  }
});
