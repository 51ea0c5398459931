// Test helper: runs a shipped program through its launcher in bin/, as a user would.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/...). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** What a finished program left behind. */
export interface ProgramResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs bin/NAME with args, feeds it `input`, and collects everything. */
export function runBin(name: string, args: string[], options: { input?: Buffer; env?: Record<string, string> } = {}): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, 'bin', name), args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
    child.stdin.end(options.input ?? Buffer.alloc(0));
  });
}
