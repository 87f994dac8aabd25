import { connect, createServer, type Socket } from 'node:net';
import { freePort } from './cluster.js';

/**
 * A network link with latency, between a standby and its primary: a TCP proxy that holds
 * what the primary sends for `delayMs` before passing it on. On loopback a standby is never
 * more than microseconds behind, so an asynchronous standby would lose nothing; over a
 * real link it lags by the link's latency, and this link makes that lag happen here.
 */
export interface DelayedLink {
  readonly port: number;
  /**
   * The primary's host and its link go down together: every connection is cut, what was
   * still on its way is dropped, and nothing can connect any more.
   */
  cut(): Promise<void>;
}

export async function startDelayedLink(target: { host: string; port: number }, delayMs: number): Promise<DelayedLink> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A cut link resets connections; that is the point, not a failure of the test.
    socket.on('error', () => {});
  };
  const server = createServer((client) => {
    track(client);
    const upstream = connect(target.port, target.host);
    track(upstream);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        client.write(chunk);
      }, delayMs);
      timers.add(timer);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => setTimeout(() => client.destroy(), delayMs));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    async cut() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
