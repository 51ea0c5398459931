import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watch } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchConfig, type Config, type ConfigError } from '../../lib/config/index.js';

interface Seen { configs: Config[]; errors: ConfigError[] }

async function withWatcher(body: (file: string, seen: Seen, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-watch-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, 'rate: 44100\n');
  const seen: Seen = { configs: [], errors: [] };
  const watcher = watchConfig(file, {
    mountDir: '/m',
    env: { HOME: dir },
    debounceMs: 50,
    onChange: (c) => seen.configs.push(c),
    onError: (e) => seen.errors.push(e),
  });
  try {
    await sleep(100);
    await body(file, seen, dir);
  } finally {
    watcher.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (ok()) return;
    await sleep(20);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('an in-place write hands over the new config once', async () => {
  await withWatcher(async (file, seen) => {
    await writeFile(file, 'rate: 48000\n');
    await until('a change', () => seen.configs.length > 0);
    // Every event of that write came before this one's, and reads run in order: a second report of
    // 48000 would come before 22050.
    await writeFile(file, 'rate: 22050\n');
    await until('the second change', () => seen.configs.some((c) => c.rate === 22050));
    assert.deepEqual(seen.configs.map((c) => c.rate), [48000, 22050]);
    assert.deepEqual(seen.errors, []);
  });
});

test("an editor's write-to-temp and rename is seen, repeatedly", async () => {
  await withWatcher(async (file, seen, dir) => {
    for (const [i, level] of ['debug', 'warn', 'error'].entries()) {
      const temp = join(dir, `.config.yaml.swp${i}`);
      await writeFile(temp, `log: {level: ${level}}\n`);
      await rename(temp, file);
      await until(`change ${i}`, () => seen.configs.length === i + 1);
    }
    assert.deepEqual(seen.configs.map((c) => c.log.level), ['debug', 'warn', 'error']);
  });
});

test('an invalid file is reported and a fixed one is taken again', async () => {
  await withWatcher(async (file, seen) => {
    await writeFile(file, 'channels: 99\n');
    await until('an error', () => seen.errors.length > 0);
    assert.equal(seen.errors[0].message, `${file}: config: channels: expected a whole number from 1 to 8, got 99`);
    assert.equal(seen.configs.length, 0);
    await writeFile(file, 'channels: 1\n');
    await until('a change', () => seen.configs.length > 0);
    assert.equal(seen.configs[0].channels, 1);
  });
});

/** Resolves once the directory's next event for `name` has been delivered (to every watcher of the directory). */
function nextEvent(dir: string, name: string): { seen: Promise<void>; close: () => void } {
  let close = (): void => undefined;
  const seen = new Promise<void>((resolve) => {
    const w = watch(dir, (_e, changed) => {
      if (changed === name) { w.close(); resolve(); }
    });
    close = () => w.close();
  });
  return { seen, close };
}

/** Turns of the event loop: with time mocked, only promises and I/O callbacks that are due can run. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

test('touching other files in the directory and rewriting the same text say nothing', async (t) => {
  await withWatcher(async (file, seen, dir) => {
    // A virtual clock drives the debounce, so each write is read on its own and in order: the check of
    // the same text is queued before the marker's, and a report from it would come first.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    // Each write is a write to a temporary file renamed over the name, so a read started by the previous step
    // (it is not waited for) sees a whole text, old or new, never the empty file of a truncation.
    let n = 0;
    const step = async (name: string, text: string): Promise<void> => {
      const event = nextEvent(dir, name);
      try {
        const temp = join(dir, `.step-${n++}`);
        await writeFile(temp, text);
        await rename(temp, join(dir, name));
        let delivered = false;
        void event.seen.then(() => { delivered = true; });
        await untilReal(`the event of the write of ${name}`, () => delivered);
      } finally {
        event.close();
      }
      await turns();
      t.mock.timers.tick(50);
      await turns();
    };
    // A first change, seen, so the watcher surely holds the text that is then written again.
    await step('config.yaml', 'rate: 48000\n');
    await untilReal('the first change', () => seen.configs.length > 0);
    await step('other.yaml', 'rate: 1\n');
    await step('config.yaml', 'rate: 48000\n');
    await step('config.yaml', 'rate: 22050\n');
    await untilReal('the marker change', () => seen.configs.length > 1);
    assert.deepEqual({ rates: seen.configs.map((c) => c.rate), errors: seen.errors }, { rates: [48000, 22050], errors: [] });
    assert.equal(file, join(dir, 'config.yaml'));
  });
});

/** Polls `ok` on real time (setTimeout may be mocked). */
async function untilReal(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (ok()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`timed out after ${ms} ms waiting for ${what}`);
}

test('a removed file is an error, not a change', async () => {
  await withWatcher(async (file, seen) => {
    await rm(file);
    await until('an error', () => seen.errors.length > 0);
    assert.equal(seen.errors[0].message, `${file}: config: expected a readable file, got ENOENT`);
    assert.equal(seen.configs.length, 0);
  });
});
