import { STATUS_CODES } from 'node:http';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import session from 'express-session';
import { ExpressSessionStore } from '../../src/express/index.js';
import { sessionStats, type PGStore, type SessionDatabase } from '../../src/index.js';
import { crossOriginReason, formTokenField, isExpectedToken, newFormToken, SignInTokens } from './csrf.js';
import { homePage, noticePage, signInPage, statusPage, stylesheet } from './pages.js';

// What the demo keeps in a session; express-session types req.session from this. Optional,
// because the augmentation reaches every file in the project and other sessions hold other things.
declare module 'express-session' {
  interface SessionData {
    /** The name the visitor signed in with. */
    name?: string;
    /** Views of the home page since sign-in. */
    visits?: number;
    /** The token this session's forms must send back (csrf.ts). */
    formToken?: string;
    /** When and from what browser it signed in, for the status page's list of devices. */
    signedInAt?: string;
    userAgent?: string;
  }
}

/** The name of the session cookie. */
export const cookieName = 'demo.sid';

/** What the app is made from; server.ts opens the database and makes the store. */
export interface DemoAppOptions {
  /** Where the sessions live. */
  store: PGStore;
  /** The database the store writes to, for the status page's counts. */
  db: SessionDatabase;
  /** Signs the session cookie and the sign-in form's tokens. */
  secret: string;
  /** Shown on the status page: which kind of database it is, never where (that is for the log). */
  databaseKind: string;
  /** The store's cleanup interval, for the status page. */
  cleanupInterval: number;
}

const MAX_NAME_LENGTH = 40;
const MAX_USER_AGENT_LENGTH = 200;

// Nothing but our own stylesheet and form posts: injected markup could neither run nor load.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The demo: sign in with a name, count visits, sign out, and see the sessions table's state. */
export function createDemoApp(options: DemoAppOptions): express.Express {
  const { store } = options;
  const app = express();
  app.disable('x-powered-by');
  // The demo listens on 127.0.0.1 only, so a proxy in front of it is on this machine: believe
  // its X-Forwarded-Proto and -Host, and so know an HTTPS visitor (req.secure) and our public origin.
  app.set('trust proxy', 'loopback');
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

  // Before the session is loaded, so a forged post cannot so much as touch it.
  app.use((req, res, next) => {
    const reason = crossOriginReason(req);
    if (reason === undefined) next();
    else refuse(req, res, reason);
  });

  // Secure ('auto') whenever the visitor came over HTTPS: never sent over plain HTTP there, yet
  // the demo still works on http://127.0.0.1, where a Secure cookie would never come back.
  const cookie = { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: 7 * 24 * 3_600_000 /* a week */ } as const;
  // touchAfter: a visitor who only reads pages moves their row's expiry at most once a minute.
  // ownerOf: each row knows whose it is, so one name's sessions can be listed and ended together.
  const sessions = new ExpressSessionStore(store, { touchAfter: 60, ownerOf: (data) => data.name });
  app.use(
    session({
      name: cookieName,
      secret: options.secret,
      store: sessions,
      cookie,
      // Only visitors who sign in get a row; passers-by leave the table alone.
      saveUninitialized: false,
      resave: false,
      // A refused request drops req.session so that its session is left as it was (see refuse).
      unset: 'keep',
    }),
  );
  app.use(express.urlencoded({ extended: false, limit: '2kb' }));

  const signInTokens = new SignInTokens(options.secret);

  app.get('/', (req, res) => {
    const { name } = req.session;
    if (name === undefined) {
      res.type('html').send(signInPage(signInTokens.issue(req, res)));
      return;
    }
    // Changing the session makes express-session save it when the response ends.
    req.session.visits = (req.session.visits ?? 0) + 1;
    // A session from an older version of the app has no form token, and without one could never sign out.
    req.session.formToken ??= newFormToken();
    res.type('html').send(homePage(name, req.session.visits, req.session.formToken));
  });

  app.post('/sign-in', async (req, res) => {
    if (!signInTokens.verify(req, sentToken(req))) {
      refuse(req, res, 'the sign-in form token is missing or wrong');
      return;
    }
    const given = (req.body as Record<string, unknown>).name;
    const name = typeof given === 'string' ? given.trim() : '';
    if (name === '' || name.length > MAX_NAME_LENGTH) {
      const error = `Please give a name of 1 to ${MAX_NAME_LENGTH} characters.`;
      res.status(400).type('html').send(signInPage(signInTokens.issue(req, res), error));
      return;
    }
    // A new session id at sign-in, so an id planted before it is worth nothing after.
    await settled((done) => req.session.regenerate(done));
    req.session.name = name;
    req.session.visits = 0;
    req.session.formToken = newFormToken();
    req.session.signedInAt = new Date().toISOString();
    req.session.userAgent = (req.get('user-agent') ?? 'unknown browser').slice(0, MAX_USER_AGENT_LENGTH);
    // Saved before the answer: express-session would send the redirect's head while still
    // saving, and a browser following it at once would arrive before its session.
    await settled((done) => req.session.save(done));
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
    await settled((done) => req.session.destroy(done)); // deletes the row
    res.clearCookie(cookieName, { httpOnly: cookie.httpOnly, sameSite: cookie.sameSite, secure: req.secure, path: '/' });
    res.redirect(303, '/');
  });

  app.post('/sign-out-others', async (req, res) => {
    const { name, formToken } = req.session;
    if (name === undefined || formToken === undefined || !isExpectedToken(formToken, sentToken(req))) {
      refuse(req, res, 'no session, or not its form token');
      return;
    }
    // One statement ends every other session of this name; this one stays.
    await sessions.deleteOwner(name, { except: req.sessionID });
    res.redirect(303, '/status');
  });

  app.get('/status', async (req, res) => {
    // Counted in the store's own table by the database clock, as the store decides what is live.
    const { live, expired } = await sessionStats(options.db, store.table);
    const { cleanupInterval, databaseKind } = options;
    const lastCleanup = store.cleanup.lastRun;
    const { name } = req.session;
    // A session from an older version of the app has no form token; the list's form needs one.
    if (name !== undefined) req.session.formToken ??= newFormToken();
    const devices =
      name === undefined
        ? []
        : (await sessions.sessionsOf(name, { current: req.sessionID })).map(({ session: device, current }) => ({
            userAgent: device.userAgent ?? 'unknown browser',
            signedInAt: device.signedInAt,
            current,
          }));
    res
      .type('html')
      .send(statusPage({ live, expired, lastCleanup, cleanupInterval, databaseKind, name, devices, formToken: req.session.formToken }));
  });

  app.use(handleError);
  return app;
}

/** The token a form sent back, if any. */
const sentToken = (req: Request): unknown => (req.body as Record<string, unknown> | undefined)?.[formTokenField];

/** Awaits one of express-session's callback methods. */
const settled = (start: (done: (error?: unknown) => void) => void) =>
  new Promise<void>((resolve, reject) => start((error) => (error ? reject(error) : resolve())));

/**
 * Answers a post that must change nothing: 403, a short page, and the visitor's session left
 * as it was. Dropping `req.session` does that: with `unset: 'keep'`, express-session then
 * neither saves the session, nor touches its expiry, nor sets its cookie.
 */
function refuse(req: Request, res: Response, reason: string): void {
  delete (req as Partial<Pick<Request, 'session'>>).session;
  console.error(`demo: refused ${req.method} ${req.path}: 403 ${reason}`);
  const text = 'That form did not come from this site, or it is out of date; nothing was changed.';
  res.status(403).type('html').send(noticePage('Forbidden', text));
}

/**
 * The last handler. What the visitor got wrong (Express's body parsers give it a 4xx status:
 * 413 for a form over the size limit) keeps its status and gets one line in the log, as its
 * stack says nothing about the server. Anything else is the server's fault: 500, and the whole
 * error in the log, but not on the page.
 */
const handleError: ErrorRequestHandler = (error, req, res, next) => {
  // Part of the response is out already; Express's own handler ends the connection.
  if (res.headersSent) {
    next(error);
    return;
  }
  const status: unknown = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const reason = STATUS_CODES[status] ?? 'Bad Request';
    console.error(`demo: refused ${req.method} ${req.path}: ${status} ${reason}`);
    res.status(status).type('html').send(noticePage(reason, 'The server could not take that request.'));
    return;
  }
  console.error('demo: request failed:', error);
  res.status(500).type('html').send(noticePage('Something went wrong', 'The server could not answer; its log says why.'));
};
