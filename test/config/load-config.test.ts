import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, defaultConfig, defaultConfigFile, loadConfig } from '../../lib/config/index.js';

async function tempHome(): Promise<{ home: string; env: NodeJS.ProcessEnv; done: () => Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'audiofs-config-'));
  return { home, env: { HOME: home }, done: () => rm(home, { recursive: true, force: true }) };
}

test('the default file is ~/.config/audiofs/config.yaml, or under $XDG_CONFIG_HOME', () => {
  assert.equal(defaultConfigFile({ HOME: '/h' }), '/h/.config/audiofs/config.yaml');
  assert.equal(defaultConfigFile({ HOME: '/h', XDG_CONFIG_HOME: '/x' }), '/x/audiofs/config.yaml');
  assert.equal(defaultConfigFile({ HOME: '/h', XDG_CONFIG_HOME: 'relative' }), '/h/.config/audiofs/config.yaml');
});

test('a missing default file means defaults', async () => {
  const { home, env, done } = await tempHome();
  try {
    const loaded = await loadConfig(undefined, { mountDir: '/m', env });
    assert.deepEqual(loaded, { config: defaultConfig('/m', env), file: join(home, '.config/audiofs/config.yaml'), found: false });
  } finally {
    await done();
  }
});

test('the default file is read, $XDG_CONFIG_HOME first', async () => {
  const { home, done } = await tempHome();
  try {
    const xdg = join(home, 'xdg');
    await mkdir(join(xdg, 'audiofs'), { recursive: true });
    await writeFile(join(xdg, 'audiofs', 'config.yaml'), 'rate: 48000\n');
    const env = { HOME: home, XDG_CONFIG_HOME: xdg };
    const loaded = await loadConfig(undefined, { mountDir: '/m', env });
    assert.equal(loaded.config.rate, 48000);
    assert.equal(loaded.found, true);
    assert.equal(loaded.file, join(xdg, 'audiofs', 'config.yaml'));
  } finally {
    await done();
  }
});

test('--config FILE must exist; an invalid file names itself and the key', async () => {
  const { home, env, done } = await tempHome();
  try {
    const missing = join(home, 'nope.yaml');
    await assert.rejects(loadConfig(missing, { mountDir: '/m', env }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, `${missing}: config: expected a readable file, got ENOENT`);
      return true;
    });
    const bad = join(home, 'bad.yaml');
    await writeFile(bad, 'mp3: [{bitrate: 100}]\n');
    await assert.rejects(loadConfig(bad, { mountDir: '/m', env }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.key, 'mp3[0].bitrate');
      assert.equal(err.path, bad);
      assert.match(err.message, new RegExp(`^${bad}: config: mp3\\[0\\]\\.bitrate: expected one of 32, .*, got 100$`));
      return true;
    });
  } finally {
    await done();
  }
});
