import { describe, expect, it, vi } from 'vitest';
import { hashToken } from '../../src/index.js';
import type { OpenSessionBackend } from './session-backends.js';
import type { Framework } from './session-apps.js';
import { timed, useSessionHarness } from './session-harness.js';

type Views = { id: string; views: number | null; signedIn?: boolean };

/**
 * What a session middleware must see through real HTTP with an ExpressSessionStore, on
 * one database: run per framework and backend, with token hashing off and on.
 */
export function describeSessionLifecycle(framework: Framework, open: OpenSessionBackend) {
  describe.each([{ hashTokens: false }, { hashTokens: true }])('hashTokens: $hashTokens', ({ hashTokens }) => {
    const h = useSessionHarness(framework, open, { hashTokens });
    const storedKey = (sid: string) => (hashTokens ? hashToken(sid) : sid);

    it('keeps a session across requests', async () => {
      const browser = (await h.start()).client();
      const first = await browser.get<Views>('/views');
      const second = await browser.get<Views>('/views');
      const third = await browser.get<Views>('/views');
      expect([first.body.views, second.body.views, third.body.views]).toEqual([1, 2, 3]);
      expect(new Set([first.body.id, second.body.id, third.body.id]).size).toBe(1);
      expect(JSON.parse((await h.row(first.body.id))!.text)).toMatchObject({ views: 3 });
    });

    it('keeps a session across a new app instance on the same database', async () => {
      const before = await h.start();
      const browser = before.client();
      await browser.get('/views');
      await browser.get('/views');
      await h.stop(before);

      const after = await h.start();
      browser.baseUrl = after.app.url;
      expect((await browser.get<Views>('/views')).body.views).toBe(3);
    });

    it('regenerate gives a new id and removes the old row', async () => {
      const browser = (await h.start()).client();
      const { id: oldId } = (await browser.get<Views>('/views')).body;
      const { id: newId } = (await browser.post<{ id: string }>('/regenerate')).body;
      expect(newId).not.toBe(oldId);
      expect(await h.row(oldId)).toBeNull();
      expect(await h.row(newId)).not.toBeNull();
      expect((await browser.get<Views>('/peek')).body).toMatchObject({ id: newId, signedIn: true, views: null });
    });

    it('destroy removes the row, and the next request starts afresh', async () => {
      const browser = (await h.start()).client();
      const { id } = (await browser.get<Views>('/views')).body;
      expect((await browser.post('/destroy')).body).toEqual({ destroyed: true });
      expect(await h.row(id)).toBeNull();
      expect((await browser.get<Views>('/peek')).body.views).toBeNull();
    });

    it('expires the row with the cookie when it has a maxAge, not after ttl', async () => {
      const maxAge = 10 * 60_000;
      const browser = (await h.start({ maxAge, options: { ttl: 86_400 } })).client();
      const { result, before, after } = await timed(() => browser.get<Views>('/views'));
      const { expiryMs } = (await h.row(result.body.id))!;
      expect(expiryMs).toBeGreaterThanOrEqual(before + maxAge);
      expect(expiryMs).toBeLessThanOrEqual(after + maxAge);
    });

    it('expires the row after ttl when the cookie has no maxAge', async () => {
      const browser = (await h.start({ options: { ttl: 7200 } })).client();
      const { result, before, after } = await timed(() => browser.get<Views>('/views'));
      const { expiryMs } = (await h.row(result.body.id))!;
      expect(expiryMs).toBeGreaterThanOrEqual(before + 7_200_000);
      expect(expiryMs).toBeLessThanOrEqual(after + 7_200_000);
    });

    it('takes ttl from a function of the session', async () => {
      const ttl = (session: { remember?: boolean }) => (session.remember ? 30 * 86_400 : 3600);
      const started = await h.start({ options: { ttl } });
      const brief = await timed(() => started.client().get<Views>('/views'));
      const remembered = await timed(() => started.client().get<Views>('/views?remember=1'));
      const briefExpiry = (await h.row(brief.result.body.id))!.expiryMs;
      const rememberedExpiry = (await h.row(remembered.result.body.id))!.expiryMs;
      expect(briefExpiry).toBeGreaterThanOrEqual(brief.before + 3_600_000);
      expect(briefExpiry).toBeLessThanOrEqual(brief.after + 3_600_000);
      expect(rememberedExpiry).toBeGreaterThanOrEqual(remembered.before + 30 * 86_400_000);
      expect(rememberedExpiry).toBeLessThanOrEqual(remembered.after + 30 * 86_400_000);
    });

    it('does not load an expired session', async () => {
      const browser = (await h.start()).client();
      const { id } = (await browser.get<Views>('/views')).body;
      await h.shiftExpiry(id, -2 * 86_400);
      const reply = await browser.get<Views>('/peek');
      expect(reply.status).toBe(200);
      expect(reply.body.views).toBeNull();
    });

    it('treats an unreadable row as no session: left as it is (it may belong to another adapter), reported, no error page', async () => {
      const onUnreadable = vi.fn();
      const browser = (await h.start({ options: { onUnreadable } })).client();
      const { id } = (await browser.get<Views>('/views')).body;
      await h.overwriteData(id, '{"views": 1, oops');
      const reply = await browser.get<Views>('/peek');
      expect(reply.status).toBe(200);
      expect(reply.body.views).toBeNull();
      expect((await h.row(id))?.text).toBe('{"views": 1, oops');
      expect(onUnreadable).toHaveBeenCalledExactlyOnceWith(id, expect.any(SyntaxError));
      // The next change starts a new session under a new id, and the old row is still not touched.
      const next = (await browser.get<Views>('/views')).body;
      expect(next.views).toBe(1);
      expect(next.id).not.toBe(id);
      expect((await h.row(id))?.text).toBe('{"views": 1, oops');
    });

    it('all, length, ids and clear see the sessions the app made', async () => {
      const started = await h.start();
      const ids: string[] = [];
      for (const views of [1, 2, 3]) {
        const browser = started.client();
        let reply;
        for (let i = 0; i < views; i++) reply = await browser.get<Views>('/views');
        ids.push(reply!.body.id);
      }
      const keys = ids.map(storedKey);
      const { sessions } = started;

      expect(await sessions.length()).toBe(3);
      expect((await sessions.ids()).sort()).toEqual([...keys].sort());
      const all = await sessions.all();
      expect(Object.keys(all).sort()).toEqual([...keys].sort());
      expect(keys.map((key) => all[key]?.views)).toEqual([1, 2, 3]);

      await sessions.clear();
      expect(await sessions.length()).toBe(0);
      expect(await sessions.all()).toEqual({});
      expect(await sessions.ids()).toEqual([]);
    });
  });
}
