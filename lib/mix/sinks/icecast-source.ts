import { connect, type Socket } from 'node:net';
import type { LiveReader, LiveStream } from '../../base/live-stream.js';
import { Logger } from '../../base/logger.js';
import type { StreamTitle } from './stream-title.js';

const MAX_UNSENT = 1024 * 1024;

/** Where and how to send the stream: the `icecast` config key. */
export interface IcecastTarget {
  /** http://HOST:PORT/MOUNT */
  url: string;
  user?: string;
  password: string;
}

/** Options of an IcecastSource. */
export interface IcecastSourceOptions extends IcecastTarget {
  stream: LiveStream;
  logger?: Logger;
  /** First reconnection delay, doubled after each failure up to maxDelayMs (defaults 1000 and 30000). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  name?: string;
  /** The now-playing title, sent to Icecast (its admin metadata update) on each change and on each connection. */
  title?: StreamTitle;
}

/** The Icecast source's part of /status. */
export interface IcecastStatus {
  url: string;
  connected: boolean;
  connections: number;
  lastError: string | null;
}

/** An Icecast source client: HTTP PUT with Basic auth, then the MP3 frames; reconnects with exponential back-off. */
export class IcecastSource {
  private readonly url: URL;
  private readonly logger: Logger;
  private readonly initialDelay: number;
  private readonly maxDelay: number;
  private delay: number;
  private socket: Socket | undefined;
  private reader: LiveReader | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private connected = false;
  private connections = 0;
  private lastError: string | null = null;
  private stopTitle: (() => void) | undefined;
  /** Title updates Icecast accepted. */
  titlesSent = 0;

  constructor(private readonly options: IcecastSourceOptions) {
    this.url = new URL(options.url);
    if (this.url.protocol !== 'http:') throw new Error(`icecast: expected an http://HOST:PORT/MOUNT url, got '${options.url}'`);
    this.logger = options.logger ?? new Logger({ level: 'warn' });
    this.initialDelay = options.initialDelayMs ?? 1000;
    this.maxDelay = options.maxDelayMs ?? 30000;
    this.delay = this.initialDelay;
  }

  /** Connects, and keeps reconnecting until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopTitle = this.options.title?.onChange(() => this.sendTitle());
    this.connect();
  }

  /** Disconnects for good. */
  stop(): void {
    this.running = false;
    this.stopTitle?.();
    clearTimeout(this.timer);
    this.teardown();
  }

  status(): IcecastStatus {
    return { url: this.url.href, connected: this.connected, connections: this.connections, lastError: this.lastError };
  }

  private connect(): void {
    const port = Number(this.url.port || 80);
    const socket = connect(port, this.url.hostname);
    this.socket = socket;
    socket.setNoDelay(true);
    let head = '';
    socket.on('connect', () => {
      const auth = Buffer.from(`${this.options.user ?? 'source'}:${this.options.password}`).toString('base64');
      socket.write([
        `PUT ${this.url.pathname} HTTP/1.1`,
        `Host: ${this.url.host}`,
        `Authorization: Basic ${auth}`,
        'User-Agent: audiofs',
        'Content-Type: audio/mpeg',
        `Ice-Name: ${this.options.name ?? 'audiofs'}`,
        'Ice-Public: 0',
        'Expect: 100-continue',
        '', '',
      ].join('\r\n'));
    });
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
      if (status === '100' || status === '200') this.streaming(socket);
      else this.fail(socket, `Icecast refused the source: ${head.split('\r\n')[0] || 'no answer'}`);
    };
    socket.on('data', onData);
    socket.on('error', (err) => this.fail(socket, err.message));
    socket.on('close', () => this.fail(socket, 'connection closed'));
  }

  private streaming(socket: Socket): void {
    this.connected = true;
    this.connections++;
    this.delay = this.initialDelay;
    this.lastError = null;
    this.logger.info(`icecast: streaming to ${this.url.href}`);
    socket.resume();
    const reader = this.options.stream.openReader({ atSync: true });
    this.reader = reader;
    let sent = 0;
    void (async () => {
      for (;;) {
        const data = await reader.read(64 * 1024);
        if (data === null || socket.destroyed) break;
        socket.write(data);
        // Icecast drops metadata for a mount whose stream it has not started to read: the title follows the first audio.
        if (sent === 0) setTimeout(() => this.sendTitle(), 500);
        sent += data.length;
        if (socket.writableLength > MAX_UNSENT) {
          this.fail(socket, `Icecast is not taking the stream (${socket.writableLength} bytes unsent)`);
          break;
        }
      }
    })();
  }

  /** Sends the current title with Icecast's admin metadata update (GET /admin/metadata?mode=updinfo), as the source user. */
  private sendTitle(): void {
    const title = this.options.title?.current;
    if (!title || !this.connected) return;
    const query = new URLSearchParams({ mount: this.url.pathname, mode: 'updinfo', song: title, charset: 'UTF-8' });
    const auth = Buffer.from(`${this.options.user ?? 'source'}:${this.options.password}`).toString('base64');
    const socket = connect(Number(this.url.port || 80), this.url.hostname);
    let answer = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('connect', () => socket.write(`GET /admin/metadata?${query} HTTP/1.0\r\nHost: ${this.url.host}\r\nAuthorization: Basic ${auth}\r\nUser-Agent: audiofs\r\n\r\n`));
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', (err) => this.logger.warn(`icecast: title update failed: ${err.message}`));
    socket.on('end', () => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
      if (status === '200') this.titlesSent++;
      else this.logger.warn(`icecast: title update refused: ${answer.split('\r\n')[0] || 'no answer'}`);
    });
  }

  private fail(socket: Socket, reason: string): void {
    if (socket !== this.socket) return;
    this.teardown();
    this.lastError = reason;
    if (!this.running) return;
    this.logger.warn(`icecast: ${this.url.href}: ${reason}; reconnecting in ${(this.delay / 1000).toFixed(1)} s`);
    this.timer = setTimeout(() => this.connect(), this.delay);
    this.delay = Math.min(this.maxDelay, this.delay * 2);
  }

  private teardown(): void {
    this.connected = false;
    this.reader?.close();
    this.reader = undefined;
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
  }
}
