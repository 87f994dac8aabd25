import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';
import { cookieName } from '../../examples/demo/app.js';
import { CookieClient } from './cookie-client.js';
import { createDemoDatabase, type DemoDatabase } from './demo-database.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** How a demo process ended. */
export interface DemoExit {
  code: number | null;
  /** True when it had to be killed because it did not stop by itself. */
  killed: boolean;
}

/** A running demo server in a child process. */
export interface DemoProcess {
  /** What it printed after "open". */
  readonly url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and waits for the process to end; kills it if it has not ended in 20 s. */
  stop(signal?: NodeJS.Signals): Promise<DemoExit>;
}

/**
 * Starts `examples/demo/server.ts` as `npm start` would, on any free port, with `env`
 * on top of this process's environment minus DATABASE_URL (so the demo runs on PGlite
 * unless the test gives it one). Resolves once it prints the URL to open.
 */
export async function startDemo(env: Record<string, string>): Promise<DemoProcess> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
  delete childEnv.DATABASE_URL;
  Object.assign(childEnv, env);
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/demo/server.ts'], { cwd: root, env: childEnv });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const look = () => {
      const match = /^open (http:\/\/127\.0\.0\.1:\d+)\n/m.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout.on('data', look);
    void exited.then((code) => reject(new Error(`the demo exited (${code}) before serving:\n${output}`)));
  });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<DemoExit> => {
    if (child.exitCode !== null) return { code: child.exitCode, killed: false };
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 20_000);
    child.kill(signal);
    const code = await exited;
    clearTimeout(timer);
    return { code, killed };
  };
  return { url, output: () => output, stop };
}

/** The demo a test file runs around its tests; read it inside tests, once it has started. */
export interface DemoUnderTest {
  /** What the demo printed after "open". */
  readonly url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its PostgreSQL database, to look at the sessions table. */
  readonly database: DemoDatabase;
}

/**
 * Runs the demo around the calling file's tests (or `describe` block's), on a data folder of
 * its own and, unless `on` is `'pglite'`, on a PostgreSQL database of its own, with `env` on
 * top (see {@link startDemo}); after them, checks that it stopped cleanly.
 */
export function useDemo(env: Record<string, string> = {}, on: 'postgres' | 'pglite' = 'postgres'): DemoUnderTest {
  let demo: DemoProcess | undefined;
  let database: DemoDatabase | undefined;
  let dataDir: string | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pgstore-demo-'));
    if (on === 'postgres') database = await createDemoDatabase();
    demo = await startDemo({ DEMO_DATA_DIR: dataDir, ...(database ? { DATABASE_URL: database.url } : {}), ...env });
  });

  afterAll(async () => {
    const exit = await demo?.stop();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    expect(exit?.code).toBe(0);
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('read the demo inside a test, and its database only on PostgreSQL');
    return value;
  };
  return {
    get url() {
      return started(demo).url;
    },
    output: () => started(demo).output(),
    get database() {
      return started(database);
    },
  };
}

/** The hidden field of the demo's forms that carries their anti-forgery token. */
const tokenField = 'csrf';

/** A visitor without a browser: the demo's pages through a {@link CookieClient}. */
export class DemoVisitor extends CookieClient {
  /** The session id in the signed cookie (`s:<id>.<signature>`), if there is one. */
  get sessionId(): string | undefined {
    const value = this.cookie(cookieName);
    return value === undefined ? undefined : decodeURIComponent(value).match(/^s:([^.]+)\./)?.[1];
  }

  /** Posts a form, with `headers` (say, the `Origin` a browser would send). */
  postForm(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    return this.request('POST', path, new URLSearchParams(fields), headers);
  }

  /**
   * The anti-forgery token of the form the home page shows (sign-in or sign-out), as a
   * browser would have it; reading it is a visit to the home page. Empty when there is none.
   */
  async formToken(): Promise<string> {
    const { text } = await this.get('/');
    return new RegExp(`name="${tokenField}" value="([^"]*)"`).exec(text)?.[1] ?? '';
  }

  /** Fills in the home page's sign-in form and sends it, as a browser would. */
  async signIn(name: string) {
    return this.postForm('/sign-in', { [tokenField]: await this.formToken(), name });
  }

  /** Presses the home page's sign-out button, as a browser would. */
  async signOut() {
    return this.postForm('/sign-out', { [tokenField]: await this.formToken() });
  }

  /** The home page's visit counter, or `null` when the page is the sign-in form. */
  async visits(): Promise<number | null> {
    const match = /id="visits">(\d+)</.exec((await this.get('/')).text);
    return match ? Number(match[1]) : null;
  }

  /** The live session count on the status page. */
  async liveSessions(): Promise<number> {
    return Number(/id="live">(\d+)</.exec((await this.get('/status')).text)?.[1] ?? NaN);
  }
}
