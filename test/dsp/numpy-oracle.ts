// Test helper: runs a numpy script under Debian's /usr/bin/python3 (the independent oracle) and parses its JSON answer.
import { spawnSync } from 'node:child_process';

/** Runs `script` with argv and returns what it printed as JSON. */
export function numpy<T>(script: string, args: string[] = []): T {
  const r = spawnSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A numpy prelude: `load(path, channels)` reads s16le into a float array of shape (frames, channels). */
export const LOAD_PCM = `
import json, sys
import numpy as np
def load(path, channels):
    a = np.fromfile(path, dtype='<i2').astype(np.float64) / 32768.0
    return a[: len(a) // channels * channels].reshape(-1, channels)
def peak_hz(x, rate):
    w = np.hanning(len(x))
    s = np.abs(np.fft.rfft(x * w))
    k = int(np.argmax(s[1:-1])) + 1
    a, b, c = np.log(s[k - 1] + 1e-30), np.log(s[k] + 1e-30), np.log(s[k + 1] + 1e-30)
    d = 0.5 * (a - c) / (a - 2 * b + c)
    return (k + d) * rate / len(x)
`;
