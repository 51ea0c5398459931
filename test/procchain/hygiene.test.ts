// Process hygiene: no descriptor of audiofs reaches a client, and every descendant of a stage, even one that
// left its process group with setsid and holds its stdout, ends on stop, rm -r and unmount, at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { alive, mountAudiofs, waitFor, type TestMount } from '../helpers/mount.js';

/** The script of a client that leaves a detached child holding its stdout, and writes that child's pid. */
async function detacher(m: TestMount, name: string): Promise<string> {
  const script = join(m.tmp, `${name}.sh`);
  await writeFile(script, `#!/bin/sh\nsetsid sleep 300 &\necho $! > ${join(m.tmp, `${name}.pid`)}\nexec cat\n`, { mode: 0o755 });
  return script;
}

async function grandchild(m: TestMount, name: string): Promise<number> {
  const file = join(m.tmp, `${name}.pid`);
  return Number(await waitFor(async () => (await readFile(file, 'utf8').catch(() => '')).trim(), `${name}'s detached child`));
}

async function gone(pid: number, what: string, ms: number): Promise<number> {
  const t0 = Date.now();
  await waitFor(async () => !(await alive(pid)), what, ms);
  return Date.now() - t0;
}

test('a detached child holding a stage\'s stdout ends with stop, with rm -r and with unmount, within 2 s each', async () => {
  const m = await mountAudiofs();
  let unmounted = false;
  try {
    await m.ctl(`a ${await detacher(m, 'a')}`);
    await m.ctl(`b ${await detacher(m, 'b')}`);
    await m.ctl(`c ${await detacher(m, 'c')}`);
    await m.ctl('play');
    const [a, b, c] = [await grandchild(m, 'a'), await grandchild(m, 'b'), await grandchild(m, 'c')];
    let t0 = Date.now();
    await m.ctl('stop', 'a/ctl');
    assert.ok(Date.now() - t0 < 2000, `stop took ${Date.now() - t0} ms`);
    await gone(a, 'the detached child of a to end after stop', 2000);
    t0 = Date.now();
    await rm(m.path('b'), { recursive: true });
    assert.ok(Date.now() - t0 < 2000, `rm -r took ${Date.now() - t0} ms`);
    await gone(b, 'the detached child of b to end after rm -r', 2000);
    assert.ok(await alive(c), 'the other chain\'s child is untouched');
    t0 = Date.now();
    unmounted = true;
    assert.equal(await m.close(), 0);
    assert.ok(Date.now() - t0 < 5000, `unmount took ${Date.now() - t0} ms`);
    await gone(c, 'the detached child of c to end at unmount', 2000);
  } finally {
    if (!unmounted) await m.close();
  }
});

test('a client inherits no descriptor of audiofs, nor one its parent left open (fd 200): besides stdin, stdout and stderr it has only /dev/null', async () => {
  const m = await mountAudiofs({ inheritFd: 200 });
  try {
    const script = join(m.tmp, 'fds.py');
    const out = join(m.tmp, 'fds.txt');
    await writeFile(script, [
      '#!/usr/bin/python3',
      'import os',
      'seen = []',
      "for n in os.listdir('/proc/self/fd'):",
      '    try:',
      "        seen.append(n + ' ' + os.readlink('/proc/self/fd/' + n))",
      '    except OSError:',
      '        pass',
      `open(${JSON.stringify(`${out}.tmp`)}, 'w').write('\\n'.join(seen))`,
      `os.rename(${JSON.stringify(`${out}.tmp`)}, ${JSON.stringify(out)})`,
      "os.execvp('cat', ['cat'])",
      '',
    ].join('\n'), { mode: 0o755 });
    await m.ctl(`f ${script}`);
    await m.ctl('play');
    const listing = await waitFor(async () => (await readFile(out, 'utf8').catch(() => '')).trim(), 'the client listing its descriptors');
    const leaked = listing.split('\n').map((l) => l.split(' ')).filter(([n, target]) => Number(n) > 2 && target !== '/dev/null' && !/^\/proc\/\d+\/fd$/.test(target) && target !== script);
    assert.deepEqual(leaked, [], `descriptors the client got from audiofs:\n${listing}`);
    const server = m.proc.pid!;
    const targets = await Promise.all((await readdir(`/proc/${server}/fd`)).map((n) => readlink(`/proc/${server}/fd/${n}`).catch(() => '')));
    assert.ok(targets.includes('/dev/fuse'), 'the mount holds /dev/fuse, which the client must not');
    assert.match(await readlink(`/proc/${server}/fd/200`), /^(pipe|socket):/, 'the mount holds the descriptor its parent left, which the client must not');
    await m.ctl('stop');
  } finally {
    assert.equal(await m.close(), 0);
  }
});
