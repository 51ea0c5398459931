// The shipped programs against the tools a user would otherwise reach for: timidity for the synth, sox for each effect.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARED_MIDI } from '../test/helpers/shared.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin');
const MIDI = SHARED_MIDI + '/bach_846.mid';
const RATE = 44100;
const NOISE_SECONDS = 60;
const RAW = `-t raw -r ${RATE} -e signed -b 16 -c 2`;

/** Wall time of a shell command (best of `runs`) and the bytes it wrote. */
function time(command: string, runs: number): { seconds: number; bytes: number } {
  let best = Infinity;
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const r = spawnSync('sh', ['-c', `${command} | wc -c`], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`${command}: exit ${r.status}: ${r.stderr}`);
    best = Math.min(best, (performance.now() - start) / 1000);
    bytes = Number(r.stdout.trim());
  }
  return { seconds: best, bytes };
}

const dir = mkdtempSync(join(tmpdir(), 'audiofs-bench-'));
try {
  const row = (name: string, ours: { seconds: number; bytes: number }, base: { seconds: number; bytes: number }, baseName: string): string => {
    const audio = (b: number): number => b / 4 / RATE;
    return `| ${name} | ${ours.seconds.toFixed(2)} s | ${(audio(ours.bytes) / ours.seconds).toFixed(0)}x | ${baseName} | ${base.seconds.toFixed(2)} s | ${(audio(base.bytes) / base.seconds).toFixed(0)}x | ${(base.seconds / ours.seconds).toFixed(2)} |`;
  };
  console.log('Wall time (best of 3, process start included), times real time, and speed relative to the baseline (>1: audiofs faster).\n');
  console.log('| audiofs | time | x real time | baseline | time | x real time | baseline time / audiofs time |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(row('audiofs-synth < bach_846.mid', time(`${BIN}/audiofs-synth < ${MIDI}`, 3), time(`timidity -Or -o - ${MIDI} 2>/dev/null`, 3), 'timidity -Or -o -'));
  const wav = join(dir, 'timidity.wav');
  const synthFile = time(`${BIN}/audiofs-synth < ${MIDI}`, 1);
  const timWav = time(`timidity -Ow -o ${wav} ${MIDI} >/dev/null 2>&1; cat ${wav}`, 3);
  console.log(row('audiofs-synth (file)', synthFile, { seconds: timWav.seconds, bytes: statSync(wav).size }, 'timidity -Ow'));

  const noise = join(dir, 'noise.raw');
  const r = spawnSync('sh', ['-c', `sox -n ${RAW} ${noise} synth ${NOISE_SECONDS} whitenoise vol 0.3`]);
  if (r.status !== 0) throw new Error(`sox noise: ${r.stderr}`);
  const cases: [string, string][] = [
    ['audiofs-filter -low 1000', 'lowpass 1000'],
    ['audiofs-filter -high 1000', 'highpass 1000'],
    ['audiofs-filter -band 1000 2', 'bandpass 1000 2q'],
    ['audiofs-fx -gain -6', 'gain -6'],
    ['audiofs-fx -pan 0.5', 'remix 1v0.7071 2'],
    ['audiofs-fx -echo 0.3 0.5', 'echo 1 1 300 0.5'],
    ['audiofs-fx -reverb 0.5', 'reverb 50'],
    ['audiofs-filter -low 2000 (then) audiofs-fx -echo 0.3 -reverb', 'lowpass 2000 echo 1 1 300 0.5 reverb 50'],
  ];
  for (const [ours, sox] of cases) {
    const command = ours.includes('(then)') ? ours.replace(' (then) ', ` | ${BIN}/`) : ours;
    console.log(row(ours, time(`${BIN}/${command} < ${noise}`, 3), time(`sox ${RAW} ${noise} ${RAW} - ${sox}`, 3), `sox ${sox}`));
  }
  writeFileSync(join(dir, 'done'), '');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
