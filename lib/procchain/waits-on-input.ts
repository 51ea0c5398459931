import { readFile } from 'node:fs/promises';

/**
 * Whether a process is blocked reading a pipe or a socket pair now (its stdin, for a stage: Node's child
 * stdio is a socket pair): Linux's /proc/PID/wchan names the kernel function it sleeps in. Where that cannot be read (another system), true: the caller then
 * treats the process as one waiting for its input.
 */
export async function waitsOnInput(pid: number): Promise<boolean> {
  try {
    return /pipe_read|pipe_wait|unix_stream_read/.test(await readFile(`/proc/${pid}/wchan`, 'utf8'));
  } catch {
    return true;
  }
}
