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

/** The hidden field of the demo's forms that carries their anti-forgery token. */
const tokenField = 'csrf';

/** What a request got back. */
export interface DemoReply {
  status: number;
  location: string | null;
  body: string;
  /** The `Set-Cookie` headers, as sent. */
  setCookies: string[];
}

/** How {@link DemoVisitor.request} sends a request. */
export interface DemoRequest {
  method?: 'GET' | 'POST';
  body?: URLSearchParams;
  /** Headers a browser would add, such as `Origin` or `Sec-Fetch-Site`. */
  headers?: Record<string, string>;
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

  /** The value the visitor's jar holds for a cookie. */
  cookie(name: string): string | undefined {
    return this.#client.cookie(name);
  }

  /** Requests `path` (not following redirects) and keeps the cookies it sets or clears. */
  async request(path: string, init: DemoRequest = {}): Promise<DemoReply> {
    const reply = await this.#client.request(init.method ?? 'GET', path, init.body, init.headers);
    return { status: reply.status, location: reply.location, body: reply.text, setCookies: reply.setCookies };
  }

  /**
   * The anti-forgery token of the form the home page shows (sign-in or sign-out), as a
   * browser would have it; reading it is a visit to the home page. Empty when there is none.
   */
  async formToken(): Promise<string> {
    const { body } = await this.request('/');
    return new RegExp(`name="${tokenField}" value="([^"]*)"`).exec(body)?.[1] ?? '';
  }

  /** Fills in the home page's sign-in form and sends it, as a browser would. */
  async signIn(name: string): Promise<DemoReply> {
    const token = await this.formToken();
    return this.request('/sign-in', { method: 'POST', body: new URLSearchParams({ [tokenField]: token, name }) });
  }

  /** Presses the home page's sign-out button, as a browser would. */
  async signOut(): Promise<DemoReply> {
    const token = await this.formToken();
    return this.request('/sign-out', { method: 'POST', body: new URLSearchParams({ [tokenField]: token }) });
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
