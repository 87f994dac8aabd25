import type { Request, Response } from 'express';
import { forbiddenPage } from './pages.js';

/**
 * Answers a request that must change nothing: 403, a short page, and the visitor's session
 * left as it was. Dropping `req.session` does that: with `unset: 'keep'`, express-session
 * then neither saves the session, nor touches its expiry, nor sets its cookie.
 */
export function refuse(req: Request, res: Response, reason: string): void {
  delete (req as Partial<Pick<Request, 'session'>>).session;
  console.error(`demo: refused ${req.method} ${req.path}: 403 ${reason}`);
  res.status(403).type('html').send(forbiddenPage());
}
