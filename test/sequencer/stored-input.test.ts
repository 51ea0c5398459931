import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { StoredInput } from '../../lib/sequencer/stored-input.js';

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-stored-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A plain Buffer doing what a file does: the oracle for random operations. */
class FileModel {
  data = Buffer.alloc(0);
  write(offset: number, buf: Buffer): void {
    if (offset + buf.length > this.data.length) this.truncate(offset + buf.length);
    buf.copy(this.data, offset);
  }
  truncate(size: number): void {
    const next = Buffer.alloc(size);
    this.data.copy(next, 0, 0, Math.min(size, this.data.length));
    this.data = next;
  }
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('random writes, holes, truncates and reads match a plain buffer, across the spill to disk', async () => {
  await withDir(async (dir) => {
    const input = new StoredInput({ spillDir: dir, memoryLimit: 5000, name: 'piano' });
    const model = new FileModel();
    const random = seeded(7);
    for (let i = 0; i < 400; i++) {
      const op = random();
      if (op < 0.6) {
        const offset = Math.floor(random() * (model.data.length + 300));
        const buf = Buffer.from(Array.from({ length: Math.floor(random() * 700) }, () => Math.floor(random() * 256)));
        assert.equal(await input.write(offset, buf), buf.length);
        model.write(offset, buf);
      } else if (op < 0.7) {
        const size = Math.floor(random() * (model.data.length + 500));
        await input.truncate(size);
        model.truncate(size);
      } else {
        const offset = Math.floor(random() * (model.data.length + 10));
        const length = Math.floor(random() * 2000);
        assert.deepEqual(await input.read(offset, length), model.data.subarray(offset, offset + length));
      }
      assert.equal(input.size, model.data.length);
    }
    assert.equal(input.spilled, false);
    const past = Buffer.from('past the memory limit');
    await input.write(6000, past);
    model.write(6000, past);
    assert.equal(input.spilled, true);
    assert.deepEqual(await input.read(0, input.size), model.data);
    assert.equal((await readdir(dir)).filter((f) => f.startsWith('piano.') && f.endsWith('.spill')).length, 1);
    await input.clear();
    assert.equal(input.size, 0);
    assert.deepEqual(await readdir(dir), []);
    await input.write(0, Buffer.from('again'));
    assert.deepEqual(await input.read(0, 100), Buffer.from('again'));
    await input.truncate(6000);
    assert.equal(input.spilled, true);
    await input.dispose();
    assert.deepEqual(await readdir(dir), []);
    await assert.rejects(input.read(0, 1), { message: 'stored input read: expected a live input, got one already disposed' });
  });
});

test('copyTo writes the same bytes as a file model, in memory and once spilled, with mode 0600', async () => {
  await withDir(async (dir) => {
    const input = new StoredInput({ spillDir: dir, memoryLimit: 5000, name: 'copy' });
    const model = new FileModel();
    const random = seeded(7);
    for (const size of [3000, 9000]) {
      const buf = Buffer.from(Array.from({ length: size }, () => Math.floor(random() * 256)));
      await input.write(1000, buf);
      model.write(1000, buf);
      const copy = join(dir, `copy-${size}`);
      await input.copyTo(copy);
      assert.equal(input.spilled, size > 5000);
      assert.deepEqual(await readFile(copy), model.data);
      assert.equal((await stat(copy)).mode & 0o777, 0o600);
    }
    await input.dispose();
  });
});

test('a follower streams from an offset and also gets what is appended later, until the last writer closes', async () => {
  await withDir(async (dir) => {
    const input = new StoredInput({ spillDir: dir, memoryLimit: 1024 });
    input.countWriter(+1);
    await input.write(0, Buffer.from('0123456789'));
    const received: Buffer[] = [];
    const done = (async () => {
      for await (const chunk of input.chunks(4, { follow: true, chunkSize: 300 })) received.push(chunk);
    })();
    const appended: Buffer[] = [];
    for (let i = 0; i < 10; i++) {
      await sleep(5);
      const piece = Buffer.alloc(250, 65 + i);
      appended.push(piece);
      await input.write(input.size, piece);
    }
    input.countWriter(-1);
    await done;
    assert.deepEqual(Buffer.concat(received), Buffer.concat([Buffer.from('456789'), ...appended]));
    assert.ok(received.every((c) => c.length <= 300));
    assert.equal(input.spilled, true);
    await input.dispose();
  });
});

test('a follower ends on abort and on dispose; without follow a stream ends at the current end', async () => {
  await withDir(async (dir) => {
    const input = new StoredInput({ spillDir: dir });
    await input.write(0, Buffer.from('abc'));
    // A writer holds it open: followers wait at the end.
    input.countWriter(+1);
    const plain: Buffer[] = [];
    for await (const chunk of input.createReadStream(1)) plain.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(plain), Buffer.from('bc'));
    const controller = new AbortController();
    const aborted = (async () => {
      const got: Buffer[] = [];
      for await (const chunk of input.chunks(0, { follow: true, signal: controller.signal })) got.push(chunk);
      return Buffer.concat(got);
    })();
    const disposed = (async () => {
      let n = 0;
      for await (const chunk of input.chunks(0, { follow: true })) n += chunk.length;
      return n;
    })();
    await sleep(10);
    controller.abort();
    assert.deepEqual(await aborted, Buffer.from('abc'));
    await input.dispose();
    assert.equal(await disposed, 3);
  });
});

test('1 GiB written and streamed back stays at a few MiB of memory and comes back intact', async () => {
  await withDir(async (dir) => {
    const chunk = 1024 * 1024;
    const total = 1024;
    const input = new StoredInput({ spillDir: dir });
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const retained = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await sleep(20);
      }
      const now = process.memoryUsage();
      return now.heapUsed + now.arrayBuffers;
    };
    const retainedBefore = await retained();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    let peakBuffers = before.arrayBuffers;
    const sample = () => {
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakHeap = Math.max(peakHeap, now.heapUsed);
      peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
    };
    const written = createHash('sha256');
    const buf = Buffer.alloc(chunk);
    for (let i = 0; i < total; i++) {
      buf.fill(i & 0xff);
      buf.writeUInt32LE(i, 0);
      written.update(buf);
      await input.write(i * chunk, buf);
      if (i % 64 === 0) sample();
    }
    const readBack = createHash('sha256');
    let n = 0;
    for await (const piece of input.chunks(0, { chunkSize: 256 * 1024 })) {
      readBack.update(piece);
      if (++n % 256 === 0) sample();
    }
    assert.equal(input.size, total * chunk);
    const retainedGrowth = ((await retained()) - retainedBefore) / 2 ** 20;
    assert.equal(readBack.digest('hex'), written.digest('hex'));
    const rssGrowth = (peakRss - before.rss) / 2 ** 20;
    const heapGrowth = (peakHeap - before.heapUsed) / 2 ** 20;
    const bufferGrowth = (peakBuffers - before.arrayBuffers) / 2 ** 20;
    console.log(`# 1 GiB stored input: peak RSS +${rssGrowth.toFixed(1)} MiB, heap +${heapGrowth.toFixed(1)} MiB, buffers +${bufferGrowth.toFixed(1)} MiB; retained after GC +${retainedGrowth.toFixed(2)} MiB`);
    assert.ok(retainedGrowth < 4, `memory retained with 1 GiB stored: ${retainedGrowth} MiB`);
    assert.ok(rssGrowth < 64, `RSS grew by ${rssGrowth} MiB`);
    assert.ok(heapGrowth < 32, `heap grew by ${heapGrowth} MiB`);
    await input.dispose();
    assert.deepEqual(await readdir(dir), []);
  });
});
