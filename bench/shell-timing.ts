// Timing a shell pipeline, the baseline each benchmark reports its ratio against.
import { spawn } from 'node:child_process';

/** Seconds until `command` (run by sh) has finished, and the byte count it printed (wc -c). */
export function timeShell(command: string): Promise<{ seconds: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('sh', ['-c', `${command} | wc -c`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.once('close', (code) => (code === 0 ? resolve({ seconds: (performance.now() - start) / 1000, bytes: Number(out.trim()) }) : reject(new Error(`${command}: exit ${code}`))));
  });
}
