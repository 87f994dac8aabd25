import { setTimeout } from 'node:timers/promises';
import { drizzle } from 'drizzle-orm/node-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGStore } from '../src/index.js';
import { SessionManager, type SessionManagerOptions } from '../src/manager/manager.js';
import { openWriteCounter, type WriteCounter } from './support/write-counter.js';

const REQUESTS = 1000;

/**
 * Row writes (inserted + updated + deleted tuples, as PostgreSQL's statistics count them)
 * that 1,000 requests reading a session without changing it cost. SCS rewrites the session
 * on every request once an idle timeout is set; the manager slides it once per touchAfter.
 */
describe(`SessionManager: row writes per ${REQUESTS} unmodified requests, on PostgreSQL`, () => {
  let counter: WriteCounter;
  const figures: string[] = [];

  beforeAll(async () => {
    counter = await openWriteCounter();
  });
  afterAll(async () => {
    console.log(`SessionManager row writes per ${REQUESTS} unmodified requests:\n${figures.join('\n')}`);
    await counter?.close();
  });

  const writes = () => counter.writesTo('sessions');

  async function measure(setup: string, options: SessionManagerOptions, pauseMs = 0): Promise<{ writes: number; seconds: number }> {
    const store = new PGStore(drizzle(counter.appPool), { cleanupInterval: 0 });
    const manager = new SessionManager(store, options);
    const handler = manager.handle(async (request, session) => {
      if (new URL(request.url).pathname === '/sign-in') session.set('user', 'ada');
      return new Response(String(session.get('user')));
    });
    const first = await handler(new Request('http://127.0.0.1/sign-in'));
    const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
    const before = await writes();
    const startedAt = Date.now();
    for (let i = 0; i < REQUESTS; i++) {
      const response = await handler(new Request('http://127.0.0.1/', { headers: { cookie } }));
      expect(await response.text()).toBe('ada');
      if (pauseMs > 0) await setTimeout(pauseMs);
    }
    const result = { writes: (await writes()) - before, seconds: (Date.now() - startedAt) / 1000 };
    figures.push(`  ${String(result.writes).padStart(5)}  ${setup} (${result.seconds.toFixed(1)} s)`);
    await store.close();
    return result;
  }

  it('writes nothing without an idle timeout', async () => {
    expect((await measure('no idleTimeout', {})).writes).toBe(0);
  });

  it('slides an idle timeout at most once per touchAfter (default a minute), not once per request', async () => {
    const { writes, seconds } = await measure('idleTimeout 1 h, touchAfter default (60 s)', { idleTimeout: 3_600_000 });
    expect(writes).toBeLessThanOrEqual(Math.ceil(seconds / 60));
  });

  it('with touchAfter 0 slides on every request, as SCS does', async () => {
    // A pause after each request, so that each one's expiry differs from the last by a millisecond or more.
    const { writes } = await measure('idleTimeout 1 h, touchAfter 0 (what SCS does)', { idleTimeout: 3_600_000, touchAfter: 0 }, 2);
    expect(writes).toBe(REQUESTS);
  });
});
