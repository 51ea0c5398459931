import { test } from 'node:test';
import assert from 'node:assert/strict';
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
    await sleep(200);
    assert.deepEqual(seen.configs.map((c) => c.rate), [48000]);
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

test('touching other files in the directory and rewriting the same text say nothing', async () => {
  await withWatcher(async (file, seen, dir) => {
    await writeFile(join(dir, 'other.yaml'), 'rate: 1\n');
    await writeFile(file, 'rate: 44100\n');
    await sleep(300);
    assert.deepEqual(seen, { configs: [], errors: [] });
  });
});

test('a removed file is an error, not a change', async () => {
  await withWatcher(async (file, seen) => {
    await rm(file);
    await until('an error', () => seen.errors.length > 0);
    assert.equal(seen.errors[0].message, `${file}: config: expected a readable file, got ENOENT`);
    assert.equal(seen.configs.length, 0);
  });
});
