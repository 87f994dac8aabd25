import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { databaseUrl, type Backend } from './backends.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** An example server from examples/, running in a child process on the backend's schema. */
export interface ExampleServer {
  url: string;
  /** Sends SIGTERM and resolves with the exit code and everything it printed. */
  stop(): Promise<{ code: number | null; output: string }>;
}

/** Starts `file` with DATABASE_URL pointing at the backend's schema, on a free port. */
export async function startExample(file: string, backend: Backend, env: Record<string, string> = {}): Promise<ExampleServer> {
  const url = new URL(databaseUrl());
  url.searchParams.set('options', `-c search_path=${backend.schema}`);
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url.href, PORT: '0', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit');
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /listening on (\d+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    void exited.then(() => reject(new Error(`${file} exited before listening:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return { code, output };
    },
  };
}
