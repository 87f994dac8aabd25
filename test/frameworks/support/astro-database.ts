import { databaseUrl, openNodePostgres, type Backend } from '../../support/backends.js';

/** A row write to the sessions table, as the trigger logged it. */
export interface SessionWrite {
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  token: string;
  /** The expiry the row was written with (the old one, for a delete). */
  expiry: Date;
  /** When the write happened, by the database clock. */
  at: Date;
}

/** A row of the sessions table, its data as text. */
export interface SessionRow {
  token: string;
  data: string;
  expiry: Date;
  expired: boolean;
}

/**
 * The sessions table in a schema of its own on the PostgreSQL server, with a trigger that
 * logs every row write to it: an app served by another process writes through its own pool,
 * so the log, not statistics of this process, counts its writes.
 */
export interface AstroDatabase {
  backend: Backend;
  /** The URL the app gets as DATABASE_URL: the server's, with this schema first on the search_path. */
  appUrl: string;
  writes(): Promise<SessionWrite[]>;
  rows(): Promise<SessionRow[]>;
  close(): Promise<void>;
}

export async function openAstroDatabase(): Promise<AstroDatabase> {
  const backend = await openNodePostgres();
  const { schema } = backend;
  await backend.query(`CREATE TABLE ${schema}.session_writes (
    op text NOT NULL, token text NOT NULL, expiry timestamptz NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  await backend.query(`CREATE FUNCTION ${schema}.log_session_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        INSERT INTO ${schema}.session_writes (op, token, expiry) VALUES (TG_OP, OLD.token, OLD.expiry);
      ELSE
        INSERT INTO ${schema}.session_writes (op, token, expiry) VALUES (TG_OP, NEW.token, NEW.expiry);
      END IF;
      RETURN NULL;
    END $$`);
  await backend.query(`CREATE TRIGGER log_writes AFTER INSERT OR UPDATE OR DELETE ON ${schema}.sessions
    FOR EACH ROW EXECUTE FUNCTION ${schema}.log_session_write()`);
  const url = new URL(databaseUrl());
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    backend,
    appUrl: url.href,
    writes: () => backend.query<SessionWrite>(`SELECT op, token, expiry, at FROM ${schema}.session_writes ORDER BY at`),
    rows: () =>
      backend.query<SessionRow>(
        `SELECT token, convert_from(data, 'UTF8') AS data, expiry, expiry <= current_timestamp AS expired FROM ${schema}.sessions`,
      ),
    close: () => backend.close(),
  };
}
