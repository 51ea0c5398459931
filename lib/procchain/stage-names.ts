import type { StageArgv } from './tokenize.js';

/**
 * Directory names for a chain's stages (DESIGN.md section 3): the last element of the command path;
 * paths that collide on it use the whole path with `/` as `_`; identical commands add their arguments
 * with `-` up to and including the first that differs; a name still taken gets -2, -3.
 */
export function stageNames(stages: readonly StageArgv[], taken: Iterable<string> = []): string[] {
  const base = stages.map((argv) => baseName(argv[0]));
  const names = stages.map((argv, i) => {
    const sameBase = stages.filter((_, j) => base[j] === base[i]);
    if (sameBase.length === 1) return base[i];
    const byPath = stages.filter((_, j) => base[j] === base[i] && stages[j][0] !== argv[0]).length > 0;
    const head = byPath ? pathName(argv[0]) : base[i];
    const twins = stages.filter((other) => other[0] === argv[0] && other !== argv);
    if (twins.length === 0) return head;
    const upTo = firstDifference(argv, twins);
    const pieces = argv.slice(1, upTo + 1).map(argPiece).filter((p) => p !== '');
    return [head, ...pieces].join('-');
  });
  const used = new Set(taken);
  return names.map((name) => {
    let unique = name;
    for (let k = 2; used.has(unique); k++) unique = `${name}-${k}`;
    used.add(unique);
    return unique;
  });
}

/** The name a single new stage gets beside the existing ones. */
export function nextStageName(argv: StageArgv, taken: Iterable<string>): string {
  return stageNames([argv], taken)[0];
}

function baseName(cmd: string): string {
  const parts = cmd.split('/').filter((p) => p !== '');
  return sanitize(parts[parts.length - 1] ?? cmd);
}

function pathName(cmd: string): string {
  return sanitize(cmd.split('/').filter((p) => p !== '').join('_'));
}

function argPiece(arg: string): string {
  const piece = arg.replace(/^-+/, '').replace(/\//g, '_');
  return piece === '' ? '' : sanitize(piece);
}

function sanitize(s: string): string {
  const clean = s.replace(/[\x00-\x1f\x7f/]/g, '_');
  return clean === '.' || clean === '..' || clean === '' ? `_${clean}` : clean;
}

/** Index of the first argument (1-based into argv) where argv differs from every twin; argv.length-1 if none. */
function firstDifference(argv: StageArgv, twins: readonly StageArgv[]): number {
  let worst = 0;
  for (const t of twins) {
    let i = 1;
    while (i < argv.length && i < t.length && argv[i] === t[i]) i++;
    worst = Math.max(worst, i);
  }
  return Math.min(worst, argv.length - 1);
}
