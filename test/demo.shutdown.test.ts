import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../src/cli/database.js';
import { hashToken, sessions } from '../src/index.js';
import { startDemo, DemoVisitor } from './support/demo.js';

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pgstore-demo-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  it(`stops on ${signal} with status 0 by itself, leaving its PGlite folder fit to open again`, async () => {
    const demo = await startDemo({ DEMO_DATA_DIR: dataDir });
    const visitor = new DemoVisitor(demo.url);
    await visitor.signIn(`stopped by ${signal}`);
    expect(await visitor.visits()).toBe(1);

    // Killed only if it hangs; a clean stop ends the process with nothing left running.
    const exit = await demo.stop(signal);
    expect(exit).toEqual({ code: 0, killed: false });
    expect(demo.output()).toContain(`${signal}: stopping\nstopped\n`);

    const database = await openDatabase({ pgliteDir: join(dataDir, 'pglite') });
    try {
      const rows = await database.db.select({ token: sessions.token }).from(sessions);
      expect(rows.map((row) => row.token)).toContain(hashToken(visitor.sessionId!));
    } finally {
      await database.close();
    }
  });
}

it('refuses a bad PORT with one line and status 1', async () => {
  await expect(startDemo({ DEMO_DATA_DIR: dataDir, PORT: 'eighty' })).rejects.toThrow(
    /exited \(1\) before serving:\ndemo: PORT must be a whole number from 0 to 65535, got "eighty"\n$/,
  );
});
