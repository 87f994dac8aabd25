import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemo, DemoVisitor, type DemoProcess } from './support/demo.js';

// What the demo's answers tell browsers and caches, as someone copying it into production
// would carry it along.
let dataDir: string;
let demo: DemoProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pgstore-demo-'));
  demo = await startDemo({ DEMO_DATA_DIR: dataDir });
});

afterAll(async () => {
  await demo?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const attributes = (setCookie: string) => setCookie.split(';').slice(1).map((part) => part.trim().toLowerCase());

it('marks its cookies Secure when a local proxy says the visitor came over HTTPS, and not over plain HTTP', async () => {
  // The demo listens on 127.0.0.1 only, so in production it sits behind a proxy on the same machine.
  const https = { 'X-Forwarded-Proto': 'https' };
  const secureVisitor = new DemoVisitor(demo.url);
  const page = await secureVisitor.request('/', { headers: https });
  const [formCookie] = page.setCookies;
  expect(formCookie).toMatch(/^__Host-demo\.csrf=/);
  expect(attributes(formCookie!)).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=strict', 'path=/']));
  const token = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const signedIn = await secureVisitor.request('/sign-in', {
    method: 'POST',
    body: new URLSearchParams({ csrf: token, name: 'Ada' }),
    headers: { ...https, Origin: `https://${new URL(demo.url).host}` },
  });
  expect(signedIn.status).toBe(303);
  const sessionCookie = signedIn.setCookies.find((header) => header.startsWith('demo.sid='));
  expect(attributes(sessionCookie!)).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=lax']));

  // On plain HTTP (the demo on a laptop) a Secure cookie would never come back: none is sent.
  const plainVisitor = new DemoVisitor(demo.url);
  const [plainFormCookie] = (await plainVisitor.request('/')).setCookies;
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
