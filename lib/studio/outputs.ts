import type { LiveStream } from '../base/live-stream.js';
import type { Logger } from '../base/logger.js';
import type { PcmFormat } from '../base/pcm-format.js';
import type { Config } from '../config/config-types.js';
import type { Engine } from '../mix/engine.js';
import type { EngineMode } from '../mix/engine-types.js';
import { mp3Paths } from '../mix/output-config.js';
import { DeviceSink } from '../mix/sinks/device-sink.js';
import { StreamServer } from '../mix/sinks/http-server.js';
import { IcecastSource } from '../mix/sinks/icecast-source.js';
import { Mp3Stream } from '../mix/sinks/mp3-stream.js';
import { OutSink } from '../mix/sinks/out-sink.js';
import { StreamTitle } from '../mix/sinks/stream-title.js';

/** The outputs part of the config: what apply() reads. */
export type OutputSettings = Pick<Config, 'device' | 'http' | 'mp3' | 'icecast' | 'collect'>;

/** Every output of the mix, built from the config and rebuilt live when it changes: /out, MP3, HTTP, Icecast, the card. */
export class Outputs {
  readonly out = new OutSink({ onCollectDrop: (message) => this.logger.warn(message) });
  /** What the stream plays now, from a client's announcements (a stage's stderr): ICY metadata and Icecast's. */
  readonly title = new StreamTitle();
  mp3: Mp3Stream[] = [];
  server: StreamServer | undefined;
  icecast: IcecastSource | undefined;
  device: DeviceSink | null = null;
  /** The bound HTTP address, once listening. */
  httpAddress: string | undefined;
  private current: OutputSettings | undefined;

  constructor(private readonly engine: Engine, private readonly logger: Logger, private readonly format: PcmFormat) {
    engine.addSink(this.out);
  }

  /** The live MP3 of /stream.mp3 (the first encoder), if any. */
  get stream(): LiveStream | undefined {
    return this.mp3[0]?.stream;
  }

  /** Applies output settings: only what changed is rebuilt. */
  async apply(settings: OutputSettings): Promise<void> {
    const old = this.current;
    this.current = settings;
    this.out.setCollect({ on: settings.collect });
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    if (!old || !same(old.mp3, settings.mp3)) {
      for (const m of this.mp3) { this.engine.removeSink(m); void m.end(); }
      this.mp3 = settings.mp3.map((o) => new Mp3Stream({ format: this.format, bitrate: o.bitrate, logger: this.logger }));
      for (const m of this.mp3) { m.setMode?.(this.engine.mode); this.engine.addSink(m); }
    }
    const streamsChanged = !old || !same(old.mp3, settings.mp3);
    if (!old || !same(old.http, settings.http) || streamsChanged) await this.applyHttp(settings, !old || !same(old.http, settings.http));
    if (!old || !same(old.icecast, settings.icecast) || streamsChanged) this.applyIcecast(settings);
    if (!old || old.device !== settings.device) this.applyDevice(settings);
  }

  /** Tells every output the engine's mode (export: lossless, waiting). */
  setMode(mode: EngineMode): void {
    this.out.setMode(mode);
    for (const m of this.mp3) m.setMode(mode);
    this.device?.setMode(mode);
  }

  /** Closes every output (unmount): encoders flushed, listeners and Icecast disconnected. */
  async close(): Promise<void> {
    this.icecast?.stop();
    await this.server?.close();
    for (const m of this.mp3) { this.engine.removeSink(m); await m.end().catch(() => undefined); }
    if (this.device) { this.engine.removeSink(this.device); await this.device.end().catch(() => undefined); }
    this.out.stream.abort();
  }

  private async applyHttp(settings: OutputSettings, rebind: boolean): Promise<void> {
    const streams = this.mp3.flatMap((m, i) => mp3Paths(i, m.bitrate).map((path) => ({ path, stream: m.stream, bitrate: m.bitrate })));
    if (rebind) {
      await this.server?.close();
      this.server = undefined;
      this.httpAddress = undefined;
      if (!settings.http) return;
      const server = new StreamServer({ host: settings.http.host, port: settings.http.port, logger: this.logger, title: this.title });
      server.setStreams(streams);
      try {
        const a = await server.listen();
        this.server = server;
        this.httpAddress = `${a.address}:${a.port}`;
      } catch (err) {
        this.logger.error(`http: cannot listen on ${settings.http.host}:${settings.http.port}: ${(err as Error).message} (the stream stays available as /stream.mp3)`);
      }
      return;
    }
    this.server?.setStreams(streams);
  }

  private applyIcecast(settings: OutputSettings): void {
    this.icecast?.stop();
    this.icecast = undefined;
    const stream = this.stream;
    if (!settings.icecast) return;
    if (!stream) {
      this.logger.warn('icecast: no mp3 encoder is configured (mp3: off), so nothing is sent');
      return;
    }
    const { url, user, password } = settings.icecast;
    this.icecast = new IcecastSource({ url, user, password, stream, logger: this.logger, title: this.title });
    this.icecast.start();
  }

  private applyDevice(settings: OutputSettings): void {
    if (this.device) {
      this.engine.removeSink(this.device);
      void this.device.end().catch(() => undefined);
    }
    try {
      this.device = DeviceSink.open({ device: settings.device, format: this.format, logger: this.logger });
    } catch (err) {
      this.device = null;
      this.logger.warn(`device: ${settings.device}: ${(err as Error).message}; the sound card output is off`);
    }
    if (this.device) {
      this.device.setMode(this.engine.mode);
      this.engine.addSink(this.device);
    }
  }
}
