import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './packed-package.js';

const run = promisify(execFile);

/** The TypeScript 5 release the package is also type-checked with (most apps are still on 5). */
export const TYPESCRIPT_5 = '5.9.3';

/**
 * What an app installs beside drizzle-pgstore, at the versions the repository tests with,
 * so that npm finds them all in its cache.
 */
const companions = [
  'drizzle-orm',
  'pg',
  '@electric-sql/pglite',
  'express-session',
  '@types/pg',
  '@types/node',
  '@types/express-session',
];

const installedVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** The outcome of a command run in the scratch app. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** An app in its own folder, outside the repository, with the packed tarball installed. */
export interface ScratchApp {
  dir: string;
  /** `node file ...args` in the app's folder. */
  node(file: string, args?: string[]): Promise<CommandResult>;
  /** `npx ...args` in the app's folder, never downloading anything. */
  npx(args: string[]): Promise<CommandResult>;
}

const settle = (work: Promise<{ stdout: string; stderr: string }>): Promise<CommandResult> =>
  work.then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === 'number' ? error.code : 1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? String(error),
    }),
  );

/**
 * Installs `tarball` into a new app in `dir` with npm, as a user would, together with its
 * peers, TypeScript 5 and the scripts in test/fixtures/scratch-app. npm is told to prefer
 * its cache, which `npm ci` of this repository filled.
 */
export async function installScratchApp(dir: string, tarball: string): Promise<ScratchApp> {
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'scratch-app', version: '1.0.0', private: true }));
  const specs = [tarball, ...companions.map((name) => `${name}@${installedVersion(name)}`), `typescript@${TYPESCRIPT_5}`];
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], { cwd: dir });
  await cp(join(repoRoot, 'test/fixtures/scratch-app'), dir, { recursive: true });
  return {
    dir,
    node: (file, args = []) => settle(run(process.execPath, [join(dir, file), ...args], { cwd: dir })),
    npx: (args) => settle(run('npx', ['--no', '--', ...args], { cwd: dir })),
  };
}
