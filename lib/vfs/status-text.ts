import type { Project } from '../studio/project.js';
import { dumpYaml } from './yaml-text.js';

/** What reading /status gives: transport, mode and per chain its stages, pids and states, as YAML. */
export function statusText(project: Project): string {
  const chains: Record<string, unknown> = {};
  const mix = project.transport.sourceStatuses();
  for (const chain of project.chains.values()) {
    const run = chain.run;
    chains[chain.name] = {
      state: run ? (run.ended ? 'ended' : 'running') : 'idle',
      ...mix.get(chain.name),
      input: { bytes: chain.input.size, type: chain.inputType, live: chain.liveInput },
      stages: chain.stages.map((s) => ({
        name: s.name,
        command: s.commandLine,
        pid: s.proc && s.proc.state !== 'exited' ? s.proc.pid : null,
        state: s.state,
        ...(s.lastExit ? { exit_code: s.lastExit.exitCode, signal: s.lastExit.signal, ...(s.lastExit.signal ? { stopped_by_audiofs: s.lastExit.byAudiofs === true } : {}) } : {}),
        bypassed: s.bypassed,
        out_bytes: s.out.written,
        ...(run && !run.ended ? { buffered_bytes: run.buffered(s) } : {}),
      })),
      out_bytes: chain.out.written,
    };
  }
  return dumpYaml({
    ...project.transport.status(),
    outputs: {
      http: project.outputs.httpAddress ?? 'off',
      mp3: project.outputs.mp3.map((m) => ({ bitrate: m.bitrate, dropped: m.dropped })),
      icecast: project.outputs.icecast?.status() ?? 'off',
      device: project.outputs.device ? 'on' : 'off',
    },
    memory: project.memory(),
    chains,
  });
}
