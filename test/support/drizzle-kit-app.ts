import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniqueName } from './backends.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const drizzleKit = fileURLToPath(new URL('../../node_modules/drizzle-kit/bin.cjs', import.meta.url));

/** What a drizzle-kit run printed, and its exit status. */
export interface KitResult {
  code: number;
  output: string;
}

/** An app of its own with a Drizzle schema, a drizzle.config and the drizzle-kit commands. */
export interface DrizzleKitApp {
  /** `drizzle-kit generate`; resolves with the path of the migration it wrote. */
  generate(): Promise<string>;
  /** Replaces the app's schema, as a developer editing it would. */
  writeSchema(schema: string): Promise<void>;
  /** `drizzle-kit migrate` against the app's database. */
  migrate(): Promise<KitResult>;
  remove(): Promise<void>;
}

/**
 * Writes an app whose Drizzle schema is `schema`, on the database at `url`. It lives in
 * test/.tmp, inside this package, so that 'drizzle-pgstore/schema' resolves to its build.
 */
export async function drizzleKitApp(schema: string, url: string): Promise<DrizzleKitApp> {
  const app = fileURLToPath(new URL(`../.tmp/${uniqueName('app')}/`, import.meta.url));
  await mkdir(app, { recursive: true });
  await writeFile(`${app}schema.ts`, schema);
  await writeFile(
    `${app}drizzle.config.ts`,
    // Paths relative to the working folder: drizzle-kit 0.31 reads an absolute `out` back as
    // './' + out, and so finds no snapshot when it generates a second migration.
    `export default ${JSON.stringify({ dialect: 'postgresql', schema: relative(root, `${app}schema.ts`), out: relative(root, `${app}drizzle`), dbCredentials: { url } })};\n`,
  );
  const kit = (command: string) =>
    new Promise<KitResult>((resolve) => {
      execFile(process.execPath, [drizzleKit, command, `--config=${app}drizzle.config.ts`], { cwd: root }, (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
      });
    });
  return {
    generate: async () => {
      const migrations = async () => (await readdir(`${app}drizzle`).catch(() => [])).filter((name) => name.endsWith('.sql'));
      const before = await migrations();
      const { code, output } = await kit('generate');
      // drizzle-kit can print an error and still exit with 0: no new file is the failure then.
      const [file, ...more] = (await migrations()).filter((name) => !before.includes(name));
      if (code !== 0 || file === undefined || more.length > 0) throw new Error(`drizzle-kit generate failed:\n${output}`);
      return `${app}drizzle/${file}`;
    },
    writeSchema: (text) => writeFile(`${app}schema.ts`, text),
    migrate: () => kit('migrate'),
    remove: () => rm(app, { recursive: true, force: true }),
  };
}

/** The README's step for an app whose table `drizzle-pgstore migrate` made first. */
export async function makeSessionsIfNotExists(migration: string): Promise<void> {
  const text = await readFile(migration, 'utf8');
  await writeFile(
    migration,
    text
      .replace('CREATE TABLE "sessions"', 'CREATE TABLE IF NOT EXISTS "sessions"')
      .replace('CREATE INDEX "sessions_expiry_idx"', 'CREATE INDEX IF NOT EXISTS "sessions_expiry_idx"'),
  );
}
