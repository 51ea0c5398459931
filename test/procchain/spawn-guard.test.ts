// Descriptors children must not inherit are marked close-on-exec where the native addon can, so that a
// child's stdio is the three pipes alone whatever their numbers (execa's checks cost 40 ms a spawn at fd 251).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { kernelPumpAvailable } from '../../lib/procchain/kernel-pump.js';

const guard = new URL('../../lib/procchain/spawn-guard.js', import.meta.url).href;

// A process that starts with fd 40 inherited (no close-on-exec, as libfuse leaves /dev/fuse), guards it, and
// reports its flags and the stdio a child would get.
const PROBE = `
import { readFileSync } from 'node:fs';
const { guardDescriptor, guardedStdio } = await import(${JSON.stringify(guard)});
const flags = () => parseInt(/^flags:\\s*([0-7]+)/m.exec(readFileSync('/proc/self/fdinfo/40', 'utf8'))[1], 8);
const before = flags();
guardDescriptor(40);
console.log(JSON.stringify({ before, after: flags(), stdio: guardedStdio().length }));
`;

function probe(): Promise<{ before: number; after: number; stdio: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', PROBE], { stdio: ['ignore', 'pipe', 'inherit', ...Array<'ignore'>(37).fill('ignore'), 'pipe'] });
    let out = '';
    p.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`the probe ended with ${code}: ${out}`));
    });
  });
}

const O_CLOEXEC = 0o2000000;

test('an inherited descriptor, once guarded, is close-on-exec and adds nothing to a child\'s stdio', { skip: kernelPumpAvailable() ? false : 'no native addon here' }, async () => {
  const { before, after, stdio } = await probe();
  assert.equal(before & O_CLOEXEC, 0, 'inherited without close-on-exec');
  assert.equal(after & O_CLOEXEC, O_CLOEXEC, 'close-on-exec once guarded');
  assert.equal(stdio, 3, 'a child gets its three pipes and no placeholder up to fd 40');
});
