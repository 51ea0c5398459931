// One track playing through a time map (output frame -> input frame), time-stretched by WSOLA, with a gain envelope.
import type { Frames, GainFactor } from '../base/units.js';
import type { PcmBuffer } from './pcm-buffer.js';

/** A point of the time map: output frame `out` plays input frame `in`; rate 1 after the last point. */
export interface MapPoint {
  out: Frames;
  in: number;
}

/** A gain change between two output frames, equal-power (sine/cosine) shaped. */
export interface GainRamp {
  start: Frames;
  end: Frames;
  from: GainFactor;
  to: GainFactor;
}

/** WSOLA settings, in frames. */
export interface WsolaOptions {
  /** Grain length (even); grains overlap by half. */
  grain: Frames;
  /** How far from the nominal input position a grain may be moved to match the previous one. */
  tolerance: Frames;
}

/** A playing track: pull() gives its next samples, stretched by the map and scaled by the envelope. */
export class StretchVoice {
  private readonly map: MapPoint[] = [];
  private readonly ramps: GainRamp[] = [];
  private readonly window: Float32Array;
  private readonly hop: Frames;
  private readonly acc: Float32Array[];
  private ready: Float32Array[];
  private readyLength = 0;
  private grainOut: Frames;
  private lastIn: number | undefined;
  private position: Frames;
  /** The output frame after which this voice is silent and can be dropped. */
  endOut: Frames = Infinity;

  constructor(
    readonly pcm: PcmBuffer,
    readonly options: { startOut: Frames; startIn: number; gain: GainFactor; initialEnvelope: GainFactor; wsola: WsolaOptions },
  ) {
    const L = options.wsola.grain;
    this.hop = L / 2;
    this.window = Float32Array.from({ length: L }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / L));
    this.acc = pcm.channels.map(() => new Float32Array(L));
    this.ready = pcm.channels.map(() => new Float32Array(4 * L));
    this.map.push({ out: options.startOut, in: options.startIn });
    this.grainOut = options.startOut - this.hop;
    this.position = this.grainOut;
    this.envelopeStart = options.initialEnvelope;
    this.addGrain();
    this.readyLength = 0;
    this.position = options.startOut;
  }

  private readonly envelopeStart: GainFactor;

  /** The next output frame pull() will give. */
  get at(): Frames {
    return this.position + this.readyLength;
  }

  /** Adds a time-map point (output frames increasing). */
  addPoint(point: MapPoint): void {
    const last = this.map[this.map.length - 1];
    if (point.out <= last.out) throw new Error(`StretchVoice: expected map points after frame ${last.out}, got ${point.out}`);
    this.map.push(point);
  }

  /** Adds a gain ramp (after the previous ones). */
  addRamp(ramp: GainRamp): void {
    this.ramps.push(ramp);
  }

  /** The input frame the map gives for an output frame. */
  inputAt(out: Frames): number {
    const m = this.map;
    if (out >= m[m.length - 1].out) return m[m.length - 1].in + (out - m[m.length - 1].out);
    if (out <= m[0].out) {
      const slope = m.length > 1 ? (m[1].in - m[0].in) / (m[1].out - m[0].out) : 1;
      return m[0].in + (out - m[0].out) * slope;
    }
    let i = m.length - 2;
    while (m[i].out > out) i--;
    const a = m[i];
    const b = m[i + 1];
    return a.in + ((out - a.out) * (b.in - a.in)) / (b.out - a.out);
  }

  /** The envelope (without the track gain) at an output frame. */
  envelopeAt(out: Frames): GainFactor {
    let g = this.envelopeStart;
    for (const r of this.ramps) {
      if (out < r.start) break;
      if (out >= r.end) { g = r.to; continue; }
      const x = (out - r.start) / (r.end - r.start);
      return r.to >= r.from ? r.from + (r.to - r.from) * Math.sin((Math.PI / 2) * x) : r.to + (r.from - r.to) * Math.cos((Math.PI / 2) * x);
    }
    return g;
  }

  /** Adds this voice's next `count` frames into `mix` from index `offset` (the caller keeps the voices in step). */
  pullInto(mix: Float32Array[], offset: number, count: Frames): void {
    while (this.readyLength < count) this.addGrain();
    const start = this.position;
    for (let i = 0; i < count; i++) {
      const g = this.envelopeAt(start + i) * this.options.gain;
      if (g === 0) continue;
      for (let c = 0; c < mix.length; c++) mix[c][offset + i] += this.ready[c % this.ready.length][i] * g;
    }
    for (const r of this.ready) r.copyWithin(0, count, this.readyLength);
    this.readyLength -= count;
    this.position += count;
  }

  private sampleMono(i: number): number {
    if (i < 0 || i >= this.pcm.frames) return 0;
    let s = 0;
    for (const ch of this.pcm.channels) s += ch[i];
    return s;
  }

  private similarity(candidate: number, template: number, step: number): number {
    let xy = 0;
    let yy = 1e-9;
    const L = this.options.wsola.grain;
    for (let i = 0; i < L; i += step) {
      const y = this.sampleMono(candidate + i);
      xy += this.sampleMono(template + i) * y;
      yy += y * y;
    }
    return xy / Math.sqrt(yy);
  }

  private chooseInput(nominal: number): number {
    const tol = this.options.wsola.tolerance;
    const p = Math.round(nominal);
    if (this.lastIn === undefined) return p;
    const natural = this.lastIn + this.hop;
    if (Math.abs(p - natural) <= tol) return natural;
    let best = p;
    let bestScore = -Infinity;
    for (let d = -tol; d <= tol; d += 8) {
      const s = this.similarity(p + d, natural, 8);
      if (s > bestScore) { bestScore = s; best = p + d; }
    }
    const coarse = best;
    for (let d = -7; d <= 7; d++) {
      const s = this.similarity(coarse + d, natural, 2);
      if (d === -7 || s > bestScore) { bestScore = s; best = coarse + d; }
    }
    return best;
  }

  private addGrain(): void {
    const L = this.options.wsola.grain;
    const H = this.hop;
    const q = this.chooseInput(this.inputAt(this.grainOut + H) - H);
    this.lastIn = q;
    const chans = this.pcm.channels;
    for (let c = 0; c < chans.length; c++) {
      const src = chans[c];
      const acc = this.acc[c];
      const lo = Math.max(0, -q);
      const hi = Math.min(L, this.pcm.frames - q);
      for (let i = lo; i < hi; i++) acc[i] += this.window[i] * src[q + i];
    }
    if (this.readyLength + H > this.ready[0].length) {
      this.ready = this.ready.map((r) => { const n = new Float32Array(r.length * 2); n.set(r); return n; });
    }
    for (let c = 0; c < chans.length; c++) {
      this.ready[c].set(this.acc[c].subarray(0, H), this.readyLength);
      this.acc[c].copyWithin(0, H);
      this.acc[c].fill(0, L - H);
    }
    this.readyLength += H;
    this.grainOut += H;
  }
}
