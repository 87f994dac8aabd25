import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInChromium, launchChromium } from './support/chromium.js';
import { startDemo, type DemoProcess } from './support/demo.js';

// The screenshot in docs/ changes only on request, so a test run leaves the work tree clean.
const screenshotPath = fileURLToPath(
  new URL(process.env.UPDATE_SCREENSHOT ? '../docs/demo.png' : '.tmp/demo.png', import.meta.url),
);

describeInChromium('the demo in a browser', () => {
  let browser: Browser;
  let dataDir: string;
  let demo: DemoProcess | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
    dataDir = await mkdtemp(join(tmpdir(), 'pgstore-demo-'));
  });

  afterAll(async () => {
    await demo?.stop();
    await browser?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const visits = async (page: Page) => Number(await page.textContent('#visits'));

  it('keeps a browser signed in across reloads and a server restart, then signs it out', async () => {
    const context = await browser.newContext({ viewport: { width: 880, height: 440 }, deviceScaleFactor: 2 });
    const page = await context.newPage();
    demo = await startDemo({ DEMO_DATA_DIR: dataDir });

    await page.goto(demo.url);
    await page.fill('input[name=name]', 'Ada Lovelace');
    await Promise.all([page.waitForURL(`${demo.url}/`), page.click('button[type=submit]')]);
    expect(await page.textContent('#name')).toBe('Ada Lovelace');
    expect(await visits(page)).toBe(1);

    await page.reload();
    expect(await page.textContent('#name')).toBe('Ada Lovelace');
    expect(await visits(page)).toBe(2);

    const [cookie, ...others] = (await context.cookies()).filter((c) => c.name === 'demo.sid');
    expect(others).toEqual([]);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    // HttpOnly as the page sees it: scripts cannot read the session id.
    expect(await page.evaluate<string>('document.cookie')).not.toContain('demo.sid');

    // Same data folder, new process (and a new port: cookies do not care about ports).
    expect(await demo.stop()).toEqual({ code: 0, killed: false });
    demo = await startDemo({ DEMO_DATA_DIR: dataDir });
    await page.goto(demo.url);
    expect(await page.textContent('#name')).toBe('Ada Lovelace');
    expect(await visits(page)).toBe(3);
    await mkdir(join(screenshotPath, '..'), { recursive: true });
    await page.screenshot({ path: screenshotPath });

    await page.click('a[href="/status"]');
    expect(Number(await page.textContent('#live'))).toBeGreaterThanOrEqual(1);
    expect(await page.textContent('main p')).toBe('Signed in as Ada Lovelace.');

    await page.goto(demo.url);
    await Promise.all([page.waitForURL(`${demo.url}/`), page.click('text=Sign out')]);
    expect(await page.isVisible('input[name=name]')).toBe(true);
    expect(await page.isVisible('#visits')).toBe(false);
    expect((await context.cookies()).filter((c) => c.name === 'demo.sid')).toEqual([]);

    await page.goto(`${demo.url}/status`);
    expect(await page.textContent('#live')).toBe('0');
    expect(await page.textContent('main p')).toBe('You are not signed in.');
    await context.close();
  });

  it('lists where a name is signed in, and signs the other browser out from the first', async () => {
    demo ??= await startDemo({ DEMO_DATA_DIR: dataDir });
    const signIn = async (userAgent: string) => {
      const context = await browser.newContext({ userAgent });
      const page = await context.newPage();
      await page.goto(demo!.url);
      await page.fill('input[name=name]', 'Grace Hopper');
      await Promise.all([page.waitForURL(`${demo!.url}/`), page.click('button[type=submit]')]);
      return { context, page };
    };
    const laptop = await signIn('Laptop browser <b>1</b>');
    const phone = await signIn('Phone browser');

    await laptop.page.goto(`${demo.url}/status`);
    expect(await laptop.page.locator('#devices li').allTextContents()).toEqual([
      expect.stringMatching(/^Phone browser/),
      expect.stringMatching(/^Laptop browser <b>1<\/b>this browser · signed in \d{4}-/),
    ]);
    await Promise.all([laptop.page.waitForURL(`${demo.url}/status`), laptop.page.click('text=Sign out everywhere else (1)')]);
    expect(await laptop.page.locator('#devices li').count()).toBe(1);
    expect(await laptop.page.isVisible('#no-others')).toBe(true);

    await phone.page.reload();
    expect(await phone.page.isVisible('input[name=name]')).toBe(true);
    await laptop.page.goto(demo.url);
    expect(await laptop.page.textContent('#name')).toBe('Grace Hopper');
    await Promise.all([laptop.context.close(), phone.context.close()]);
  });
});
