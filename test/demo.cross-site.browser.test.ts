import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { hashToken } from '../src/index.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAttackerSite, type AttackerSite } from './support/attacker-site.js';
import { describeInChromium, launchChromium } from './support/chromium.js';
import { useDemo } from './support/demo.js';

// A page on another origin makes the visitor's browser post forms to the demo. Two setups,
// because SameSite cookies go by site (the host) and not by origin (host and port):
// - from `localhost`, another site: the visitor's SameSite=Lax cookie stays home on the POST,
//   so only the form tokens stop a forged sign-in (which needs no cookie), and a sign-out
//   without them would clear the visitor's cookie while their row lived on;
// - from another port of 127.0.0.1, the same site: the cookie goes along, so SameSite stops
//   nothing; the Origin and Sec-Fetch-Site checks tell this one apart.
const setups = [
  { attackerHost: 'localhost', fetchSite: 'cross-site', cookieSent: false },
  { attackerHost: '127.0.0.1', fetchSite: 'same-site', cookieSent: true },
] as const;

describeInChromium('forged form posts from a page elsewhere', () => {
  const demo = useDemo();
  let browser: Browser;
  let attacker: AttackerSite;

  beforeAll(async () => {
    browser = await launchChromium();
    attacker = await startAttackerSite(demo.url);
  });

  afterAll(async () => {
    await attacker?.close();
    await browser?.close();
  });

  const visits = async (page: Page) => Number(await page.textContent('#visits'));
  const sessionCookie = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === 'demo.sid')?.value;

  /** Signs the visitor in through the demo's own form; resolves to their session id. */
  async function signIn(page: Page, name: string): Promise<string> {
    await page.goto(demo.url);
    await page.fill('input[name=name]', name);
    await Promise.all([page.waitForResponse(`${demo.url}/sign-in`), page.click('button[type=submit]')]);
    expect(await page.textContent('#name')).toBe(name);
    const cookie = await sessionCookie(page.context());
    return decodeURIComponent(cookie!).match(/^s:([^.]+)\./)![1]!;
  }

  /** Opens the attacker's page and returns the demo's answer to the form it posts. */
  async function forge(page: Page, url: string, action: string): Promise<Response> {
    const answer = page.waitForResponse((r) => r.url() === `${demo.url}${action}` && r.request().method() === 'POST');
    // The page posts its form as soon as it is parsed, so only its start is waited for.
    await page.goto(url, { waitUntil: 'commit' });
    const response = await answer;
    await page.waitForURL((at) => at.origin === demo.url);
    return response;
  }

  /** The visitor is still signed in as `name` in their own session, and its row is intact. */
  async function expectUntouched(page: Page, name: string, sessionId: string, cookie: string | undefined, visitsBefore: number) {
    expect(await sessionCookie(page.context())).toBe(cookie);
    const rows = await demo.database.rows();
    expect(rows.filter((row) => row.token === hashToken(sessionId)).map((row) => JSON.parse(row.data).name)).toEqual([name]);
    expect(rows.filter((row) => row.data.includes('Mallory'))).toEqual([]);
    await page.goto(demo.url);
    expect(await page.textContent('#name')).toBe(name);
    expect(await visits(page)).toBe(visitsBefore + 1);
  }

  for (const { attackerHost, fetchSite, cookieSent } of setups) {
    it(`refuses a forged sign-in from ${attackerHost} (${fetchSite}): the visitor stays themselves`, async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const sessionId = await signIn(page, 'Ada');
      const cookie = await sessionCookie(context);

      const url = attacker.pageUrl(attackerHost, '/sign-in', { name: 'Mallory' });
      const response = await forge(page, url, '/sign-in');
      expect(await response.request().headerValue('sec-fetch-site')).toBe(fetchSite);
      expect((await response.request().headerValue('cookie'))?.includes('demo.sid') ?? false).toBe(cookieSent);
      expect(response.status()).toBe(403);
      expect(await response.headerValue('set-cookie')).toBeNull();
      expect(await page.textContent('h1')).toBe('Forbidden');

      await expectUntouched(page, 'Ada', sessionId, cookie, 1);
      await context.close();
    });

    it(`refuses a forged sign-out from ${attackerHost} (${fetchSite}): the session and its cookie live on`, async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const sessionId = await signIn(page, 'Grace');
      const cookie = await sessionCookie(context);

      const response = await forge(page, attacker.pageUrl(attackerHost, '/sign-out'), '/sign-out');
      expect(await response.request().headerValue('sec-fetch-site')).toBe(fetchSite);
      expect(response.status()).toBe(403);
      expect(await response.headerValue('set-cookie')).toBeNull();

      await expectUntouched(page, 'Grace', sessionId, cookie, 1);
      await context.close();
    });
  }
});
