import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ExampleApp, RunningApp } from './example-app.js';

/**
 * Two ways for a request to fail, added to the example's copy before it is built, around
 * the example's own hooks (kept as they are, under another file name): a hook after them
 * that throws, so `resolve` rejects inside sessionHandle, and an endpoint that throws, which
 * SvelteKit answers with a 500 page. Each sets a preference first, which must not be kept.
 */
export async function addFailingRequests(app: ExampleApp): Promise<void> {
  await rename(join(app.dir, 'src/hooks.server.ts'), join(app.dir, 'src/example-hooks.ts'));
  await writeFile(
    join(app.dir, 'src/hooks.server.ts'),
    `import { sequence } from '@sveltejs/kit/hooks';
import { handle as exampleHandle } from './example-hooks.ts';

export const handle = sequence(exampleHandle, async ({ event, resolve }) => {
  if (event.url.pathname !== '/test/failing-hook') return resolve(event);
  event.locals.session.set('pref:from-failing-hook', 'lost');
  throw new Error('a later hook failed');
});
`,
  );
  await mkdir(join(app.dir, 'src/routes/test/failing-endpoint'), { recursive: true });
  await writeFile(
    join(app.dir, 'src/routes/test/failing-endpoint/+server.ts'),
    `import type { RequestHandler } from './$types';

export const POST: RequestHandler = ({ locals }) => {
  locals.session.set('pref:from-failing-endpoint', 'lost');
  throw new Error('the endpoint failed');
};
`,
  );
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * `node build` as adapter-node is deployed: ORIGIN names the address it is reached at
 * (plain HTTP here), which SvelteKit's CSRF check compares each form post's Origin with.
 * installExample's `start` picks the port itself, too late for ORIGIN.
 */
export async function startNodeBuild(app: ExampleApp, env: NodeJS.ProcessEnv): Promise<RunningApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['build'], {
    cwd: app.dir,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ORIGIN: url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  // adapter-node prints "Listening on <url>" once the server accepts connections.
  await new Promise<void>((resolve, reject) => {
    const listening = () => printed.includes('Listening on') && resolve();
    child.stdout.on('data', listening);
    void exited.then(() => reject(new Error(`node build exited before listening:\n${printed}`)));
  });
  return { url, output: () => printed, stop };
}
