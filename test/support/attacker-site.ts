import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A page elsewhere that, once opened, makes the browser post a form to the demo. */
export interface AttackerSite {
  /** The page that posts `fields` to `action` on the demo, reached through `host`. */
  pageUrl(host: string, action: string, fields?: Record<string, string>): string;
  close(): Promise<void>;
}

const escapeAttribute = (text: string) => text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');

/**
 * Serves forgery pages on another port of 127.0.0.1: what a browser reaches as `localhost`
 * is another site than the demo's 127.0.0.1, and as `127.0.0.1` the same site but another
 * origin (SameSite looks at the host, not the port).
 */
export async function startAttackerSite(demoUrl: string): Promise<AttackerSite> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://attacker');
    const fields = [...url.searchParams]
      .map(([name, value]) => `<input type="hidden" name="${escapeAttribute(name)}" value="${escapeAttribute(value)}">`)
      .join('');
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(
      `<!doctype html><title>Win a prize</title>` +
        `<form method="post" action="${escapeAttribute(new URL(url.pathname, demoUrl).href)}">${fields}</form>` +
        `<script>document.forms[0].submit()</script>`,
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    pageUrl: (host, action, fieldValues = {}) => `http://${host}:${port}${action}?${new URLSearchParams(fieldValues)}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
