import { PGStore } from '../store/pg-store.js';
import { databaseHelp, databaseOptions, databaseTarget, integerOption, parseOptions, tableHelp, tableOption, tableOptions, UsageError } from './args.js';
import { openDatabase } from './database.js';
import { explainMissingTable } from './missing-table.js';

const DEFAULT_KEYS_ENV = 'DRIZZLE_PGSTORE_ENCRYPTION_KEYS';
const MAX_BATCH_SIZE = 100_000;

const reencryptHelp = `Usage: drizzle-pgstore reencrypt [options]

Moves every live session to the current encryption key now, in batches, rather than as
each is next written: the step of a key rotation before the old key is dropped. Deploy
the app with encryptionKeys [new, old] first, run this, then drop the old key.
Safe beside running apps (a session written meanwhile keeps what was written) and safe
to stop (Ctrl-C stops after the batch in flight) and run again.
With --include-unencrypted it also encrypts the sessions written before encryption was
turned on: the step between deploying with encryptionKeys and readUnencrypted: true and
deploying without readUnencrypted.

Keys: read from the environment variable ${DEFAULT_KEYS_ENV} (or the one --keys-env
names), never from the command line, where they would land in shell history and in ps:
the app's encryptionKeys, current first, as base64 or base64url, separated by commas.
  ${DEFAULT_KEYS_ENV}="$NEW_KEY,$OLD_KEY" npx drizzle-pgstore reencrypt

Options:
  --keys-env NAME      the environment variable holding the keys (default: ${DEFAULT_KEYS_ENV})
  --batch-size N       rows per batch, 1 to ${MAX_BATCH_SIZE} (default: 500)
  --include-unencrypted
                       encrypt unencrypted sessions too (without it they are counted as unreadable)
  --quiet              print only the summary

${tableHelp}

${databaseHelp}`;

/** The keys in the environment variable `name`, or a usage error that never shows them. */
function keysFrom(name: string): string[] {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') {
    throw new UsageError(`no keys: set ${name} to the app's encryptionKeys, current first, comma-separated (keys never go on the command line)`);
  }
  return text.split(',').map((key) => key.trim());
}

export async function reencryptCommand(args: string[], out: (line: string) => void, progress: (line: string) => void): Promise<void> {
  const values = parseOptions(args, {
    ...databaseOptions,
    ...tableOptions,
    'keys-env': { type: 'string' },
    'batch-size': { type: 'string' },
    'include-unencrypted': { type: 'boolean' },
    quiet: { type: 'boolean' },
  });
  if (values.help) return out(reencryptHelp);
  const table = tableOption(values);
  const batchSize = integerOption('batch-size', values['batch-size'], 500, { min: 1, max: MAX_BATCH_SIZE });
  const keysEnv = values['keys-env'] ?? DEFAULT_KEYS_ENV;
  let store: PGStore | undefined;
  const keys = keysFrom(keysEnv);
  const database = await openDatabase(databaseTarget(values));
  const interrupted = new AbortController();
  const onSigint = () => interrupted.abort();
  process.once('SIGINT', onSigint);
  try {
    try {
      store = new PGStore(database.db, { table, cleanupInterval: 0, encryptionKeys: keys, readUnencrypted: values['include-unencrypted'] === true });
    } catch (error) {
      // The store's words, with the variable in place of the option: which key is wrong, never what it is.
      throw new UsageError((error as Error).message.replace(/^drizzle-pgstore: /, '').replace(/encryptionKeys\[(\d+)\]/g, (_, i: string) => `key ${Number(i) + 1} of ${keysEnv}`));
    }
    const opened = store;
    const done = await explainMissingTable(values, database.db, () =>
      opened.reencrypt({
        batchSize,
        signal: interrupted.signal,
        onProgress: ({ moved, encrypted, changedMeanwhile, unreadable }) => {
          const first = values['include-unencrypted'] ? `${encrypted} of them unencrypted before, ` : '';
          if (!values.quiet) progress(`moved ${moved} sessions so far (${first}${changedMeanwhile} written by the app meanwhile, ${unreadable} unreadable)`);
        },
      }),
    );
    const how = interrupted.signal.aborted ? 'interrupted after moving' : 'moved';
    out(`${how} ${done.moved} sessions to the current key; ${done.changedMeanwhile} were written by the app meanwhile (so are on it already)`);
    if (values['include-unencrypted']) out(`${done.encrypted} of the sessions moved were unencrypted before`);
    if (done.unreadable > 0) {
      const why = values['include-unencrypted'] ? 'written with a key not given, or changed' : 'written with a key not given, changed, or not encrypted: --include-unencrypted encrypts those';
      out(`${done.unreadable} sessions no key opens were left as they are (${why})`);
    }
    if (interrupted.signal.aborted) process.exitCode = 130;
  } finally {
    process.off('SIGINT', onSigint);
    await store?.close();
    await database.close();
  }
}
