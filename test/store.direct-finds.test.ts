import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PGStore } from '../src/index.js';
import { databaseUrl, openNodePostgres, type Backend } from './support/backends.js';
import { StatementLog } from './support/counting-db.js';
import { insertRows } from './support/sql.js';

/** What reached node-postgres: each query's config, as given to `query`. */
type SentQuery = { name?: string; text: string; types?: unknown };

/**
 * A node-postgres pool whose `query` records what it is given before running it: a counting
 * wrapper around the real driver, so every query still reaches PostgreSQL.
 */
function recordingPool(backend: Backend): { pool: pg.Pool; sent: SentQuery[] } {
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 4, options: `-c search_path=${backend.schema}` });
  const sent: SentQuery[] = [];
  const query = pool.query.bind(pool) as (config: SentQuery) => Promise<unknown>;
  Object.assign(pool, {
    query: (config: SentQuery, ...rest: unknown[]) => {
      if (typeof config === 'object') sent.push(config);
      return (query as (...args: unknown[]) => Promise<unknown>)(config, ...rest);
    },
  });
  return { pool, sent };
}

const finds = (sent: SentQuery[]) => sent.filter((config) => /^select "(data|token)"/.test(config.text));

describe('finds straight through node-postgres', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openNodePostgres();
  });
  afterAll(() => backend?.close());
  beforeEach(async () => {
    await backend.query('TRUNCATE sessions');
    await insertRows(backend, 'sessions', 20, 3600, 'live');
  });

  it('sends finds with the statement drizzle built but none of its per-call config, and answers as drizzle would', async () => {
    const { pool, sent } = recordingPool(backend);
    const direct = new PGStore(drizzle(pool), { cleanupInterval: 0 });
    const viaDrizzle = new PGStore(drizzle(pool, { logger: new StatementLog() }), { cleanupInterval: 0 });
    try {
      const answers = [];
      for (const store of [direct, viaDrizzle]) {
        const alone = await store.findWithExpiry('live1');
        const many = await Promise.all(['live2', 'missing', 'live3', 'live2', 'live4', 'live5'].map((token) => store.find(token)));
        const manyWithExpiry = await Promise.all(['live6', 'live7', 'missing', 'live8', 'live9'].map((token) => store.findWithExpiry(token)));
        expect(new TextDecoder().decode(alone!.data)).toBe('data 1');
        expect(many.map((data) => data && new TextDecoder().decode(data))).toEqual(['data 2', null, 'data 3', 'data 2', 'data 4', 'data 5']);
        expect(manyWithExpiry.map((row) => row && Number.isInteger(row.expiry.getTime()))).toEqual([true, true, null, true, true]);
        answers.push({ alone, many, manyWithExpiry });
      }
      expect(answers[0]).toEqual(answers[1]);
      const [directFinds, drizzleFinds] = [finds(sent).slice(0, finds(sent).length / 2), finds(sent).slice(finds(sent).length / 2)];
      // The same statements, by name and text; only drizzle's path adds its type parsers.
      expect(directFinds.map(({ name, text }) => ({ name, text }))).toEqual(drizzleFinds.map(({ name, text }) => ({ name, text })));
      expect(directFinds.every((config) => config.types === undefined)).toBe(true);
      expect(drizzleFinds.every((config) => config.types !== undefined)).toBe(true);
      expect(directFinds.some((config) => / = any\(/.test(config.text))).toBe(true);
    } finally {
      await Promise.all([direct.close(), viaDrizzle.close()]);
      await pool.end();
    }
  });

  it('runs finds unnamed with prepared statements off, as behind PgBouncer', async () => {
    const { pool, sent } = recordingPool(backend);
    const store = new PGStore(drizzle(pool), { cleanupInterval: 0, preparedStatements: false });
    try {
      expect(new TextDecoder().decode((await store.find('live1'))!)).toBe('data 1');
      expect(finds(sent)).toEqual([expect.objectContaining({ name: undefined })]);
      expect(finds(sent)[0]!.types).toBeUndefined();
    } finally {
      await store.close();
      await pool.end();
    }
  });
});
