import { describe, expect, it, vi } from 'vitest';
import { defineSessionsTable, hashToken, PGStore, StoreQueryError, type PGStoreOptions } from '../../src/index.js';
import { uniqueName, type Backend } from './backends.js';
import { expectNoSecret, secretSession, type SecretSession } from './secrets.js';
import { createSessionsTable } from './sql.js';
import { inHours } from './values.js';

const YEAR_6000 = new Date('6000-01-01T00:00:00Z');

/** The error a call rejects with (a call that throws at once counts too), or a marker error when it resolves. */
const failureOf = (call: () => Promise<unknown>) =>
  Promise.resolve()
    .then(call)
    .then(
      () => new Error('resolved'),
      (error: unknown) => error,
    );

type Call = [method: string, call: (store: PGStore, session: SecretSession) => Promise<unknown>];

/** Every PGStore method that runs a query, called with the secret session. */
const EVERY_METHOD: Call[] = [
  ['find', (s, { token }) => s.find(token)],
  ['findWithExpiry', (s, { token }) => s.findWithExpiry(token)],
  ['save', (s, { token, data }) => s.save(token, data, inHours(1))],
  ['delete', (s, { token }) => s.delete(token)],
  ['touch', (s, { token }) => s.touch(token, inHours(2))],
  ['all', (s) => s.all()],
  ['tokens', (s) => s.tokens()],
  ['count', (s) => s.count()],
  ['clear', (s) => s.clear()],
  ['deleteExpired', (s) => s.deleteExpired()],
];

/**
 * Asserts what every query failure must look like: our own error, naming the method and
 * the driver's reason, with the SQLSTATE reachable on it and on its cause, and no form of
 * the session anywhere in it. The secrets are looked for first, so a leak is what fails.
 */
function expectQueryError(error: unknown, session: SecretSession, method: string, code: string, reason: RegExp) {
  expectNoSecret(error, session, method);
  expect(error, method).toBeInstanceOf(StoreQueryError);
  const failure = error as StoreQueryError;
  expect(failure.name).toBe('StoreQueryError');
  expect(failure.method).toBe(method);
  expect(failure.message).toMatch(new RegExp(`^drizzle-pgstore: ${method} failed: ${reason.source}`));
  expect(failure.code, method).toBe(code);
  expect(failure.cause).toBeInstanceOf(Error);
  expect(failure.cause.code, method).toBe(code);
  expect(failure.cause.message, method).toMatch(reason);
}

/**
 * Database failures leave the store as a {@link StoreQueryError} that carries no token, no
 * hash of one and no session bytes, on every method: a missing table, a CHECK constraint
 * (PostgreSQL puts the failing row in `detail`), and triggers that quote the row.
 */
export function describeErrorSecrecy(
  context: () => { backend: Backend; newStore: (options?: PGStoreOptions) => PGStore },
  { hashTokens = false } = {},
) {
  describe('errors keep secrets', () => {
    /** A fresh sessions table holding the secret session, and a store on it. */
    async function tableWithSession(...setup: string[]) {
      const { backend, newStore } = context();
      const name = uniqueName('secrets');
      await createSessionsTable(backend, name);
      const session = await secretSession();
      const key = hashTokens ? hashToken(session.token) : session.token;
      await backend.query(`INSERT INTO ${name} VALUES ($1, $2, current_timestamp + interval '1 hour')`, [key, session.data]);
      for (const statement of setup) await backend.query(statement.replaceAll('$table', name));
      const store = newStore({ table: defineSessionsTable(name), hashTokens });
      return { backend, name, session, store };
    }

    it('every method fails on a missing table with our error, the reason and 42P01, and no secret', async () => {
      const { backend, name, session, store } = await tableWithSession();
      await backend.query(`ALTER TABLE ${name} RENAME TO ${name}_moved`);
      try {
        const reason = new RegExp(`relation "${name}" does not exist`);
        for (const [method, call] of EVERY_METHOD) {
          expectQueryError(await failureOf(() => call(store, session)), session, method, '42P01', reason);
        }
      } finally {
        await backend.query(`DROP TABLE ${name}_moved`);
      }
    });

    it('the background cleanup reports the same error to onError', async () => {
      const { backend, name, session } = await tableWithSession();
      await backend.query(`ALTER TABLE ${name} RENAME TO ${name}_moved`);
      const errors: unknown[] = [];
      const store = context().newStore({ table: defineSessionsTable(name), hashTokens, cleanupInterval: 20, onError: (e) => errors.push(e) });
      try {
        await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(1), { timeout: 5000 });
        await store.stopCleanup();
        expectQueryError(errors[0], session, 'deleteExpired', '42P01', new RegExp(`relation "${name}" does not exist`));
        expect(store.cleanup.lastRun?.error).toBe(errors.at(-1));
      } finally {
        await backend.query(`DROP TABLE ${name}_moved`);
      }
    });

    it('a CHECK constraint that rejects the row on save and touch: the row PostgreSQL details stays out, 23514 stays in', async () => {
      const { backend, name, session, store } = await tableWithSession(
        `ALTER TABLE $table ADD CONSTRAINT $table_expiry_limit CHECK (expiry < '5999-01-01')`,
      );
      try {
        const reason = new RegExp(`new row for relation "${name}" violates check constraint "${name}_expiry_limit"`);
        const saving = await failureOf(() => store.save(session.token, session.data, YEAR_6000));
        expectQueryError(saving, session, 'save', '23514', reason);
        expect((saving as StoreQueryError).cause).toMatchObject({ constraint: `${name}_expiry_limit`, table: name, severity: 'ERROR' });
        // An UPDATE that breaks the constraint puts the whole row, data included, in the detail.
        expectQueryError(await failureOf(() => store.touch(session.token, YEAR_6000)), session, 'touch', '23514', reason);
      } finally {
        await backend.query(`DROP TABLE ${name}`);
      }
    });

    it('a trigger that quotes the row in its message, detail and hint: scrubbed or left out, the reason kept', async () => {
      const refuse = uniqueName('refuse');
      const { backend, name, session, store } = await tableWithSession(
        `CREATE FUNCTION ${refuse}() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            RAISE EXCEPTION 'refused % % % by policy', NEW.token, NEW.data, convert_from(NEW.data, 'UTF8');
          ELSIF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION 'refused % by policy', NEW.token
              USING DETAIL = convert_from(NEW.data, 'UTF8'), HINT = encode(NEW.data, 'hex');
          END IF;
          RAISE EXCEPTION 'refused a delete by policy'
            USING DETAIL = OLD.token || convert_from(OLD.data, 'UTF8'), HINT = OLD.token || encode(OLD.data, 'hex');
        END $fn$`,
        `CREATE TRIGGER ${refuse} BEFORE INSERT OR UPDATE OR DELETE ON $table FOR EACH ROW EXECUTE FUNCTION ${refuse}()`,
      );
      try {
        // The message quotes what the call knew (the token or its hash, and the data on save): scrubbed.
        const save = await failureOf(() => store.save(session.token, session.data, inHours(1)));
        expectQueryError(save, session, 'save', 'P0001', /refused \[redacted\] \[redacted\] \[redacted\] by policy/);
        const touch = await failureOf(() => store.touch(session.token, inHours(2)));
        expectQueryError(touch, session, 'touch', 'P0001', /refused \[redacted\] by policy/);
        // Only the detail and the hint quote the rest: left out, whether the call knew it or not.
        for (const [method, call] of EVERY_METHOD.filter(([m]) => m === 'delete' || m === 'clear')) {
          expectQueryError(await failureOf(() => call(store, session)), session, method, 'P0001', /refused a delete by policy/);
        }
      } finally {
        await backend.query(`DROP TABLE ${name}`);
        await backend.query(`DROP FUNCTION ${refuse}()`);
      }
    });
  });
}
