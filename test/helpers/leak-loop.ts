// Create / write / remove cycles against a mount, measuring its RSS and descriptors: node leak-loop.js MOUNT PID CYCLES
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const [dir, pidText, cyclesText] = process.argv.slice(2);
const pid = Number(pidText);
const data = Buffer.alloc(4 * 1024 * 1024, 7);

async function sample(): Promise<{ rssKiB: number; fds: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
  return { rssKiB, fds: (await readdir(`/proc/${pid}/fd`)).length };
}

const samples: Array<{ cycle: number; rssKiB: number; fds: number }> = [{ cycle: 0, ...(await sample()) }];
const t0 = Date.now();
for (let i = 1; i <= Number(cyclesText); i++) {
  const chain = join(dir, `leak${i}`);
  await mkdir(chain);
  await writeFile(join(chain, 'in'), data);
  await rm(chain, { recursive: true });
  if (i % 25 === 0) samples.push({ cycle: i, ...(await sample()) });
}
process.stdout.write(`${JSON.stringify({ ms: Date.now() - t0, samples })}\n`);
