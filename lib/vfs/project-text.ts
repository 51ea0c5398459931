import { stageNames } from '../procchain/stage-names.js';
import { CHAIN_FILES } from './names.js';
import type { Project } from './project.js';
import { quoteWord } from '../procchain/tokenize.js';

/**
 * What reading /ctl gives: the lines that rebuild the project, in order. A chain whose stage names
 * are what its line would give is one line; other chains (made with mkdir) come back from their directories.
 */
export function projectLines(project: Project): string {
  const lines = transportLines(project);
  for (const chain of project.chains.values()) {
    const stages = chain.stages;
    if (stages.length === 0 || stages.some((s) => s.argv.length === 0)) continue;
    const names = stageNames(stages.map((s) => s.argv), CHAIN_FILES);
    if (names.some((n, i) => n !== stages[i].name)) continue;
    lines.push(`${quoteWord(chain.name)} ${chain.definition}`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** The /ctl lines of the transport settings that differ from a new mount's (realtime off, loop, steps, collect, trace). */
export function transportLines(project: Project): string[] {
  const lines: string[] = [];
  const t = project.transport;
  if (!t.realtime) lines.push('realtime off');
  if (t.loop) lines.push(`loop ${t.loop.from} ${t.loop.to}`);
  if (t.stepBars !== null) lines.push(`steps ${t.stepBars}`);
  if (project.outputs.out.collecting) lines.push('collect on');
  if (project.engine.trace) lines.push('trace on');
  return lines;
}
