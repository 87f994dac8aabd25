import express, { type Request } from 'express';
import session, { type Store } from 'express-session';
import { refuseCrossOrigin } from './cross-origin.js';
import { handleError } from './error-handler.js';
import { formTokenField, isExpectedToken, newFormToken } from './form-token.js';
import { homePage, signInPage, statusPage } from './pages.js';
import { refuse } from './refuse.js';
import './session-data.js';
import { SignInTokens } from './sign-in-token.js';
import type { StatusService } from './status-service.js';
import { stylesheet } from './style.js';

/** The name of the session cookie. */
export const cookieName = 'demo.sid';

const WEEK_MS = 7 * 24 * 3_600_000;
const MAX_NAME_LENGTH = 40;

export interface DemoAppOptions {
  /** Where express-session keeps sessions: an ExpressSessionStore over a PGStore. */
  sessionStore: Store;
  /** Signs the session cookie and the sign-in form's tokens. */
  secret: string;
  status: StatusService;
  /** Shown on the status page: which kind of database (never its URL or folder), and the cleanup interval. */
  about: { databaseKind: string; cleanupInterval: number };
}

// Nothing but our own stylesheet and form posts: injected markup could neither run nor load.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Turns express-session's callback methods into promises, so handlers can await them. */
const regenerate = (req: Request) => new Promise<void>((resolve, reject) => req.session.regenerate((e) => (e ? reject(e) : resolve())));
const save = (req: Request) => new Promise<void>((resolve, reject) => req.session.save((e) => (e ? reject(e) : resolve())));
const destroy = (req: Request) => new Promise<void>((resolve, reject) => req.session.destroy((e) => (e ? reject(e) : resolve())));

/** The token a form sent back, if any. */
const sentToken = (req: Request): unknown => (req.body as Record<string, unknown> | undefined)?.[formTokenField];

/** The demo: sign in with a name, count visits, sign out, and see the sessions table's state. */
export function createDemoApp(options: DemoAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // The demo listens on 127.0.0.1 only, so a proxy in front of it is on this machine: believe
  // its X-Forwarded-Proto and -Host, and so know an HTTPS visitor (req.secure) and our public origin.
  app.set('trust proxy', 'loopback');
  // Secure ('auto') whenever the visitor came over HTTPS: never sent over plain HTTP there, yet
  // the demo still works on http://127.0.0.1, where a Secure cookie would never come back.
  const cookie = { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: WEEK_MS } as const;
  const signInTokens = new SignInTokens(options.secret);

  app.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': contentSecurityPolicy,
      'X-Content-Type-Options': 'nosniff',
      // Pages show who is signed in and carry form tokens: no cache, shared or not, may keep them.
      'Cache-Control': 'no-store',
    });
    next();
  });
  app.get('/style.css', (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('css').send(stylesheet);
  });
  app.use(refuseCrossOrigin);
  app.use(
    session({
      name: cookieName,
      secret: options.secret,
      store: options.sessionStore,
      cookie,
      // Only visitors who sign in get a row; passers-by leave the table alone.
      saveUninitialized: false,
      resave: false,
      // A refused request drops req.session so that its session is left as it was (refuse.ts).
      unset: 'keep',
    }),
  );
  app.use(express.urlencoded({ extended: false, limit: '2kb' }));

  app.get('/', (req, res) => {
    const { name } = req.session;
    if (name === undefined) {
      res.type('html').send(signInPage(signInTokens.issue(req, res)));
      return;
    }
    // Changing the session makes express-session save it when the response ends.
    req.session.visits = (req.session.visits ?? 0) + 1;
    // A session signed in before the demo had form tokens gets one now.
    req.session.formToken ??= newFormToken();
    res.type('html').send(homePage(name, req.session.visits, req.session.formToken));
  });

  app.post('/sign-in', async (req, res) => {
    if (!signInTokens.verify(req, sentToken(req))) {
      refuse(req, res, 'the sign-in form token is missing or wrong');
      return;
    }
    const body = req.body as Record<string, unknown>;
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    if (name === '' || name.length > MAX_NAME_LENGTH) {
      const error = `Please give a name of 1 to ${MAX_NAME_LENGTH} characters.`;
      res.status(400).type('html').send(signInPage(signInTokens.issue(req, res), error));
      return;
    }
    // A new session id at sign-in, so an id planted before it is worth nothing after.
    await regenerate(req);
    req.session.name = name;
    req.session.visits = 0;
    req.session.formToken = newFormToken();
    // Saved before the answer: express-session would send the redirect's head while still
    // saving, and a browser following it at once would arrive before its session.
    await save(req);
    res.redirect(303, '/');
  });

  app.post('/sign-out', async (req, res) => {
    // Only a request that carried the session (its cookie) and one of its forms (the token)
    // may end it; anything else would clear a cookie and leave the row alive.
    const { formToken } = req.session;
    if (formToken === undefined || !isExpectedToken(formToken, sentToken(req))) {
      refuse(req, res, 'no session, or not its form token');
      return;
    }
    await destroy(req); // deletes the row
    res.clearCookie(cookieName, { httpOnly: cookie.httpOnly, sameSite: cookie.sameSite, secure: req.secure, path: '/' });
    res.redirect(303, '/');
  });

  app.get('/status', async (req, res) => {
    const status = await options.status.read();
    res.type('html').send(statusPage(status, { ...options.about, name: req.session.name }));
  });

  app.use(handleError);
  return app;
}
