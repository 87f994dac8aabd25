import { expect, it } from 'vitest';
import { hashToken } from '../src/index.js';
import { DemoVisitor, useDemo } from './support/demo.js';

const demo = useDemo({ SESSION_SECRET: 'a test secret' });

/** The rows of a session id: the demo's store keys each by the id's hash. */
const rowFor = async (token: string) => (await demo.database.rows()).filter((row) => row.token === hashToken(token));

it('keeps sessions in PostgreSQL: sign in, count visits, sign out and the row is gone', async () => {
  const visitor = new DemoVisitor(demo.url);
  expect(demo.output()).toContain(`sessions in ${demo.database.url}`);
  expect(await visitor.visits()).toBeNull();
  // Looking without signing in leaves no row behind.
  expect(await demo.database.countRows()).toBe(0);

  const signedIn = await visitor.signIn('Grace');
  expect(signedIn).toMatchObject({ status: 303, location: '/' });
  const token = visitor.sessionId!;
  expect(token).toBeTruthy();
  expect(await visitor.visits()).toBe(1);
  expect(await visitor.visits()).toBe(2);
  const [row] = await rowFor(token);
  expect(JSON.parse(row!.data)).toMatchObject({ name: 'Grace', visits: 2 });
  expect(await visitor.liveSessions()).toBe(1);

  expect(await visitor.signOut()).toMatchObject({ status: 303, location: '/' });
  expect(visitor.sessionId).toBeUndefined();
  expect(await rowFor(token)).toEqual([]);
  expect(await visitor.liveSessions()).toBe(0);
  expect(await visitor.visits()).toBeNull();
});

it('escapes the name it is given and refuses an empty one', async () => {
  const visitor = new DemoVisitor(demo.url);
  const refused = await visitor.signIn('   ');
  expect(refused.status).toBe(400);
  expect(visitor.sessionId).toBeUndefined();

  await visitor.signIn('<script>alert(1)</script>');
  const { text: body } = await visitor.get('/');
  expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  expect(body).not.toContain('<script>');
  await visitor.signOut();
});

it('shows expired rows awaiting cleanup apart from live sessions', async () => {
  await demo.database.query(
    "INSERT INTO sessions (token, data, expiry) VALUES ('expired-1', '\\x7b7d', now() - interval '1 hour'), ('expired-2', '\\x7b7d', now() - interval '1 minute')",
  );
  const visitor = new DemoVisitor(demo.url);
  await visitor.signIn('Ada');
  const { text: body } = await visitor.get('/status');
  expect(body).toMatch(/id="live">1</);
  expect(body).toMatch(/id="expired">2</);
  expect(body).toContain('Signed in as Ada.');
  await demo.database.query("DELETE FROM sessions WHERE token LIKE 'expired-%'");
  await visitor.signOut();
});

it('answers a sign-in form over the body limit with 413 and a short page, logs no stack, and keeps serving', async () => {
  const visitor = new DemoVisitor(demo.url);
  const logged = demo.output().length;
  // The demo parses forms up to 2 kb; 5 kB is far past it.
  const refused = await visitor.signIn('x'.repeat(5_000));
  expect(refused.status).toBe(413);
  expect(refused.text).toMatch(/too large/i);
  expect(refused.text).not.toContain('Something went wrong');
  expect(visitor.sessionId).toBeUndefined();

  expect(await visitor.signIn('Grace')).toMatchObject({ status: 303, location: '/' });
  expect(await visitor.visits()).toBe(1);
  await visitor.signOut();

  // The log may trail the responses; once the one line about the refusal is in, a stack
  // trace (lines of "    at <frame>") would be too.
  await expect.poll(() => demo.output().slice(logged)).toContain('demo: refused POST /sign-in: 413');
  expect(demo.output().slice(logged)).not.toMatch(/^\s+at /m);
});

it('saves the session before it answers a sign-in, so a browser following the redirect at once is signed in', async () => {
  // express-session sends a response's head before its save is done unless told to wait, and
  // a browser follows a redirect as soon as it has the head; so does this test, not waiting
  // for the rest of the answer (which the DemoVisitor would).
  for (let attempt = 1; attempt <= 20; attempt++) {
    const form = await fetch(demo.url);
    const formCookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
    const token = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const signIn = await fetch(`${demo.url}/sign-in`, {
      method: 'POST',
      headers: { cookie: formCookie },
      body: new URLSearchParams({ csrf: token, name: `Visitor ${attempt}` }),
      redirect: 'manual',
    });
    expect(signIn.status).toBe(303);
    const sessionCookie = signIn.headers.getSetCookie()[0]!.split(';')[0]!;
    const home = await fetch(demo.url, { headers: { cookie: sessionCookie } });
    expect({ attempt, signedIn: (await home.text()).includes(`Visitor ${attempt}`) }).toEqual({ attempt, signedIn: true });
    await signIn.text();
  }
  await demo.database.query('DELETE FROM sessions');
});
