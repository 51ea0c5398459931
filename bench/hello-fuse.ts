// libfuse's C example built and mounted here (bench/hello-fuse.c): the floor of a FUSE round trip and of a reader
// of a stream through FUSE on this machine, without JavaScript or any work behind the answers.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../test/helpers/mount.js';

/** A mounted hello-fuse: `mnt` holds /ctl and /stream; `close` unmounts it. */
export interface HelloFuse {
  mnt: string;
  close(): void;
}

/** Builds and mounts bench/hello-fuse.c (reads of /stream give `streamBytes` each); a reason when it cannot. */
export function mountHelloFuse(streamBytes = 1 << 30): HelloFuse | string {
  const include = join(ROOT, 'node_modules/fuse-shared-library-linux/libfuse/include');
  const dir = mkdtempSync(join(tmpdir(), 'audiofs-hello-'));
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  const gone = () => rmSync(dir, { recursive: true, force: true });
  const built = spawnSync('gcc', ['-O2', '-D_FILE_OFFSET_BITS=64', `-I${include}`, '-o', join(dir, 'hello'), join(ROOT, 'bench/hello-fuse.c'), '-l:libfuse.so.2', '-lpthread'], { encoding: 'utf8' });
  if (built.status !== 0) {
    gone();
    return `not built (${built.stderr.split('\n')[0]})`;
  }
  const mounted = spawnSync(join(dir, 'hello'), [mnt, '-o', 'direct_io,attr_timeout=30,entry_timeout=30'], { env: { ...process.env, HELLO_STREAM_BYTES: String(streamBytes) }, encoding: 'utf8' });
  if (mounted.status !== 0) {
    gone();
    return `not mounted (${mounted.stderr.split('\n')[0]})`;
  }
  return {
    mnt,
    close: () => {
      spawnSync('fusermount', ['-u', mnt]);
      gone();
    },
  };
}
