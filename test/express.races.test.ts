import { describe, expect, it, vi } from 'vitest';
import { SessionConflictError } from '../src/index.js';
import { expressFramework, fastifyFramework, type Framework } from './support/session-apps.js';
import { SESSION_BACKENDS } from './support/session-backends.js';
import { useSessionHarness } from './support/session-harness.js';

type Peek = { id: string; views: number | null; signedIn: boolean };

/** A gate `GET /slow` waits at: `arrived` once the request has loaded its session, `open()` lets it finish. */
function gate() {
  let arrive!: () => void;
  let open!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    hold: () => {
      arrive();
      return opened;
    },
    arrived,
    open,
  };
}

const FRAMEWORKS: Array<[string, Framework]> = [
  ['express-session', expressFramework],
  ['@fastify/session', fastifyFramework],
];
const KEYS = Array.from({ length: 50 }, (_, i) => `k${i}`);

// Races a user meets over real HTTP: each one stages a request that loaded the session before
// another request ended or changed it, and finishes after.
for (const [frameworkName, framework] of FRAMEWORKS) {
  for (const backend of SESSION_BACKENDS) {
    describe.each([{ hashTokens: false }, { hashTokens: true }])(`${frameworkName} on ${backend.name}, hashTokens: $hashTokens`, ({ hashTokens }) => {
      const h = useSessionHarness(framework, backend.open, { hashTokens });

      it('a request in flight when the session is destroyed does not sign it in again', async () => {
        const { hold, arrived, open } = gate();
        const onError = vi.fn();
        const browser = (await h.start({ hold, options: { onError } })).client();
        const { id } = (await browser.post<{ id: string }>('/regenerate')).body;
        expect((await browser.get<Peek>('/peek')).body.signedIn).toBe(true);

        const slow = browser.get('/slow');
        await arrived;
        expect((await browser.post('/destroy')).body).toEqual({ destroyed: true });
        open();
        expect((await slow).status).toBe(200);

        expect(await h.row(id)).toBeNull();
        expect(await h.rowCount()).toBe(0);
        expect((await browser.get<Peek>('/peek')).body).toMatchObject({ signedIn: false, views: null });
        expect(onError).toHaveBeenCalledExactlyOnceWith(expect.any(SessionConflictError));
      });

      it('a request in flight when deleteOwner signs the user out everywhere does not bring its session back', async () => {
        const { hold, arrived, open } = gate();
        const onError = vi.fn();
        const started = await h.start({ hold, owners: true, options: { ownerOf: (session) => session.userId, onError } });
        const phone = started.client();
        const laptop = started.client();
        await phone.post('/regenerate?user=ada');
        await laptop.post('/regenerate?user=ada');

        const slow = phone.get('/slow');
        await arrived;
        expect(await started.sessions.deleteOwner('ada')).toBe(2);
        open();
        expect((await slow).status).toBe(200);

        expect(await started.sessions.sessionsOf('ada')).toEqual([]);
        expect(await h.rowCount()).toBe(0);
        expect((await phone.get<Peek>('/peek')).body.signedIn).toBe(false);
        expect((await laptop.get<Peek>('/peek')).body.signedIn).toBe(false);
        expect(onError).toHaveBeenCalledOnce();
      });

      it('50 concurrent requests on one session, each setting its own key, keep all 50', async () => {
        const onError = vi.fn();
        const browser = (await h.start({ options: { onError } })).client();
        const { id } = (await browser.get<{ id: string }>('/views')).body;

        const replies = await Promise.all(KEYS.map((key) => browser.post(`/set?key=${key}`)));
        expect(replies.map((reply) => reply.status)).toEqual(KEYS.map(() => 200));

        const stored = JSON.parse((await h.row(id))!.text) as Record<string, unknown>;
        expect(KEYS.filter((key) => stored[key] === true)).toEqual(KEYS);
        expect(stored.views).toBe(1);
        expect(await h.rowCount()).toBe(1);
        expect(onError).not.toHaveBeenCalled();
      });
    });
  }
}
