// A hostile HTTP client, run as its own process (its own descriptor limit): opens COUNT connections to
// HOST:PORT as fast as it can and holds them, plus SLOW slowloris connections that send a header byte a
// second (from LOCAL_ADDRESS when given); after SECONDS prints one JSON line of what happened and exits.
import { connect, type Socket } from 'node:net';

const [host, portText, countText, slowText, secondsText, localAddress] = process.argv.slice(2);
const port = Number(portText);
const stats = { attempted: 0, connected: 0, closedByServer: 0, errors: 0, slowClosedAfterMs: [] as number[], slowOpen: 0 };
const sockets: Socket[] = [];

function open(slow: boolean): void {
  stats.attempted++;
  const s = connect({ host, port, localAddress });
  sockets.push(s);
  let timer: NodeJS.Timeout | undefined;
  let since = 0;
  s.on('connect', () => {
    stats.connected++;
    since = Date.now();
    if (slow) {
      s.write('GET /stream.mp3 HTTP/1.1\r\nHost: x\r\n');
      timer = setInterval(() => s.write('X-a: b\r\n'), 1000);
    }
  });
  s.on('error', () => stats.errors++);
  s.on('data', () => undefined);
  s.on('close', () => {
    clearInterval(timer);
    if (since === 0) return;
    stats.closedByServer++;
    if (slow) stats.slowClosedAfterMs.push(Date.now() - since);
  });
}

for (let i = 0; i < Number(slowText); i++) open(true);
for (let i = 0; i < Number(countText); i++) open(false);
setTimeout(() => {
  stats.slowOpen = Number(slowText) - stats.slowClosedAfterMs.length;
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  for (const s of sockets) s.destroy();
  process.exit(0);
}, Number(secondsText) * 1000);
