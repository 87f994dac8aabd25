import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import fastifySession, { type SessionStore as FastifySessionStore } from '@fastify/session';
import express from 'express';
import session from 'express-session';
import Fastify from 'fastify';
import type { ExpressSessionStore } from '../../src/express/index.js';

declare module 'express-session' {
  interface SessionData {
    views?: number;
    remember?: boolean;
    signedIn?: boolean;
    userId?: string;
  }
}

declare module 'fastify' {
  interface Session {
    views?: number;
    remember?: boolean;
    signedIn?: boolean;
    userId?: string;
  }
}

/** How a test app is set up; what a framework has no word for, it ignores. */
export interface AppSettings {
  /** Any session store the middleware takes; ours unless a comparison needs another. */
  store: ExpressSessionStore | session.Store;
  /** Default: the framework's own (express-session false, @fastify/session true). */
  rolling?: boolean;
  /** Cookie `maxAge` in milliseconds. Default: none (a browser-session cookie). */
  maxAge?: number;
  /** What `GET /slow` waits for after its session is loaded: a test's gate, for a race it stages. */
  hold?: () => Promise<void>;
}

export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * One session middleware with the same four routes on each framework:
 * - `GET /views` counts views in the session (a modified session);
 * - `GET /peek` reads the session and changes nothing (an unmodified one);
 * - `POST /regenerate` gives the session a new id and marks it signed in (as `?user=`, if given);
 * - `POST /destroy` ends it;
 * - `GET /slow` waits for the test's `hold`, then counts a view (a request that loaded the
 *   session before a race and changes it after);
 * - `POST /set?key=k` sets the one key `k` of the session to true.
 * `?remember=1` on `/views` also sets `remember` (for a ttl that depends on the session).
 */
export interface Framework {
  start(settings: AppSettings): Promise<RunningApp>;
}

const SECRET = 'a test secret that is long enough for @fastify/session';

export const expressFramework: Framework = {
  async start(settings) {
    const app = express();
    app.use(
      session({
        store: settings.store,
        secret: SECRET,
        resave: false,
        saveUninitialized: false,
        rolling: settings.rolling ?? false,
        cookie: settings.maxAge === undefined ? {} : { maxAge: settings.maxAge },
      }),
    );
    app.get('/views', (req, res) => {
      req.session.views = (req.session.views ?? 0) + 1;
      if (req.query.remember) req.session.remember = true;
      res.json({ id: req.sessionID, views: req.session.views });
    });
    app.get('/peek', (req, res) => {
      res.json({ id: req.sessionID, views: req.session.views ?? null, signedIn: req.session.signedIn ?? false });
    });
    app.post('/regenerate', (req, res, next) => {
      req.session.regenerate((error: unknown) => {
        if (error) return next(error);
        req.session.signedIn = true;
        if (req.query.user) req.session.userId = String(req.query.user);
        res.json({ id: req.sessionID });
      });
    });
    app.post('/destroy', (req, res, next) => {
      req.session.destroy((error: unknown) => (error ? next(error) : res.json({ destroyed: true })));
    });
    app.get('/slow', async (req, res) => {
      await settings.hold?.();
      req.session.views = (req.session.views ?? 0) + 1;
      res.json({ id: req.sessionID, views: req.session.views });
    });
    app.post('/set', (req, res) => {
      (req.session as unknown as Record<string, unknown>)[String(req.query.key)] = true;
      res.json({ id: req.sessionID });
    });

    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          server.closeAllConnections();
        }),
    };
  },
};

export const fastifyFramework: Framework = {
  async start(settings) {
    const app = Fastify();
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: SECRET,
      // Only under exactOptionalPropertyTypes (this repo's tsconfig) do @fastify/session's
      // and express-session's cookie types disagree (`maxAge?: number` vs `number | undefined`).
      store: settings.store as FastifySessionStore,
      saveUninitialized: false,
      rolling: settings.rolling ?? true,
      cookie: { secure: false, ...(settings.maxAge === undefined ? {} : { maxAge: settings.maxAge }) },
    });
    app.get<{ Querystring: { remember?: string } }>('/views', async (request) => {
      request.session.views = (request.session.views ?? 0) + 1;
      if (request.query.remember) request.session.remember = true;
      return { id: request.session.sessionId, views: request.session.views };
    });
    app.get('/peek', async (request) => ({
      id: request.session.sessionId,
      views: request.session.views ?? null,
      signedIn: request.session.signedIn ?? false,
    }));
    app.post<{ Querystring: { user?: string } }>('/regenerate', async (request) => {
      await request.session.regenerate();
      request.session.signedIn = true;
      if (request.query.user) request.session.userId = request.query.user;
      return { id: request.session.sessionId };
    });
    app.post('/destroy', async (request) => {
      await request.session.destroy();
      return { destroyed: true };
    });
    app.get('/slow', async (request) => {
      await settings.hold?.();
      request.session.views = (request.session.views ?? 0) + 1;
      return { id: request.session.sessionId, views: request.session.views };
    });
    app.post<{ Querystring: { key: string } }>('/set', async (request) => {
      (request.session as unknown as Record<string, unknown>)[request.query.key] = true;
      return { id: request.session.sessionId };
    });

    await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
      close: () => app.close(),
    };
  },
};
