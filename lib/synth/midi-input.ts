import type { Readable } from 'node:stream';

/** The four bytes that open a Standard MIDI File. */
const SMF_MAGIC = Buffer.from('MThd');

/** What arrived first on a MIDI input: a whole file, or the start of a live byte stream. */
export type MidiInput =
  | { kind: 'file'; bytes: Buffer }
  | { kind: 'live'; initial: Buffer };

/** Waits for the first bytes: if they are `MThd` reads the whole file, else hands back what came (the stream stays paused). */
export async function detectMidiInput(input: Readable): Promise<MidiInput> {
  const chunks: Buffer[] = [];
  let length = 0;
  const first = await new Promise<Buffer>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      // A live stream starting with a status byte cannot be MThd: decide at once.
      if (length >= SMF_MAGIC.length || chunks[0][0] !== SMF_MAGIC[0]) done();
    };
    const done = (): void => {
      input.off('data', onData);
      input.off('end', done);
      input.off('error', reject);
      input.pause();
      resolve(Buffer.concat(chunks, length));
    };
    input.on('data', onData);
    input.once('end', done);
    input.once('error', reject);
  });
  if (first.length < SMF_MAGIC.length || !first.subarray(0, 4).equals(SMF_MAGIC)) return { kind: 'live', initial: first };
  const rest: Buffer[] = [first];
  for await (const chunk of input as AsyncIterable<Buffer>) rest.push(chunk);
  return { kind: 'file', bytes: Buffer.concat(rest) };
}
