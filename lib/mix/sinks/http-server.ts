import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LiveStream } from '../../base/live-stream.js';
import { Logger } from '../../base/logger.js';
import type { Bytes } from '../../base/units.js';
import { ICY_METAINT, IcyInterleaver, StreamTitle } from './stream-title.js';

/** One MP3 stream served at a path (/stream.mp3, /stream-320.mp3). */
export interface ServedStream {
  readonly path: string;
  readonly stream: LiveStream;
  readonly bitrate: number;
}

/** Options of a StreamServer. */
export interface StreamServerOptions {
  host?: string;
  port?: number;
  logger?: Logger;
  /** Bytes a listener's socket may hold unsent before it is dropped (default 256 KiB). */
  maxUnsent?: Bytes;
  /** The now-playing title, sent as ICY metadata to listeners that ask for it (`Icy-MetaData: 1`). */
  title?: StreamTitle;
  /** Connections held at once (default MAX_CONNECTIONS); more are closed as they come. */
  maxConnections?: number;
  /** How long a connection may take to send its request headers (default HEADERS_TIMEOUT_MS). */
  headersTimeoutMs?: number;
}

const READ_BYTES: Bytes = 64 * 1024;
/**
 * Connections the HTTP output holds at once, listeners and requests being read together: enough for a
 * studio's own players; thousands of listeners are Icecast's job. More are accepted and closed at once,
 * so they never take the mount's file descriptors.
 */
export const MAX_CONNECTIONS = 128;
/** A connection that has not sent its whole request within this time is closed (slowloris, idle sockets). */
export const HEADERS_TIMEOUT_MS = 5000;

/** The HTTP output: serves each MP3 LiveStream to listeners; a listener that falls behind is dropped. */
export class StreamServer {
  private readonly server: Server;
  private streams: ServedStream[] = [];
  private readonly logger: Logger;
  private readonly maxUnsent: Bytes;
  private readonly host: string;
  private readonly port: number;
  private readonly responses = new Set<ServerResponse>();
  private readonly title: StreamTitle;
  /** Listeners dropped because they fell behind. */
  dropped = 0;
  /** Connections closed at once because MAX_CONNECTIONS were open. */
  refused = 0;
  private refusedSaid = false;

  constructor(options: StreamServerOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 8000;
    this.logger = options.logger ?? new Logger({ level: 'warn' });
    this.maxUnsent = options.maxUnsent ?? 256 * 1024;
    this.title = options.title ?? new StreamTitle();
    const headersTimeout = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
    this.server = createServer({
      headersTimeout,
      requestTimeout: headersTimeout,
      keepAlive: false,
      // How often Node looks for connections past their timeouts.
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
    }, (req, res) => this.handle(req, res));
    this.server.maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
    // A listener's connection stays open as long as it reads; the request timeouts only bound how it asks.
    this.server.timeout = 0;
    this.server.on('drop', () => {
      this.refused++;
      if (!this.refusedSaid) {
        this.refusedSaid = true;
        this.logger.warn(`http: more than ${this.server.maxConnections} connections at once: the others are closed as they come`);
        setTimeout(() => (this.refusedSaid = false), 10_000).unref();
      }
    });
  }

  /** The streams to serve (replaces the previous set; current listeners keep theirs). */
  setStreams(streams: ServedStream[]): void {
    this.streams = streams;
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', reject);
        const a = this.server.address() as AddressInfo;
        this.logger.info(`http: serving ${this.streams.map((s) => s.path).join(', ')} at http://${a.address}:${a.port}`);
        resolve(a);
      });
    });
  }

  /** Listeners connected now. */
  get listeners(): number {
    return this.responses.size;
  }

  /** Stops listening and drops every listener. */
  close(): Promise<void> {
    for (const res of this.responses) res.destroy();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Connections still sending a request would hold close() until their timeout.
    this.server.closeAllConnections();
    return closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const served = this.streams.find((s) => s.path === path);
    if (!served || (req.method !== 'GET' && req.method !== 'HEAD')) {
      const paths = this.streams.map((s) => s.path).join(', ');
      res.writeHead(served ? 405 : 404, { 'Content-Type': 'text/plain' });
      res.end(served ? `expected GET or HEAD, got ${req.method}\n` : `no stream at ${path} (expected one of: ${paths || 'none'})\n`);
      return;
    }
    const icy = req.headers['icy-metadata'] === '1';
    res.writeHead(200, {
      'Content-Type': 'audio/mpeg',
      'Cache-Control': 'no-cache, no-store',
      'Connection': 'close',
      'icy-name': 'audiofs',
      'icy-br': String(served.bitrate),
      'icy-pub': '0',
      ...(icy ? { 'icy-metaint': String(ICY_METAINT) } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    void this.pump(served, res, icy ? new IcyInterleaver(this.title) : undefined);
  }

  private async pump(served: ServedStream, res: ServerResponse, icy: IcyInterleaver | undefined): Promise<void> {
    this.responses.add(res);
    let dropped = false;
    const drop = (): void => {
      if (dropped) return;
      dropped = true;
      this.dropped++;
      this.logger.info(`http: dropped a listener of ${served.path} that fell behind`);
      res.destroy();
    };
    const reader = served.stream.openReader({ atSync: true, onOverflow: drop });
    res.on('close', () => {
      reader.close();
      this.responses.delete(res);
    });
    for (;;) {
      const data = await reader.read(READ_BYTES);
      if (data === null || res.destroyed) break;
      if (!res.write(icy ? icy.push(data) : data) && res.writableLength > this.maxUnsent) {
        drop();
        break;
      }
    }
    if (!res.destroyed) res.end();
  }
}
