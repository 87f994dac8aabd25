import { describe, expect, it, vi } from 'vitest';
import { hashToken, SessionManager } from '../src/index.js';
import { expressFramework } from './support/session-apps.js';
import { SESSION_BACKENDS } from './support/session-backends.js';
import { useSessionHarness } from './support/session-harness.js';

const utf8 = new TextEncoder();

// Every adapter's default table is `sessions`: the express adapter must leave the rows of the
// SessionManager and of React Router (whose rows hold `{ data }`) alone when they share it.
for (const backend of SESSION_BACKENDS) {
  describe.each([{ hashTokens: false }, { hashTokens: true }])(`a sessions table shared with other adapters, on ${backend.name}, hashTokens: $hashTokens`, ({ hashTokens }) => {
    const h = useSessionHarness(expressFramework, backend.open, { hashTokens });
    const storedKey = (token: string) => (hashTokens ? hashToken(token) : token);

    it('the express adapter lists only its own rows, reports none of the others and deletes none', async () => {
      const onUnreadable = vi.fn();
      const started = await h.start({ options: { onUnreadable } });
      const { sessions } = started;
      const expressIds: string[] = [];
      for (let i = 0; i < 2; i++) expressIds.push((await started.client().get<{ id: string }>('/views')).body.id);

      // Manager sessions in the same table, through the same store, as an app with both would have.
      const manager = new SessionManager<{ userId: string }>(sessions.store, { onError: () => {} });
      const cookies: string[] = [];
      for (const userId of ['ada', 'bob', 'cy']) {
        const session = await manager.load(new Request('http://app.test/'));
        session.set('userId', userId);
        const response = await manager.commit(session, new Response('signed in'));
        cookies.push(response.headers.get('set-cookie')!.split(';')[0]!);
      }
      const managerTokens = cookies.map((cookie) => cookie.slice(cookie.indexOf('=') + 1));
      // A React Router row, as its storage writes one.
      await sessions.store.save('react-router-session', utf8.encode('{"data":{"userId":"dee"}}'), new Date(Date.now() + 3_600_000));
      expect(await h.rowCount()).toBe(6);

      expect(Object.keys(await sessions.all()).sort()).toEqual(expressIds.map(storedKey).sort());
      expect(onUnreadable).not.toHaveBeenCalled();

      // A get that meets another adapter's row answers "no session" and leaves the row in place.
      for (const token of [...managerTokens, 'react-router-session']) expect(await sessions.get(token)).toBeNull();
      expect(await h.rowCount()).toBe(6);

      // The manager's users are still signed in, and express's too.
      for (const [i, cookie] of cookies.entries()) {
        const session = await manager.load(new Request('http://app.test/', { headers: { cookie } }));
        expect(session.get('userId')).toBe(['ada', 'bob', 'cy'][i]);
      }
      for (const id of expressIds) expect(JSON.parse((await h.row(id))!.text)).toMatchObject({ views: 1 });
    });
  });
}
