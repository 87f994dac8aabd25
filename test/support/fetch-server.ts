import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';

/** A fetch handler served over real HTTP on a free local port. */
export interface FetchServer {
  url: string;
  close(): Promise<void>;
}

export async function serveFetch(fetch: (request: Request) => Response | Promise<Response>): Promise<FetchServer> {
  const server = createAdaptorServer({ fetch, hostname: '127.0.0.1', overrideGlobalObjects: false });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
