import express, { type Request } from 'express';
import session, { type Store } from 'express-session';
import { handleError } from './error-handler.js';
import { homePage, signInPage, statusPage } from './pages.js';
import './session-data.js';
import type { StatusService } from './status-service.js';
import { stylesheet } from './style.js';

/** The name of the session cookie. */
export const cookieName = 'demo.sid';

const WEEK_MS = 7 * 24 * 3_600_000;
const MAX_NAME_LENGTH = 40;

export interface DemoAppOptions {
  /** Where express-session keeps sessions: an ExpressSessionStore over a PGStore. */
  sessionStore: Store;
  /** Signs the session cookie. */
  secret: string;
  status: StatusService;
  /** Shown on the status page. */
  about: { database: string; cleanupInterval: number };
}

// Nothing but our own stylesheet and form posts: injected markup could neither run nor load.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Turns express-session's callback methods into promises, so handlers can await them. */
const regenerate = (req: Request) => new Promise<void>((resolve, reject) => req.session.regenerate((e) => (e ? reject(e) : resolve())));
const destroy = (req: Request) => new Promise<void>((resolve, reject) => req.session.destroy((e) => (e ? reject(e) : resolve())));

/** The demo: sign in with a name, count visits, sign out, and see the sessions table's state. */
export function createDemoApp(options: DemoAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const cookie = { httpOnly: true, sameSite: 'lax', secure: false, maxAge: WEEK_MS } as const;

  app.use((_req, res, next) => {
    res.set({ 'Content-Security-Policy': contentSecurityPolicy, 'X-Content-Type-Options': 'nosniff' });
    next();
  });
  app.get('/style.css', (_req, res) => {
    res.type('css').send(stylesheet);
  });
  app.use(
    session({
      name: cookieName,
      secret: options.secret,
      store: options.sessionStore,
      cookie,
      // Only visitors who sign in get a row; passers-by leave the table alone.
      saveUninitialized: false,
      resave: false,
    }),
  );
  app.use(express.urlencoded({ extended: false, limit: '2kb' }));

  app.get('/', (req, res) => {
    const { name } = req.session;
    if (name === undefined) {
      res.type('html').send(signInPage());
      return;
    }
    // Changing the session makes express-session save it when the response ends.
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.type('html').send(homePage(name, req.session.visits));
  });

  app.post('/sign-in', async (req, res) => {
    const name = typeof req.body?.name === 'string' ? req.body.name.trim() : '';
    if (name === '' || name.length > MAX_NAME_LENGTH) {
      res.status(400).type('html').send(signInPage(`Please give a name of 1 to ${MAX_NAME_LENGTH} characters.`));
      return;
    }
    // A new session id at sign-in, so an id planted before it is worth nothing after.
    await regenerate(req);
    req.session.name = name;
    req.session.visits = 0;
    res.redirect(303, '/');
  });

  app.post('/sign-out', async (req, res) => {
    await destroy(req); // deletes the row
    res.clearCookie(cookieName, { httpOnly: cookie.httpOnly, sameSite: cookie.sameSite, secure: cookie.secure });
    res.redirect(303, '/');
  });

  app.get('/status', async (req, res) => {
    const status = await options.status.read();
    res.type('html').send(statusPage(status, { ...options.about, name: req.session.name }));
  });

  app.use(handleError);
  return app;
}
