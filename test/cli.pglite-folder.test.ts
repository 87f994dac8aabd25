import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { setTimeout } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/cli/database.js';
import { PgliteFolderError } from '../src/cli/pglite-folder.js';
import { cli, oneLine, runCli } from './support/cli.js';

let parent: string;
beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'pgstore-folder-'));
});
afterAll(() => rm(parent, { recursive: true, force: true }));

/** A folder with someone's files in it, and no database. */
async function folderOfFiles(name: string): Promise<string> {
  const folder = join(parent, name);
  await mkdir(join(folder, 'photos'), { recursive: true });
  await writeFile(join(folder, 'notes.txt'), 'mine\n');
  return folder;
}

const emptyFolder = async (name: string) => {
  const folder = join(parent, name);
  await mkdir(folder);
  return folder;
};

const UNTOUCHED = /holds files but no PGlite database \(no PG_VERSION\), so it was left untouched: give the folder of a PGlite database, or a new or empty folder for migrate to create one in/;

describe('the CLI on a folder that is not a PGlite database', () => {
  it('stats, cleanup and migrate refuse a folder of other files and write nothing to it', async () => {
    const folder = await folderOfFiles('files');
    for (const command of ['stats', 'cleanup', 'migrate']) {
      const result = await runCli([command, '--pglite', folder]);
      expect(result.code, command).toBe(2);
      expect(oneLine(result), command).toMatch(UNTOUCHED);
      expect((await readdir(folder)).sort(), command).toEqual(['notes.txt', 'photos']);
    }
  });

  it('stats and cleanup refuse an empty folder, leave it empty, and point to migrate, which makes the database', async () => {
    const folder = await emptyFolder('empty');
    for (const command of ['stats', 'cleanup']) {
      const result = await runCli([command, '--pglite', folder]);
      expect(result.code, command).toBe(2);
      expect(oneLine(result), command).toBe(
        `drizzle-pgstore: no PGlite database at ${folder}: the folder is empty (to create one: drizzle-pgstore migrate --pglite ${folder})`,
      );
      expect(await readdir(folder), command).toEqual([]);
    }
    // The hint, followed as it stands.
    expect((await runCli(['migrate', '--pglite', folder])).code).toBe(0);
    expect(await runCli(['stats', '--pglite', folder])).toMatchObject({ code: 0, stderr: '' });
  });

  it('stats refuses a folder that does not exist, and migrate makes it', async () => {
    const folder = join(parent, 'new folder', 'pglite');
    const result = await runCli(['stats', '--pglite', folder]);
    expect(result.code).toBe(2);
    // Quoted for the shell, as the path has a space.
    expect(oneLine(result)).toBe(
      `drizzle-pgstore: no PGlite database at ${folder}: no such folder (to create one: drizzle-pgstore migrate --pglite '${folder}')`,
    );
    expect((await runCli(['migrate', '--pglite', folder])).code).toBe(0);
    expect(await runCli(['cleanup', '--pglite', folder])).toMatchObject({ code: 0, stderr: '' });
  });

  it('refuses a file', async () => {
    const file = fileURLToPath(import.meta.url);
    const result = await runCli(['stats', '--pglite', file]);
    expect(result.code).toBe(2);
    expect(oneLine(result)).toBe(`drizzle-pgstore: ${file} is a file, not a PGlite folder`);
  });
});

describe('a PGlite database whose creation was killed half-way', () => {
  it('is refused by stats, which points to migrate; migrate (and so the demo) makes it again', async () => {
    const folder = join(parent, 'killed');
    // PGlite writes the new database's files late, all at once: kill it as they appear.
    const child = spawn(process.execPath, [cli, 'migrate', '--pglite', folder]);
    const exited = once(child, 'exit');
    while ((await readdir(folder).catch(() => [])).length < 3) await setTimeout(5);
    child.kill('SIGKILL');
    await exited;
    expect(await readdir(folder)).not.toContain('PG_VERSION');

    const refused = await runCli(['stats', '--pglite', folder]);
    expect(refused.code).toBe(2);
    expect(oneLine(refused)).toMatch(/its creation was interrupted \(to create it again: drizzle-pgstore migrate --pglite \S+\)/);
    expect((await runCli(['migrate', '--pglite', folder])).code).toBe(0);
    const stats = await runCli(['stats', '--pglite', folder, '--json']);
    expect(JSON.parse(stats.stdout)).toMatchObject({ live: 0, expired: 0 });
    expect(await readdir(folder)).not.toContain('.drizzle-pgstore-creating');
  });
});

describe('openDatabase, as the demo uses it', () => {
  it('makes a database in a new or an empty folder', async () => {
    for (const folder of [join(parent, 'demo-new'), await emptyFolder('demo-empty')]) {
      const database = await openDatabase({ pgliteDir: folder });
      await database.migrate();
      await database.close();
      expect(await readdir(folder)).toContain('PG_VERSION');
    }
  });

  it('refuses a folder of other files', async () => {
    const folder = await folderOfFiles('demo-files');
    const opening = openDatabase({ pgliteDir: folder });
    await expect(opening).rejects.toThrow(PgliteFolderError);
    await expect(opening).rejects.toThrow(UNTOUCHED);
    expect((await readdir(folder)).sort()).toEqual(['notes.txt', 'photos']);
  });
});
