// The endless radio: plays a queue of tracks as one stream, with fade-in, playback, crossmatch, crossfade and fade-out.
import type { Decibels, Frames, GainFactor, Seconds } from '../base/units.js';
import { dbToGain } from '../base/units.js';
import { framesToSeconds, secondsToFrames, type PcmFormat } from '../base/pcm-format.js';
import type { AnalysisCache } from './analysis-cache.js';
import type { LoadedTrack } from './load-track.js';
import { Lookahead, type LookaheadOptions } from './lookahead.js';
import { WorkerLoader } from './worker-loader.js';
import { formatNowPlaying, titleOf, type NowPlaying } from './now-playing.js';
import { toS16le } from './pcm-buffer.js';
import { Limiter } from './limiter.js';
import { MAX_BOOST, outputLimiter } from './normalize.js';
import { StretchVoice, type WsolaOptions } from './stretch-voice.js';
import { chooseOutro, planTransition, usableBeats, type Outro } from './transition-plan.js';
import type { TrackQueue } from './track-queue.js';

/** What the radio does, with its defaults in RADIO_DEFAULTS. */
export interface RadioOptions {
  format: PcmFormat;
  /** Beats of a crossmatch. */
  beats: number;
  /** Length of a plain crossfade (tempos too far apart). */
  crossfade: Seconds;
  fadeIn: Seconds;
  fadeOut: Seconds;
  /** The loudness every track is brought to (peaks permitting). */
  loudness: Decibels;
  /** Tempo ratio still crossmatched (also at double or half tempo). */
  maxRatio: number;
  cache?: AnalysisCache;
  /** How to load a track; by default on a worker thread (WorkerLoader), never on the thread that writes the audio. */
  load?: (path: string) => Promise<LoadedTrack>;
  /** How far ahead of the player tracks are loaded. */
  lookahead?: LookaheadOptions;
}

/** The defaults of RadioOptions (besides the format). */
export const RADIO_DEFAULTS = { beats: 16, crossfade: 4, fadeIn: 2, fadeOut: 4, loudness: -20, maxRatio: 1.25 };

/** Where the radio gets paths and sends audio and messages. */
export interface RadioIo {
  queue: TrackQueue;
  /** Writes PCM; resolves when the consumer wants more (backpressure paces the radio). */
  write: (chunk: Buffer) => Promise<void>;
  /** One line to stderr. */
  log: (line: string) => void;
}

interface Current {
  track: LoadedTrack;
  voice: StretchVoice;
  entryOut: Frames;
  entryIn: Frames;
  outro: Outro;
  outroOut: Frames;
}

const CHUNK: Frames = 2048;

/** Plays the queue until the input is closed and the last track has faded out. */
export async function runRadio(io: RadioIo, options: RadioOptions): Promise<void> {
  const loader = options.load ? undefined : new WorkerLoader({ format: options.format, cacheDirectory: options.cache?.directory, target: options.loudness });
  try {
    await playQueue(io, options, new Lookahead(io.queue, options.load ?? ((path) => loader!.load(path)), io.log, options.lookahead));
  } finally {
    await loader?.close();
  }
}

async function playQueue(io: RadioIo, options: RadioOptions, lookahead: Lookahead): Promise<void> {
  const { format } = options;
  const f = (s: Seconds): Frames => secondsToFrames(s, format);
  const wsola: WsolaOptions = { grain: 2 * Math.round(f(0.04) / 2), tolerance: f(0.01) };
  const events: Array<{ at: Frames; event: NowPlaying }> = [];
  const voices: StretchVoice[] = [];
  let outPos: Frames = 0;
  let finalEnd: Frames | undefined;

  // Every track to the one integrated loudness as heard through the limiter (the loader worked the gain out).
  const gainOf = (t: LoadedTrack): GainFactor => dbToGain(t.gain ?? Math.min(options.loudness - t.analysis.loudness, MAX_BOOST));
  const limiter = new Limiter(format.channels, outputLimiter(format.rate));
  let written: Frames = 0;
  const emit = async (chunk: Float32Array[]): Promise<void> => {
    const n = chunk[0].length;
    if (n === 0) return;
    events.sort((x, y) => x.at - y.at);
    while (events.length && events[0].at < written + n) io.log(formatNowPlaying(events.shift()!.event));
    await io.write(toS16le(chunk, n));
    written += n;
  };
  const sec = (frames: Frames): Seconds => framesToSeconds(frames, format);
  const becomeCurrent = (track: LoadedTrack, voice: StretchVoice, entryOut: Frames, entryIn: Frames, playbackFrom: Frames): Current => {
    const outro = chooseOutro(track.analysis, { entryIn: sec(entryIn), beats: options.beats, tail: 0.1 });
    const outroOut = entryOut + Math.round(outro.startIn * format.rate - entryIn);
    events.push({ at: playbackFrom, event: { action: 'playback', start: sec(playbackFrom), duration: sec(outroOut - playbackFrom), track: track.name, tempo: track.analysis.tempo } });
    return { track, voice, entryOut, entryIn, outro, outroOut };
  };

  const first = await lookahead.next();
  if (!first) return;
  const startedAt = performance.now();
  const firstVoice = new StretchVoice(first.pcm, { startOut: 0, startIn: 0, gain: gainOf(first), initialEnvelope: 0, wsola });
  const fadeIn = Math.min(f(options.fadeIn), first.pcm.frames);
  firstVoice.addRamp({ start: 0, end: fadeIn, from: 0, to: 1 });
  voices.push(firstVoice);
  events.push({ at: 0, event: { action: 'fade-in', start: 0, duration: sec(fadeIn), to: first.name, title: titleOf(first.name) } });
  let current = becomeCurrent(first, firstVoice, fadeIn, fadeIn, fadeIn);

  const planOutro = async (): Promise<void> => {
    let next: LoadedTrack | undefined;
    let self = false;
    // Never wait longer than the audio already written lasts beyond now (a consumer that plays in real time would
    // starve): with nothing loaded by then (the queue is dry, or the next track is still being decoded) the current
    // track goes on into itself and the question comes again at its next outro. A consumer faster than real time
    // (a file, an export) leaves time to wait.
    if (!lookahead.hasReady && !lookahead.starved) {
      const ahead = written / format.rate - (performance.now() - startedAt) / 1000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([lookahead.settled(), new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ahead - 0.5) * 1000)))]);
      clearTimeout(timer);
    }
    if (lookahead.hasReady || lookahead.finished) next = await lookahead.next();
    else {
      self = true;
      next = current.track;
    }
    const a = current;
    const t0 = a.outroOut;
    if (!next) {
      const end = t0 + Math.max(1, Math.min(f(options.fadeOut), a.track.pcm.frames - Math.round(a.outro.startIn * format.rate)));
      a.voice.addRamp({ start: t0, end, from: 1, to: 0 });
      a.voice.endOut = end;
      finalEnd = end;
      events.push({ at: t0, event: { action: 'fade-out', start: sec(t0), duration: sec(end - t0), from: a.track.name } });
      return;
    }
    const plan = planTransition(a.track.analysis, a.outro, next.analysis, { ...options, self });
    const point = (at: Seconds, input: Seconds) => ({ out: t0 + f(at), in: input * format.rate });
    for (const p of plan.fromMap) if (t0 + f(p.at) > a.entryOut) a.voice.addPoint(point(p.at, p.in));
    const end = t0 + f(plan.duration);
    a.voice.addRamp({ start: t0, end, from: 1, to: 0 });
    a.voice.endOut = end;
    const b = new StretchVoice(next.pcm, { startOut: t0, startIn: plan.toMap[0].in * format.rate, gain: gainOf(next), initialEnvelope: 0, wsola });
    for (const p of plan.toMap.slice(1)) b.addPoint(point(p.at, p.in));
    b.addRamp({ start: t0, end, from: 0, to: 1 });
    voices.push(b);
    const common = { start: sec(t0), duration: sec(end - t0), from: a.track.name, to: next.name, title: titleOf(next.name), offset: plan.toMap[0].in };
    events.push({
      at: t0,
      event: plan.kind === 'crossmatch'
        ? { action: 'crossmatch', ...common, beats: plan.fromMap.length - 1, tempoFrom: plan.tempoFrom, tempoTo: plan.tempoTo }
        : { action: 'crossfade', ...common },
    });
    current = becomeCurrent(next, b, end, Math.round(plan.toEntryIn * format.rate), end);
  };

  const lead = wsola.grain + f(1);
  // `skip` on the input: the transition to the next track starts at the current track's next beat (after the lead).
  let skipAsked = false;
  io.queue.onCommand = () => (skipAsked = true);
  const skip = (): void => {
    skipAsked = false;
    const at = outPos + lead;
    if (finalEnd !== undefined || at < current.entryOut || at >= current.outroOut) return;
    if (!lookahead.hasReady) {
      io.log('audiofs-dj: skip: no next track is ready yet (the queue is empty or still loading)');
      return;
    }
    const nowIn = (current.entryIn + at - current.entryOut) / format.rate;
    const { beats } = usableBeats(current.track.analysis);
    const k = beats.findIndex((b) => b >= nowIn);
    const n = k < 0 ? 0 : Math.min(options.beats, beats.length - 1 - k);
    const outro = n >= 2 ? { beat: k, beats: n, startIn: beats[k] } : { beat: -1, beats: 0, startIn: nowIn };
    current.outro = outro;
    current.outroOut = current.entryOut + Math.round(outro.startIn * format.rate - current.entryIn);
    events.push({ at: outPos, event: { action: 'skip', start: sec(outPos), from: current.track.name, transition: sec(current.outroOut) } });
  };
  for (;;) {
    if (skipAsked) skip();
    while (finalEnd === undefined && outPos + CHUNK + lead >= current.outroOut) await planOutro();
    const n = finalEnd === undefined ? CHUNK : Math.min(CHUNK, finalEnd - outPos);
    if (n <= 0) break;
    const mix = Array.from({ length: format.channels }, () => new Float32Array(n));
    for (const v of voices) {
      const s = Math.max(outPos, v.options.startOut);
      const e = Math.min(outPos + n, v.endOut);
      if (e > s) v.pullInto(mix, s - outPos, e - s);
    }
    for (let i = voices.length - 1; i >= 0; i--) if (voices[i].endOut <= outPos + n) voices.splice(i, 1);
    await emit(limiter.push(mix, n));
    outPos += n;
  }
  await emit(limiter.flush());
  for (const e of events) io.log(formatNowPlaying(e.event));
}
