import { readFileSync } from 'node:fs';

/**
 * The command that runs the audiofs launcher (bin/audiofs) with the Node that runs this process: the
 * environment and node options of the launcher's first line (`#!/usr/bin/env -S [NAME=VALUE ...] node
 * OPTIONS`, their one home) before its path; `env` sets the environment, as on the first line.
 * What the daemon starts, and what the tests mount with; whichever `node` comes first on PATH may be another.
 */
export function launcherCommand(launcher: string): string[] {
  const first = readFileSync(launcher, 'utf8').split('\n', 1)[0];
  const m = /^#!(\S*env) (?:-S )?((?:[A-Za-z_]\w*=\S* )*)node((?: --?[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  if (!m) throw new Error(`${launcher}: its first line is '${first}' (expected '#!/usr/bin/env -S [NAME=VALUE ...] node OPTIONS')`);
  const words = (s: string) => s.split(' ').filter((a) => a !== '');
  const settings = words(m[2]);
  return [...(settings.length > 0 ? [m[1], ...settings] : []), process.execPath, ...words(m[3]), launcher];
}
