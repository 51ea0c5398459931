import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, open, opendir, readFile, readdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { entriesInOrder, exists, mountAudiofs, run, waitFor, type TestMount } from '../helpers/mount.js';

const ROOT_VERBS = 'play, stop, pause, seek T, loop A B, loop off, steps BARS, step N, realtime on|off, export FILE [A B], collect on|off, trace on|off';
const CHAIN_VERBS = 'play, stop, restart, realtime on|off, type midi|pcm|wav|auto';
const SCHED = "expected 'nice N' (-20..19), 'rt fifo|rr P' (1..99) or 'cpu LIST' (e.g. 1 or 0-2,4)";

let m: TestMount;

before(async () => {
  m = await mountAudiofs();
  await m.ctl('keep passthrough | passthrough -x');
});

after(async () => {
  assert.equal(await m.close(), 0);
});

/** What a reader that opened with O_NONBLOCK gets from a live file: what is there now, then end of file. */
async function readNow(path: string): Promise<string> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return (await fh.readFile()).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** The whole tree's names (in readdir order) and every ctl and cmd file's text. */
async function snapshot(): Promise<unknown> {
  const tree: Record<string, unknown> = {};
  const walk = async (rel: string): Promise<void> => {
    const names: string[] = [];
    for await (const d of await opendir(m.path(rel))) {
      names.push(d.name);
      const p = join(rel, d.name);
      if (d.isDirectory()) await walk(p);
      else if (['ctl', 'cmd', 'sched'].includes(d.name)) tree[p] = await readFile(m.path(p), 'utf8');
    }
    tree[rel || '/'] = names;
  };
  await walk('');
  return tree;
}

/**
 * Writes one line; asserts the write failed with `code`, that nothing in the tree or the ctl files changed,
 * and that /log got one new line quoting the line and saying `detail`.
 */
async function refused(line: string, code: string, detail: string, file = 'ctl'): Promise<void> {
  const before = await snapshot();
  const logBefore = (await readNow(m.path('log'))).split('\n').length;
  await assert.rejects(appendFile(m.path(file), `${line}\n`), (e: NodeJS.ErrnoException) => {
    assert.equal(e.code, code, `${JSON.stringify(line)}: ${e.message}`);
    return true;
  });
  assert.deepEqual(await snapshot(), before, `${JSON.stringify(line)} left something half-made`);
  const fresh = (await readNow(m.path('log'))).split('\n').slice(logBefore - 1).filter((l) => l.includes(' refused: '));
  const where = `/${file}`;
  assert.equal(fresh.length, 1, `one refusal logged for ${JSON.stringify(line)}; got ${JSON.stringify(fresh)}`);
  assert.match(fresh[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z error /);
  // Control characters from the user reach /log escaped.
  const shown = line.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  assert.equal(fresh[0].replace(/^\S+ error /, ''), `${where}: '${shown}' refused: ${detail}`);
}

test('an unknown verb: EINVAL, with the list of verbs', async () => {
  await refused('plya', 'EINVAL', `'plya': unknown verb 'plya' (expected ${ROOT_VERBS}, or 'NAME cmd args | cmd args ...' to make a chain)`);
});

test('a chain whose program does not exist: ENOENT, and no chain is made even though the other stages exist', async () => {
  await refused('x passthrough | audiofs-no-such-program -q | passthrough', 'ENOENT',
    "program 'audiofs-no-such-program' not found in PATH (expected an executable file)");
  await refused('x /nonexistent/prog', 'ENOENT', "program '/nonexistent/prog' not found as given (expected an executable file)");
  await refused('x no/such/prog', 'ENOENT', `program 'no/such/prog' not found under PATH and ${m.tmp} (expected an executable file)`);
  assert.equal(await exists(m.path('x')), false);
});

test('a chain name in use: EEXIST, and the existing chain is kept as it was', async () => {
  await refused('keep cat', 'EEXIST', "chain 'keep' exists as 'passthrough | passthrough -x' (expected a new name, or rm -r keep first)");
});

test('a line over 64 KiB: EINVAL, and nothing of it is applied', async () => {
  const long = `big passthrough ${'a '.repeat(40 * 1024)}`;
  const before = await snapshot();
  await assert.rejects(appendFile(m.path('ctl'), `${long}\n`), { code: 'EINVAL' });
  assert.deepEqual(await snapshot(), before);
  const log = await readNow(m.path('log'));
  assert.match(log, /\/ctl: 'big passthrough a a a [a ]*\.\.\.' refused: line longer than 65536 bytes \(expected a line of at most 64 KiB\)\n/);
  assert.ok(!log.split('\n').some((l) => l.length > 4096), 'the log line quotes the start of the line, not all of it');
  // A line split over many writes, never ending: refused as soon as it passes 64 KiB, and its tail is not taken as a command.
  const { stdout, stderr, code } = await sh(`{ printf 'big2 passthrough '; head -c 100000 /dev/zero | tr '\\0' x; printf ' \\nplay\\n'; } | dd bs=4096 of=${m.path('ctl')} oflag=append conv=notrunc 2>&1; echo "exit $?"`);
  assert.match(stdout, /Invalid argument/);
  assert.match(stdout, /exit 1\n$/);
  assert.equal(stderr, '');
  assert.equal(code, 0);
  assert.equal(await exists(m.path('big2')), false);
});

test('a write of several lines with a bad one: EINVAL, and none of its lines is applied, not even at close', async () => {
  const before = await snapshot();
  await assert.rejects(appendFile(m.path('ctl'), Buffer.concat([Buffer.from('ok1 passthrough\n'), Buffer.from([0xff, 0xfe]), Buffer.from(' bad\nok2 passthrough\n')])), { code: 'EINVAL' });
  await assert.rejects(appendFile(m.path('ctl'), 'ok5 passthrough\nok6 audiofs-no-such-program\nok7 passthrough\n'), { code: 'ENOENT' });
  await assert.rejects(appendFile(m.path('ctl'), 'ok3 passthrough\nplya\nok4 passthrough\n'), { code: 'EINVAL' });
  await assert.rejects(appendFile(m.path('keep', 'ctl'), 'stop\nplya\n'), { code: 'EINVAL' });
  assert.deepEqual(await snapshot(), before);
  for (const name of ['ok1', 'ok2', 'ok3', 'ok4', 'ok5', 'ok6', 'ok7']) assert.equal(await exists(m.path(name)), false, name);
  assert.match(await readNow(m.path('log')), /\/ctl: 'plya' refused: 'plya': unknown verb/);
});

test('bad chain names: / . .. control characters, reserved names: EINVAL', async () => {
  await refused('a/b passthrough', 'EINVAL', "chain name 'a/b' contains '/' (expected a name without '/')");
  await refused('. passthrough', 'EINVAL', "chain name '.' is '.' or '..' (expected a plain name)");
  await refused('.. passthrough', 'EINVAL', "chain name '..' is '.' or '..' (expected a plain name)");
  await refused('\x01x passthrough', 'EINVAL', "chain name '\\x01x' contains a control character (expected printable characters)");
  const reserved = 'is reserved (expected a name other than ctl, mixer, config, status, log, comments, out, stream.mp3, channels)';
  for (const name of ['ctl', 'status', 'log', 'out', 'mixer']) {
    await refused(`${name} passthrough`, 'EINVAL', `chain name '${name}' ${reserved}`);
  }
});

test('empty stages and unterminated quotes: EINVAL', async () => {
  await refused('x passthrough | | passthrough', 'EINVAL', "empty stage in 'x passthrough | | passthrough' (expected 'cmd args | cmd args ...')");
  await refused('x passthrough |', 'EINVAL', "empty stage in 'x passthrough |' (expected 'cmd args | cmd args ...')");
  await refused("x passthrough 'a", 'EINVAL', "unterminated quote in 'x passthrough 'a' (expected a closing ')");
});

test('verbs with wrong arguments: EINVAL, saying what was expected', async () => {
  await refused('seek', 'EINVAL', "'seek': seek takes one time in seconds (expected 'seek T')");
  await refused('seek soon', 'EINVAL', "'seek soon': 'soon' is not a time (expected seconds >= 0, e.g. 12.5)");
  await refused('loop 5', 'EINVAL', "'loop 5': expected 'loop A B' (seconds) or 'loop off'");
  await refused('realtime maybe', 'EINVAL', "'realtime maybe': expected 'realtime on' or 'realtime off'");
  await refused('play now', 'EINVAL', "'play now': play takes no arguments (got 'now')");
});

test('NAME/ctl bad lines: EINVAL', async () => {
  await refused('plya', 'EINVAL', `'plya': unknown verb 'plya' (expected ${CHAIN_VERBS})`, 'keep/ctl');
  await refused('type mp3', 'EINVAL', "'type mp3': expected 'type midi', 'type pcm', 'type wav' or 'type auto'", 'keep/ctl');
  await refused('realtime', 'EINVAL', "'realtime': expected 'realtime on' or 'realtime off'", 'keep/ctl');
  await refused('restart now', 'EINVAL', "'restart now': restart takes no arguments (got 'now')", 'keep/ctl');
});

test('sched bad lines: EINVAL', async () => {
  for (const line of ['nice 50', 'nice', 'rt fifo 0', 'rt other 5', 'cpu x', 'cpu', 'bogus 1']) {
    await refused(line, 'EINVAL', `'${line}': ${SCHED}`, 'keep/passthrough/sched');
  }
});

test('cmd bad lines: a missing program is ENOENT, a pipe is EINVAL; the stage keeps its command', async () => {
  await refused('audiofs-no-such-program', 'ENOENT', "program 'audiofs-no-such-program' not found in PATH (expected an executable file)", 'keep/passthrough/cmd');
  await refused('cat | cat', 'EINVAL', "'cat | cat': a stage runs one command (expected no '|')", 'keep/passthrough/cmd');
});

test('the shell sees the errno: /bin/echo into ctl fails with exit 1 and the strerror text', async () => {
  const r = await sh(`/bin/echo plya >> ${m.path('ctl')}`);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, '/bin/echo: write error: Invalid argument\n');
  const e = await sh(`/bin/echo 'keep passthrough' >> ${m.path('ctl')}`);
  assert.equal(e.code, 1);
  assert.equal(e.stderr, '/bin/echo: write error: File exists\n');
  const n = await sh(`/bin/echo 'y audiofs-no-such-program' >> ${m.path('ctl')}`);
  assert.equal(n.code, 1);
  assert.equal(n.stderr, '/bin/echo: write error: No such file or directory\n');
});

test('mkfifo, mknod, ln -s and ln: EPERM (only directories and regular files are kept), and nothing is made', async () => {
  for (const [cmd, want] of [
    [`mkfifo ${m.path('fifo')}`, /Operation not permitted/],
    [`mknod ${m.path('node')} p`, /Operation not permitted/],
    [`ln -s ctl ${m.path('keep', 'link')}`, /Operation not permitted/],
    [`ln ${m.path('ctl')} ${m.path('hard')}`, /Operation not permitted/],
  ] as const) {
    const r = await sh(cmd);
    assert.equal(r.code, 1, cmd);
    assert.match(r.stderr, want, cmd);
  }
  for (const name of ['fifo', 'node', 'keep/link', 'hard']) assert.equal(await exists(m.path(name)), false, name);
});

test('Plan 9 quoting end to end: one stage with exactly the argv the rules give, and no shell runs', async () => {
  const line = "q print-args '%s|%s' 'a''b' ';$(touch y)>y' `touch y` >y 'two words' '' '|'";
  await m.ctl(line);
  assert.deepEqual((await entriesInOrder(m.path('q'))).filter((n) => !['in', 'out', 'ctl', 'mixer'].includes(n)), ['print-args'], 'one stage');
  assert.equal(await readFile(m.path('q/print-args/cmd'), 'utf8'), "print-args '%s|%s' 'a''b' ';$(touch y)>y' `touch y` >y 'two words' '' '|'\n");
  await m.ctl('play', 'q/ctl');
  await waitFor(async () => /exited 0/.test(await readFile(m.path('status'), 'utf8')), 'print-args to exit');
  assert.equal(await readFile(m.path('q/print-args/err'), 'utf8'),
    '[%s|%s]\n' + "[a'b]\n" + '[;$(touch y)>y]\n' + '[`touch]\n' + '[y`]\n' + '[>y]\n' + '[two words]\n' + '[]\n' + '[|]\n');
  assert.deepEqual((await readdir(m.tmp)).filter((n) => n === 'y'), [], 'no file y in audiofs\'s working directory');
  assert.equal(await exists(m.path('y')), false);
  assert.match(await readFile(m.path('ctl'), 'utf8'), /^q print-args '%s\|%s' 'a''b' ';\$\(touch y\)>y' `touch y` >y 'two words' '' '\|'$/m);
});

/** Runs a shell command; resolves with its output and exit code whatever the code. */
async function sh(command: string): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('sh', ['-c', command], { maxBuffer: 1 << 24 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}
