import { expect, it } from 'vitest';
import { DemoVisitor, useDemo } from './support/demo.js';

// What the demo's answers tell browsers and caches, as someone copying it into production
// would carry it along.
const demo = useDemo({}, 'pglite');

const attributes = (setCookie: string) => setCookie.split(';').slice(1).map((part) => part.trim().toLowerCase());

it('marks its cookies Secure when a local proxy says the visitor came over HTTPS, and not over plain HTTP', async () => {
  // The demo listens on 127.0.0.1 only, so in production it sits behind a proxy on the same machine.
  const https = { 'X-Forwarded-Proto': 'https' };
  const secureVisitor = new DemoVisitor(demo.url);
  const page = await secureVisitor.request('GET', '/', undefined, https);
  const [formCookie] = page.setCookies;
  expect(formCookie).toMatch(/^__Host-demo\.csrf=/);
  expect(attributes(formCookie!)).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=strict', 'path=/']));
  const token = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
  const origin = `https://${new URL(demo.url).host}`;
  const signedIn = await secureVisitor.postForm('/sign-in', { csrf: token, name: 'Ada' }, { ...https, Origin: origin });
  expect(signedIn.status).toBe(303);
  const sessionCookie = signedIn.setCookies.find((header) => header.startsWith('demo.sid='));
  expect(attributes(sessionCookie!)).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=lax']));

  // On plain HTTP (the demo on a laptop) a Secure cookie would never come back: none is sent.
  const plainVisitor = new DemoVisitor(demo.url);
  const [plainFormCookie] = (await plainVisitor.get('/')).setCookies;
  expect(plainFormCookie).toMatch(/^demo\.csrf=/);
  expect(attributes(plainFormCookie!)).not.toContain('secure');
  await plainVisitor.signIn('Grace');
  expect(plainVisitor.sessionId).toBeDefined();
});

it('keeps its pages, a refusal among them, out of caches, and keeps its CSP', async () => {
  const requests = [
    ['GET', '/'],
    ['GET', '/status'],
    ['POST', '/sign-out'],
  ] as const;
  for (const [method, path] of requests) {
    const response = await fetch(new URL(path, demo.url), { method, redirect: 'manual' });
    expect(response.status).toBe(method === 'GET' ? 200 : 403);
    // A page shows who is signed in and carries a form's token: no cache may keep it.
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('content-security-policy')).toContain("form-action 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  }
});
