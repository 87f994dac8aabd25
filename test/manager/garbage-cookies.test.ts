import { afterAll, expect, it } from 'vitest';
import { PGStore } from '../../src/index.js';
import { SessionManager } from '../../src/manager/manager.js';
import { unreachableDatabase } from '../support/unreachable-database.js';

const database = unreachableDatabase();
const store = new PGStore(database.db, { cleanupInterval: 0 });
afterAll(async () => {
  await store.close();
  await database.close();
});

it('answers garbage cookies with a new session and no query, and refuses what is not a Request', async () => {
  const manager = new SessionManager(store);
  for (const value of ['', 'x', 'a'.repeat(5000), `${'A'.repeat(42)}=`, "' OR 1=1 --"]) {
    const response = await manager.handle(async (_request, session) => new Response(String(session.token)))(
      new Request('http://127.0.0.1/', { headers: { cookie: `session=${value}` } }),
    );
    expect(await response.text()).toBe('null');
  }
  await expect(manager.load('not a request' as never)).rejects.toThrow(/takes a Request/);
  expect(database.connectionAttempts).toBe(0);
});
