import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lockFolder, type FolderLock } from './folder-lock.js';
import { shellCommand } from './shell.js';

/** A folder that cannot be opened as a PGlite database; nothing was written to it. */
export class PgliteFolderError extends Error {
  override readonly name = 'PgliteFolderError';
}

/** What a folder holds, as far as opening it with PGlite goes. */
type FolderState = 'missing' | 'not a folder' | 'empty' | 'database' | 'interrupted' | 'other files';

/**
 * Written into a folder before PGlite creates a database in it, removed once PG_VERSION is
 * there: PGlite writes its files late and at once, so a process stopped meanwhile (Ctrl-C at
 * the first `npm start`) leaves a folder that is neither empty nor a database.
 */
const CREATING = '.drizzle-pgstore-creating';

async function folderState(folder: string): Promise<FolderState> {
  const found = await stat(folder).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (found === undefined) return 'missing';
  if (!found.isDirectory()) return 'not a folder';
  if (await stat(join(folder, CREATING)).then(() => true, () => false)) return 'interrupted';
  // Every PostgreSQL data folder, PGlite's included, starts with its PG_VERSION file.
  const database = await stat(join(folder, 'PG_VERSION')).then((file) => file.isFile(), () => false);
  if (database) return 'database';
  return (await readdir(folder)).length === 0 ? 'empty' : 'other files';
}

/** A PGlite folder this process holds; `created()` is to be called once PGlite has made a new database in it. */
export interface ClaimedFolder {
  lock: FolderLock;
  /** Whether PGlite will create the database (the folder was new or empty). */
  creates: boolean;
  created(): Promise<void>;
}

/**
 * Takes `folder` for this process as a PGlite database, after checking that it holds one;
 * with `create`, a new or empty folder is accepted too (PGlite then makes the database), and
 * so is one whose creation was interrupted (it is emptied first). A folder holding anything
 * else is refused, as PGlite would write a database into it.
 * Throws {@link PgliteFolderError}, or a FolderInUseError when another process holds it.
 */
export async function claimPgliteFolder(folder: string, { create }: { create: boolean }): Promise<ClaimedFolder> {
  const creates = `to create one: ${shellCommand('drizzle-pgstore', 'migrate', '--pglite', folder)}`;
  const before = await folderState(folder);
  if (before === 'not a folder') throw new PgliteFolderError(`${folder} is a file, not a PGlite folder`);
  if (before === 'missing') {
    if (!create) throw new PgliteFolderError(`no PGlite database at ${folder}: no such folder (${creates})`);
    await mkdir(folder, { recursive: true });
  }
  const lock = await lockFolder(folder);
  try {
    // Looked at again under the lock: the holder before us may have changed it.
    const state = await folderState(folder);
    if (state === 'empty' && !create) {
      throw new PgliteFolderError(`no PGlite database at ${folder}: the folder is empty (${creates})`);
    }
    if (state === 'interrupted') {
      if (!create) {
        throw new PgliteFolderError(`no PGlite database at ${folder}: its creation was interrupted (to create it again: ${shellCommand('drizzle-pgstore', 'migrate', '--pglite', folder)})`);
      }
      // Only this package's own half-made database is ever emptied.
      for (const entry of await readdir(folder)) await rm(join(folder, entry), { recursive: true, force: true });
    }
    if (state === 'other files') {
      throw new PgliteFolderError(
        `${folder} holds files but no PGlite database (no PG_VERSION), so it was left untouched: ` +
          'give the folder of a PGlite database, or a new or empty folder for migrate to create one in',
      );
    }
    const fresh = state !== 'database';
    if (fresh) await writeFile(join(folder, CREATING), '');
    return { lock, creates: fresh, created: () => rm(join(folder, CREATING), { force: true }) };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
