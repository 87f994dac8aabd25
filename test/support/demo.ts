import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cookieName } from '../../examples/demo/app.js';
import { CookieClient } from './cookie-client.js';

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
  /** Sends `signal` and waits for the process to end; kills it after `limitMs` if it hangs. */
  stop(signal?: NodeJS.Signals, limitMs?: number): Promise<DemoExit>;
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
      const match = /^open (http:\/\/127\.0\.0\.1:\d+)$/m.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout.on('data', look);
    void exited.then((code) => reject(new Error(`the demo exited (${code}) before serving:\n${output}`)));
  });
  return { url, output: () => output, stop: (signal = 'SIGTERM', limitMs = 20_000) => stopChild(child, exited, signal, limitMs) };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, signal: NodeJS.Signals, limitMs: number): Promise<DemoExit> {
  if (child.exitCode !== null) return { code: child.exitCode, killed: false };
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, limitMs);
  child.kill(signal);
  const code = await exited;
  clearTimeout(timer);
  return { code, killed };
}

/** A visitor without a browser: the demo's pages through a {@link CookieClient}. */
export class DemoVisitor {
  readonly #client: CookieClient;

  constructor(readonly baseUrl: string) {
    this.#client = new CookieClient(baseUrl);
  }

  /** The session id in the signed cookie (`s:<id>.<signature>`), if there is one. */
  get sessionId(): string | undefined {
    const value = this.#client.cookie(cookieName);
    return value === undefined ? undefined : decodeURIComponent(value).match(/^s:([^.]+)\./)?.[1];
  }

  /** Requests `path` (not following redirects) and keeps the session cookie it sets or clears. */
  async request(path: string, init: { method?: 'GET' | 'POST'; body?: URLSearchParams } = {}) {
    const { status, location, text } = await this.#client.request(init.method ?? 'GET', path, init.body);
    return { status, location, body: text };
  }

  signIn(name: string) {
    return this.request('/sign-in', { method: 'POST', body: new URLSearchParams({ name }) });
  }

  signOut() {
    return this.request('/sign-out', { method: 'POST' });
  }

  /** The home page's visit counter, or `null` when the page is the sign-in form. */
  async visits(): Promise<number | null> {
    const { body } = await this.request('/');
    const match = /id="visits">(\d+)</.exec(body);
    return match ? Number(match[1]) : null;
  }

  /** The live session count on the status page. */
  async liveSessions(): Promise<number> {
    const { body } = await this.request('/status');
    return Number(/id="live">(\d+)</.exec(body)?.[1] ?? NaN);
  }
}
