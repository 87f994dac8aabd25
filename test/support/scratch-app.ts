import { execFile } from 'node:child_process';
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './packed-package.js';

const run = promisify(execFile);

/** The TypeScript 5 release the package is also type-checked with (most apps are still on 5). */
export const TYPESCRIPT_5 = '5.9.3';

/** What an app installs beside drizzle-pgstore: its peers, drizzle-kit, and the types of its peers. */
const companions = [
  'drizzle-orm',
  'drizzle-kit',
  'pg',
  '@electric-sql/pglite',
  'express-session',
  '@types/pg',
  '@types/node',
  '@types/express-session',
];

/** The outcome of a command run in the scratch app. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** An app in its own folder, outside the repository, with the packed tarball installed. */
export interface ScratchApp {
  dir: string;
  /** What `npm install --strict-allow-scripts <tarball>` printed on stderr. */
  installWarnings: string;
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
 * Installs `tarball` into a new app in `dir` with npm, as a careful user would (with
 * `--strict-allow-scripts`), with TypeScript 5
 * (from npm's cache once it is there) and the scripts in test/fixtures/scratch-app. The
 * peers are linked from the repository's node_modules rather than installed: the app runs
 * on exactly what the repository tests with, and npm needs the registry for nothing else.
 */
export async function installScratchApp(dir: string, tarball: string): Promise<ScratchApp> {
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'scratch-app', version: '1.0.0', private: true }));
  // Strict: npm refuses to install a package that carries an install script nobody allowed.
  const install = ['install', '--strict-allow-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--legacy-peer-deps'];
  const installed = await run('npm', [...install, tarball, `typescript@${TYPESCRIPT_5}`], { cwd: dir });
  for (const name of companions) {
    const link = join(dir, 'node_modules', name);
    await mkdir(dirname(link), { recursive: true });
    await symlink(join(repoRoot, 'node_modules', name), link, 'dir');
  }
  await cp(join(repoRoot, 'test/fixtures/scratch-app'), dir, { recursive: true });
  return {
    dir,
    installWarnings: installed.stderr,
    node: (file, args = []) => settle(run(process.execPath, [join(dir, file), ...args], { cwd: dir })),
    npx: (args) => settle(run('npx', ['--no', '--', ...args], { cwd: dir })),
  };
}
