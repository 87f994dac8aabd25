import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { errorPage, refusedPage } from './pages.js';

/**
 * The 4xx status an error carries, if any. Express's body parsers set one on what the
 * visitor got wrong (413 for a form over the size limit, 400 for a malformed body).
 */
function clientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const code = status ?? statusCode;
  return typeof code === 'number' && Number.isInteger(code) && code >= 400 && code < 500 ? code : undefined;
}

/**
 * The demo's last handler. A request the visitor got wrong keeps its 4xx status and gets a
 * short page; its stack says nothing about the server, so only one line is logged. Anything
 * else is the server's fault: 500, and the whole error in the log.
 */
export const handleError: ErrorRequestHandler = (error, req, res, next) => {
  // Part of the response is out already; Express's own handler ends the connection.
  if (res.headersSent) {
    next(error);
    return;
  }
  const status = clientErrorStatus(error);
  if (status !== undefined) {
    const reason = STATUS_CODES[status] ?? 'Bad Request';
    console.error(`demo: refused ${req.method} ${req.path}: ${status} ${reason}`);
    res.status(status).type('html').send(refusedPage(reason));
    return;
  }
  console.error('demo: request failed:', error);
  res.status(500).type('html').send(errorPage());
};
