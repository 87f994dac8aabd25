import type { Request, RequestHandler } from 'express';
import { refuse } from './refuse.js';

// Reading a page changes nothing; every other method is a form post, or worse.
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether `origin` is the origin the request was sent to (behind a trusted proxy, its public one). */
function isOwnOrigin(origin: string, req: Request): boolean {
  try {
    return new URL(origin).origin === new URL(`${req.protocol}://${req.host}`).origin;
  } catch {
    return false; // `null` (a sandboxed or privacy-minded sender), or no Host at all
  }
}

/**
 * Refuses a state-changing request that a browser says came from another origin, before the
 * session is even loaded: `Sec-Fetch-Site` other than `same-origin` (or `none`, the user's
 * own doing), or an `Origin` that is not this site's. The forms' tokens guard every post as
 * well; this is the second lock, and the one that also holds against a sibling site
 * (`same-site`: another port or subdomain), whose requests carry SameSite cookies along.
 * A request with neither header is not from a browser that would carry a victim's cookies.
 */
export const refuseCrossOrigin: RequestHandler = (req, res, next) => {
  if (safeMethods.has(req.method)) {
    next();
    return;
  }
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    refuse(req, res, `Sec-Fetch-Site is ${JSON.stringify(site)}`);
    return;
  }
  const origin = req.get('origin');
  if (origin !== undefined && !isOwnOrigin(origin, req)) {
    refuse(req, res, `Origin ${JSON.stringify(origin)} is not this site's`);
    return;
  }
  next();
};
