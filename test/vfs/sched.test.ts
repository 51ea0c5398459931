import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import { mountAudiofs, openReader, pipeline, run, soxSignal, waitFor, type TestMount } from '../helpers/mount.js';
import { startSshd } from '../helpers/sshd.js';

const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';

/** What the kernel says of a process's scheduling: nice, policy (0 normal, 1 fifo, 2 rr), rt priority, CPUs. */
async function schedOf(pid: number): Promise<{ nice: number; policy: number; rtPriority: number; cpus: string }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses: state is field 3, so field N is at index N - 3.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return { nice: Number(f[19 - 3]), rtPriority: Number(f[40 - 3]), policy: Number(f[41 - 3]), cpus: /Cpus_allowed_list:\s*(\S+)/.exec(status)![1] };
}

async function stagePid(m: TestMount, chain: string, stage: string): Promise<number> {
  return waitFor(async () => {
    const s = yaml.load(await readFile(m.path('status'), 'utf8')) as any;
    const st = s.chains[chain].stages.find((x: any) => x.name === stage);
    return st?.state === 'running' ? (st.pid as number) : 0;
  }, `${chain}/${stage} running`);
}

/** The pids of processes whose whole command line is `argv`. */
async function pidsRunning(argv: string[]): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-x', '-f', argv.join(' ')]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map(Number);
}

test('sched lines are applied to a running stage, stored, read back and applied again when it restarts', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('busy never-exits');
    await m.ctl('play');
    const first = await stagePid(m, 'busy', 'never-exits');
    for (const line of ['nice 7', 'cpu 0', 'rt fifo 10']) await m.ctl(line, 'busy/never-exits/sched');
    assert.deepEqual(await schedOf(first), { nice: 7, policy: 1, rtPriority: 10, cpus: '0' });
    assert.equal(await readFile(m.path('busy/never-exits/sched'), 'utf8'), 'nice 7\ncpu 0\nrt fifo 10\n');
    await m.ctl('restart', 'busy/ctl');
    const second = await waitFor(async () => {
      const pid = await stagePid(m, 'busy', 'never-exits');
      return pid !== first ? pid : 0;
    }, 'a new process');
    await waitFor(async () => (await schedOf(second)).policy === 1, 'sched applied to the new process');
    assert.deepEqual(await schedOf(second), { nice: 7, policy: 1, rtPriority: 10, cpus: '0' });
  } finally {
    assert.equal(await m.close(), 0);
  }
});

test('a stage run over ssh: its data is the pipeline\'s, its sched lines run on the host, its stderr has no marker, and rm -r ends the remote command', async () => {
  const sshd = await startSshd();
  const m = await mountAudiofs();
  // A remote command we can find on the "remote" host (this machine, through a real sshd).
  const remoteSleep = ['sleep', '3607.25'];
  try {
    await m.ctl('realtime off');
    const input = await soxSignal(m.tmp, 'in.raw', ['2', 'sine', '440']);
    const ssh = ['ssh', ...sshd.options, sshd.destination];
    await m.ctl(`far ${ssh.join(' ')} sox -D -q ${RAW} - ${RAW} - vol 0.5 | sox -D -q ${RAW} - ${RAW} - reverse`);
    await writeFile(m.path('far/in'), await readFile(input));
    const out = (await openReader(m.path('far/out'))).all;
    await m.ctl('play');
    assert.deepEqual(await out, await pipeline(`sox -D -q ${RAW} - ${RAW} - vol 0.5 | sox -D -q ${RAW} - ${RAW} - reverse`, input), 'the same bytes as the local pipeline');
    await m.ctl('stop');

    await m.ctl(`idle ${ssh.join(' ')} ${remoteSleep.join(' ')}`);
    await m.ctl('nice 5', 'idle/ssh/sched');
    await m.ctl('realtime on');
    await m.ctl('play');
    const remote = await waitFor(() => pidsRunning(remoteSleep).then((p) => (p.length === 1 ? p[0] : 0)), 'the remote command');
    await waitFor(async () => (await schedOf(remote)).nice === 5, 'the stored sched line applied on the host', 15_000);
    await m.ctl('cpu 0', 'idle/ssh/sched');
    assert.equal((await schedOf(remote)).cpus, '0', 'a line written while it runs is applied at once');
    assert.equal((await schedOf(remote)).nice, 5);
    const local = await stagePid(m, 'idle', 'ssh');
    assert.notEqual((await schedOf(local)).cpus, '0', 'the local ssh client is left alone');
    assert.doesNotMatch(await readFile(m.path('idle/ssh/err'), 'utf8'), /audiofs-remote-pid/);
    await run('rm', ['-r', m.path('idle')]);
    await waitFor(async () => (await pidsRunning(remoteSleep)).length === 0, 'the remote command to end');
  } finally {
    assert.equal(await m.close(), 0);
    await sshd.close();
    for (const pid of await pidsRunning(remoteSleep)) process.kill(pid, 'SIGKILL');
  }
});

// O_TRUNC used to reach audiofs as a truncate after the open: the lines the open found were kept and the new
// ones added to them (echo 'nice 5' > sched twice gave two lines; cp -a over a project doubled them). The mount
// now takes O_TRUNC with the open (atomic_o_trunc).
test('echo > sched and cp over it replace its lines, a refused one changes nothing, : > empties it; echo >> sched adds one', async () => {
  const m = await mountAudiofs();
  try {
    await m.ctl('a passthrough');
    const sched = m.path('a/passthrough/sched');
    const sh = (cmd: string) => run('bash', ['-c', cmd], { cwd: m.dir, timeout: 10_000 });
    await sh("echo 'nice 5' > a/passthrough/sched");
    await sh("echo 'nice 5' > a/passthrough/sched");
    assert.equal(await readFile(sched, 'utf8'), 'nice 5\n');
    await sh("echo 'nice 3' >> a/passthrough/sched");
    assert.equal(await readFile(sched, 'utf8'), 'nice 5\nnice 3\n');
    await writeFile(`${m.tmp}/sched`, 'nice 7\n');
    await sh(`cp ${m.tmp}/sched a/passthrough/sched`);
    assert.equal(await readFile(sched, 'utf8'), 'nice 7\n');
    // A refused rewrite changes nothing: the lines from before the open stay.
    await assert.rejects(sh("printf 'nice 4\\nbogus 1\\n' > a/passthrough/sched"));
    assert.equal(await readFile(sched, 'utf8'), 'nice 7\n');
    await sh(': > a/passthrough/sched');
    assert.equal(await readFile(sched, 'utf8'), '');
  } finally {
    assert.equal(await m.close(), 0);
  }
});
