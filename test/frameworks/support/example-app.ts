import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { repoRoot } from '../../support/packed-package.js';

const run = promisify(execFile);

/** What an example app's folder may hold after someone ran it in place: never copied. */
const BUILD_OUTPUT = new Set(['node_modules', '.next', '.svelte-kit', 'build', 'dist', '.astro', '.output', '.nitro']);

/** A server of the app, running until `stop`. */
export interface RunningApp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Everything the server printed so far, stdout and stderr together. */
  output(): string;
  /** Stops the server (SIGTERM) and resolves once it has exited. */
  stop(): Promise<void>;
}

/** An example app from examples/, copied out of the repository and installed as a user would. */
export interface ExampleApp {
  dir: string;
  /** Runs `npm <args>` (e.g. `['run', 'build']`) in the app's folder; rejects with its output on failure. */
  npm(args: string[], env?: NodeJS.ProcessEnv): Promise<string>;
  /** Starts `command args` in the app's folder with PORT set to a free port, and waits until it answers HTTP. */
  start(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunningApp>;
  /** Removes the app's folder. */
  remove(): Promise<void>;
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
 * Copies `examples/<name>` into a folder of its own and installs it with npm: its own
 * package.json, with drizzle-pgstore from the tarball this run packed (in place of the
 * `file:../..` the example names for people running it inside the repository).
 */
export async function installExample(name: string): Promise<ExampleApp> {
  const dir = await mkdtemp(join(tmpdir(), `drizzle-pgstore-${name}-`));
  await cp(join(repoRoot, 'examples', name), dir, {
    recursive: true,
    filter: (source) => !BUILD_OUTPUT.has(source.split('/').pop()!),
  });
  const manifestPath = join(dir, 'package.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { dependencies?: Record<string, string> };
  manifest.dependencies = { ...manifest.dependencies, 'drizzle-pgstore': `file:${inject('tarball')}` };
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  await rm(join(dir, 'package-lock.json'), { force: true });

  const npm = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    try {
      const { stdout, stderr } = await run('npm', args, { cwd: dir, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
      return stdout + stderr;
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`npm ${args.join(' ')} failed in the ${name} example:\n${stdout}\n${stderr}`);
    }
  };
  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund']);

  const start = async (command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningApp> => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child: ChildProcess = spawn(command, args, {
      cwd: dir,
      env: { ...process.env, HOST: '127.0.0.1', HOSTNAME: '127.0.0.1', PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let printed = '';
    child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const exited = once(child, 'exit');
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    };
    for (let waited = 0; ; waited += 100) {
      if (child.exitCode !== null) throw new Error(`the ${name} server exited (${child.exitCode}):\n${printed}`);
      const answered = await fetch(url, { redirect: 'manual' }).then(
        () => true,
        () => false,
      );
      if (answered) break;
      if (waited > 60_000) {
        await stop();
        throw new Error(`the ${name} server did not answer on ${url} within a minute:\n${printed}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { url, output: () => printed, stop };
  };

  return { dir, npm, start, remove: () => rm(dir, { recursive: true, force: true }) };
}
