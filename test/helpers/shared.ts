// Where ../shared (the project's shared fixtures) is: beside the repository (CI's layout), else /work/shared.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const candidates = [process.env.AUDIOFS_SHARED, join(REPO, '../shared'), '/work/shared'].filter((p): p is string => !!p);

/** The shared directory. */
export const SHARED = candidates.find((p) => existsSync(join(p, 'fixtures/midi'))) ?? candidates[0];
/** The real MIDI files with ground-truth note times. */
export const SHARED_MIDI = join(SHARED, 'fixtures/midi');
