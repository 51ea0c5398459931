import yaml from 'js-yaml';
import type { Project } from './project.js';

/** What reading /status gives: transport, mode and per chain its stages, pids and states, as YAML. */
export function statusText(project: Project): string {
  const chains: Record<string, unknown> = {};
  for (const chain of project.chains.values()) {
    const run = chain.run;
    chains[chain.name] = {
      state: run ? (run.ended ? 'ended' : 'running') : 'idle',
      input: { bytes: chain.input.size, type: chain.inputType, live: chain.liveInput },
      stages: chain.stages.map((s) => ({
        name: s.name,
        command: s.commandLine,
        pid: s.proc && s.proc.state !== 'exited' ? s.proc.pid : null,
        state: s.state,
        ...(s.lastExit ? { exit_code: s.lastExit.exitCode, signal: s.lastExit.signal } : {}),
        bypassed: s.bypassed,
        out_bytes: s.out.written,
      })),
      out_bytes: chain.out.written,
    };
  }
  return yaml.dump({
    transport: project.transport,
    mode: project.realtime ? 'realtime' : 'export',
    chains,
  }, { lineWidth: -1 });
}
