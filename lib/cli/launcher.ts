import { readFileSync } from 'node:fs';

/**
 * The command that runs the audiofs launcher (bin/audiofs) with the Node that runs this process: the node
 * options of the launcher's first line (`#!/usr/bin/env -S node OPTIONS`, their one home) before its path.
 * What the daemon starts, and what the tests mount with; whichever `node` comes first on PATH may be another.
 */
export function launcherCommand(launcher: string): string[] {
  const first = readFileSync(launcher, 'utf8').split('\n', 1)[0];
  const m = /^#!\S*env (?:-S )?node((?: --?[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  if (!m) throw new Error(`${launcher}: its first line is '${first}' (expected '#!/usr/bin/env -S node OPTIONS')`);
  return [process.execPath, ...m[1].split(' ').filter((a) => a !== ''), launcher];
}
