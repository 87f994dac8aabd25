import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineSessionsTable, ownerMigrations, PGStore } from '../../src/index.js';
import type { Backend, OpenBackend } from './backends.js';

/** The shipped table with the owner column, as an app defines it. */
export const ownedSessions = defineSessionsTable('sessions', { owner: true });

/** Applies the shipped owner migration's statements, as the migrators and `migrate --owner` do. */
export async function addOwnerColumn(backend: Backend): Promise<void> {
  const sql = await readFile(join(ownerMigrations.migrationsFolder, '0000_owner.sql'), 'utf8');
  for (const statement of sql.split('--> statement-breakpoint')) await backend.query(statement);
}

/** A backend whose sessions table has the owner column, a store on it, and a look at the owners. */
export interface OwnedSessionsBackend {
  readonly backend: Backend;
  readonly store: PGStore;
  /** Every row's owner, sorted (nulls last). */
  owners(): Promise<Array<string | null>>;
  close(): Promise<void>;
}

export async function openOwnedSessions(open: OpenBackend): Promise<OwnedSessionsBackend> {
  const backend = await open();
  await addOwnerColumn(backend);
  const store = new PGStore(backend.db, { cleanupInterval: 0, table: ownedSessions });
  return {
    backend,
    store,
    owners: async () =>
      (await backend.query<{ owner: string | null }>('SELECT owner FROM sessions ORDER BY owner')).map((row) => row.owner),
    close: async () => {
      await store.close();
      await backend.close();
    },
  };
}
