import { expect, it } from 'vitest';
import { hashToken } from '../src/index.js';
import type { Reply } from './support/cookie-client.js';
import { DemoVisitor, useDemo } from './support/demo.js';

// Forged form posts at the HTTP level: each is refused with 403 before it changes a row or
// a cookie. The browser test (demo.cross-site.browser.test.ts) sends them from a real page.
const demo = useDemo({ SESSION_SECRET: 'a test secret' });

/** The names of the sessions in the table. */
const signedInNames = async () => (await demo.database.rows()).map((row) => JSON.parse(row.data).name);

function expectRefused(reply: Reply<unknown>) {
  expect(reply.status).toBe(403);
  expect(reply.text).toContain('<h1>Forbidden</h1>');
  expect(reply.setCookies).toEqual([]);
}

it('refuses a sign-in form without its own valid token, writing no row and setting no cookie', async () => {
  const visitor = new DemoVisitor(demo.url);
  const token = await visitor.formToken();
  expect(token).not.toBe('');
  const other = new DemoVisitor(demo.url);
  const othersToken = await other.formToken();
  const stranger = new DemoVisitor(demo.url);

  expectRefused(await visitor.postForm('/sign-in', { name: 'Mallory' }));
  expectRefused(await visitor.postForm('/sign-in', { name: 'Mallory', csrf: '' }));
  expectRefused(await visitor.postForm('/sign-in', { name: 'Mallory', csrf: 'made-up' }));
  expectRefused(await visitor.postForm('/sign-in', { name: 'Mallory', csrf: token.slice(0, -1) }));
  // Another browser's form, or this browser's token without the cookie it came with.
  expectRefused(await visitor.postForm('/sign-in', { name: 'Mallory', csrf: othersToken }));
  expectRefused(await stranger.postForm('/sign-in', { name: 'Mallory', csrf: token }));
  expect(await demo.database.countRows()).toBe(0);

  expect(await visitor.postForm('/sign-in', { name: 'Ada', csrf: token })).toMatchObject({ status: 303, location: '/' });
  expect(await signedInNames()).toEqual(['Ada']);
  await visitor.signOut();
  expect(await demo.database.countRows()).toBe(0);
});

it('refuses a sign-out without the session\'s token: the row and the cookie stay', async () => {
  const visitor = new DemoVisitor(demo.url);
  const signInToken = await visitor.formToken();
  await visitor.signIn('Grace');
  const other = new DemoVisitor(demo.url);
  await other.signIn('Ada');
  const othersToken = await other.formToken();
  const token = await visitor.formToken();
  const cookie = visitor.cookie('demo.sid');
  // Nearer its end than a page view would leave it, so even a touch of its expiry would show.
  await demo.database.query("UPDATE sessions SET expiry = now() + interval '1 day' WHERE token = $1", [hashToken(visitor.sessionId!)]);
  const before = (await demo.database.rows()).find((row) => row.token === hashToken(visitor.sessionId!));
  expect(JSON.parse(before!.data)).toMatchObject({ name: 'Grace' });

  expectRefused(await visitor.postForm('/sign-out', {}));
  expectRefused(await visitor.postForm('/sign-out', { csrf: 'made-up' }));
  expectRefused(await visitor.postForm('/sign-out', { csrf: othersToken }));
  expectRefused(await visitor.postForm('/sign-out', { csrf: signInToken }));
  // No session at all: nothing to sign out, and no cookie to clear.
  expectRefused(await new DemoVisitor(demo.url).postForm('/sign-out', { csrf: token }));
  expect((await demo.database.rows()).find((row) => row.token === hashToken(visitor.sessionId!))).toEqual(before);
  expect(visitor.cookie('demo.sid')).toBe(cookie);

  const signedOut = await visitor.postForm('/sign-out', { csrf: token });
  expect(signedOut).toMatchObject({ status: 303, location: '/' });
  expect(signedOut.setCookies).toEqual([expect.stringMatching(/^demo\.sid=;/)]);
  expect(await signedInNames()).toEqual(['Ada']);
  await other.signOut();
  expect(await demo.database.countRows()).toBe(0);
});

it('refuses a post from another origin even with a valid token, and takes one from its own', async () => {
  const visitor = new DemoVisitor(demo.url);
  const token = await visitor.formToken();
  const otherPort = `http://127.0.0.1:${Number(new URL(demo.url).port) + 1}`;
  const forged = [
    { Origin: 'http://evil.example' },
    { Origin: otherPort },
    { Origin: 'null' },
    { 'Sec-Fetch-Site': 'cross-site' },
    { 'Sec-Fetch-Site': 'same-site' },
    { 'Sec-Fetch-Site': 'same-origin', Origin: 'http://evil.example' },
  ];
  for (const headers of forged) {
    expectRefused(await visitor.postForm('/sign-in', { name: 'Mallory', csrf: token }, headers));
  }
  expect(await demo.database.countRows()).toBe(0);
  expect(demo.output()).toContain('demo: refused POST /sign-in: 403 ');

  const own = { Origin: demo.url, 'Sec-Fetch-Site': 'same-origin' };
  expect(await visitor.postForm('/sign-in', { name: 'Ada', csrf: token }, own)).toMatchObject({ status: 303 });
  expect(await visitor.visits()).toBe(1);
  expectRefused(await visitor.postForm('/sign-out', { csrf: await visitor.formToken() }, { Origin: 'http://evil.example' }));
  expect(await demo.database.countRows()).toBe(1);
  expect(await visitor.signOut()).toMatchObject({ status: 303 });
  expect(await demo.database.countRows()).toBe(0);
  // The refusals are logged, but never with a session id or a form's token.
  expect(demo.output()).not.toContain(token);
});
