import { describe, expect, it } from 'vitest';
import type { OpenSessionBackend } from './session-backends.js';
import { CountingStore } from './counting-store.js';
import { expressFramework, fastifyFramework } from './session-apps.js';
import { timed, useSessionHarness, type HarnessSettings } from './session-harness.js';

type Views = { id: string; views: number | null };
const HOUR = 3_600_000;
const counting: NonNullable<HarnessSettings['wrap']> = (store, options) => new CountingStore(store, options);

/**
 * express-session calls `touch` for a session a request did not change (with
 * `resave: false`): what it costs in row writes, and how `touchAfter` bounds it.
 */
export function describeExpressTouch(open: OpenSessionBackend) {
  describe.each([{ hashTokens: false }, { hashTokens: true }])('touch, hashTokens: $hashTokens', ({ hashTokens }) => {
    const h = useSessionHarness(expressFramework, open, { hashTokens });

    it('resave: false touches an unmodified session and never sets it', async () => {
      const started = await h.start({ maxAge: HOUR, wrap: counting });
      const store = started.sessions as CountingStore;
      const browser = started.client();
      const { id } = (await browser.get<Views>('/views')).body;
      const saved = await h.row(id);
      for (let i = 0; i < 3; i++) expect((await browser.get<Views>('/peek')).body.views).toBe(1);
      expect(store.sets).toBe(1);
      expect(store.touches).toHaveLength(3);
      expect((await h.row(id))!.text).toBe(saved!.text);
    });

    it('inside touchAfter the row is not written, though the expiry would move', async () => {
      const started = await h.start({ maxAge: HOUR, wrap: counting });
      const browser = started.client();
      const { id } = (await browser.get<Views>('/views')).body;
      await h.shiftExpiry(id, -30); // as if the session were last written 30 s ago
      const saved = (await h.row(id))!;
      const { before } = await timed(() => browser.get('/peek'));
      expect((started.sessions as CountingStore).touches).toEqual([false]);
      expect(await h.row(id)).toEqual(saved);
      // The cookie's new expiry is later than the stored one: only touchAfter kept the row.
      expect(before + HOUR).toBeGreaterThan(saved.expiryMs);
    });

    it('outside touchAfter the row is written with the new expiry', async () => {
      const browser = (await h.start({ maxAge: HOUR })).client();
      const { id } = (await browser.get<Views>('/views')).body;
      await h.shiftExpiry(id, -120);
      const shifted = (await h.row(id))!;
      const { before, after } = await timed(() => browser.get('/peek'));
      const touched = (await h.row(id))!;
      expect(touched.version).not.toBe(shifted.version);
      expect(touched.expiryMs).toBeGreaterThanOrEqual(before + HOUR);
      expect(touched.expiryMs).toBeLessThanOrEqual(after + HOUR);
      expect(touched.text).toBe(shifted.text);
    });

    it('touchAfter is capped at a tenth of the remaining lifetime, so short sessions slide', async () => {
      const browser = (await h.start({ maxAge: 100_000 })).client();
      const { id } = (await browser.get<Views>('/views')).body;
      await h.shiftExpiry(id, -20); // less than touchAfter (60 s), more than 100 s / 10
      const shifted = (await h.row(id))!;
      await browser.get('/peek');
      expect((await h.row(id))!.version).not.toBe(shifted.version);
    });

    it('touchAfter: 0 writes on a touch that moves the expiry at all', async () => {
      const browser = (await h.start({ maxAge: HOUR, options: { touchAfter: 0 } })).client();
      const { id } = (await browser.get<Views>('/views')).body;
      await h.shiftExpiry(id, -1);
      const shifted = (await h.row(id))!;
      await browser.get('/peek');
      expect((await h.row(id))!.version).not.toBe(shifted.version);
    });

    it('disableTouch never writes on touch', async () => {
      const started = await h.start({ maxAge: HOUR, options: { disableTouch: true }, wrap: counting });
      const browser = started.client();
      const { id } = (await browser.get<Views>('/views')).body;
      await h.shiftExpiry(id, -600);
      const shifted = (await h.row(id))!;
      await browser.get('/peek');
      expect((started.sessions as CountingStore).touches).toEqual([false]);
      expect(await h.row(id)).toEqual(shifted);
    });

    it('without a cookie maxAge, touch slides the row to ttl from now', async () => {
      const browser = (await h.start({ options: { ttl: 3600 } })).client();
      const { id } = (await browser.get<Views>('/views')).body;
      await h.shiftExpiry(id, -600);
      const { before, after } = await timed(() => browser.get('/peek'));
      const { expiryMs } = (await h.row(id))!;
      expect(expiryMs).toBeGreaterThanOrEqual(before + HOUR);
      expect(expiryMs).toBeLessThanOrEqual(after + HOUR);
    });

    it('rolling sends the cookie on every response and slides the row through touch, not set', async () => {
      const started = await h.start({ maxAge: HOUR, rolling: true, wrap: counting });
      const browser = started.client();
      const { id } = (await browser.get<Views>('/views')).body;
      await h.shiftExpiry(id, -120);
      const shifted = (await h.row(id))!;
      const { setCookies } = await browser.get('/peek');
      expect(setCookies.some((header) => header.startsWith('connect.sid='))).toBe(true);
      expect((started.sessions as CountingStore).sets).toBe(1);
      expect((await h.row(id))!.expiryMs).toBeGreaterThan(shifted.expiryMs);
    });

    it('without rolling an unmodified response sends no cookie', async () => {
      const browser = (await h.start({ maxAge: HOUR })).client();
      await browser.get('/views');
      expect((await browser.get('/peek')).setCookies).toEqual([]);
    });
  });
}

/**
 * @fastify/session never calls `touch`, passes Session instances, and by default
 * (`rolling: true`) saves every session on every response.
 */
export function describeFastifySaving(open: OpenSessionBackend) {
  describe('saving', () => {
    const h = useSessionHarness(fastifyFramework, open);

    it('never calls touch', async () => {
      const started = await h.start({ wrap: counting });
      const browser = started.client();
      await browser.get('/views');
      await browser.get('/peek');
      await browser.get('/peek');
      expect((started.sessions as CountingStore).touches).toEqual([]);
    });

    it('stores a Session instance as plain data: its own fields and the cookie', async () => {
      const browser = (await h.start({ maxAge: HOUR })).client();
      const { id } = (await browser.get<Views>('/views')).body;
      const stored = JSON.parse((await h.row(id))!.text) as Record<string, unknown>;
      expect(Object.keys(stored).sort()).toEqual(['cookie', 'views']);
      expect(stored.cookie).toMatchObject({ originalMaxAge: HOUR, path: '/' });
    });

    it('rolling (its default) saves the unmodified session on every response', async () => {
      const started = await h.start({ maxAge: HOUR, wrap: counting });
      const browser = started.client();
      const { id } = (await browser.get<Views>('/views')).body;
      const saved = (await h.row(id))!;
      const { setCookies } = await browser.get('/peek');
      expect(setCookies.some((header) => header.startsWith('sessionId='))).toBe(true);
      expect((started.sessions as CountingStore).sets).toBe(2);
      expect((await h.row(id))!.version).not.toBe(saved.version);
    });

    it('rolling: false leaves an unmodified session unwritten, and writes a modified one', async () => {
      const browser = (await h.start({ maxAge: HOUR, rolling: false })).client();
      const { id } = (await browser.get<Views>('/views')).body;
      const saved = (await h.row(id))!;
      expect((await browser.get('/peek')).setCookies).toEqual([]);
      await browser.get('/peek');
      expect(await h.row(id)).toEqual(saved);
      await browser.get('/views');
      expect((await h.row(id))!.version).not.toBe(saved.version);
    });
  });
}
