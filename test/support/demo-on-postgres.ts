import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { startDemo, type DemoProcess } from './demo.js';
import { createDemoDatabase, type DemoDatabase } from './demo-database.js';

/** The demo a test file runs on PostgreSQL; read it inside tests, once it has started. */
export interface DemoOnPostgres {
  /** What the demo printed after "open". */
  readonly url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its database, to look at the sessions table. */
  readonly database: DemoDatabase;
}

/**
 * Runs the demo around the calling test file's tests, on a database and a data folder of its
 * own, with `env` on top (see {@link startDemo}); after them, checks that it stopped cleanly.
 */
export function useDemoOnPostgres(env: Record<string, string> = {}): DemoOnPostgres {
  let demo: DemoProcess | undefined;
  let database: DemoDatabase | undefined;
  let dataDir: string | undefined;

  beforeAll(async () => {
    database = await createDemoDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'pgstore-demo-'));
    demo = await startDemo({ DATABASE_URL: database.url, DEMO_DATA_DIR: dataDir, ...env });
  });

  afterAll(async () => {
    const exit = await demo?.stop();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    expect(exit?.code).toBe(0);
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the demo has not started: read it inside a test');
    return value;
  };
  return {
    get url() {
      return started(demo).url;
    },
    output: () => started(demo).output(),
    get database() {
      return started(database);
    },
  };
}
