/**
 * One more try for a statement whose connection died under it. A pool hands out idle
 * connections whose server ended them a moment ago (a restart, a failover, a pooler that
 * recycles its server connections, `pg_terminate_backend`); the first statement on each
 * fails, and a coalesced one carries every caller in it down too. Sent again through the
 * pool, the statement gets a connection that works: the pool drops a connection that failed.
 * See docs/guarantees.md, "A dead connection", for which calls go again and why.
 */

/**
 * Which failures let a statement go again: `connection`, any failure of the connection
 * (the statement may have run, so only for one whose second run changes nothing the first
 * did not); `unsent`, only a failure that shows the statement never reached the server.
 */
export type Resend = 'connection' | 'unsent';

/**
 * SQLSTATE codes of a connection that ended, besides class 08 (connection exception):
 * admin_shutdown (pg_terminate_backend, a fast or smart shutdown), crash_shutdown (another
 * backend crashed and the server is resetting), cannot_connect_now (still starting).
 */
const ENDED_BY_SERVER = new Set(['57P01', '57P02', '57P03']);

/**
 * Socket errors of a connection that was open and is no more. Errors of connecting
 * (ECONNREFUSED, ETIMEDOUT, a DNS failure) are not here: a server that cannot be reached
 * now will not be reached a moment later, and a second wait would only double the delay.
 */
const SOCKET_LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * postgres.js: the socket closed with statements sent or queued on it. Not CONNECTION_ENDED
 * or CONNECTION_DESTROYED: those come of the application's own `sql.end()`, and a resend
 * would only meet the same closed client.
 */
const POSTGRES_JS_CLOSED = 'CONNECTION_CLOSED';

/** node-postgres, whose connection errors carry no code: the socket ended during a statement. */
const NODE_POSTGRES_LOST = 'Connection terminated unexpectedly';

/**
 * node-postgres refuses a statement on a client that already failed or ended, before
 * writing a byte of it: such a statement never reached the server.
 */
const NODE_POSTGRES_REFUSED = new Set([
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
]);

/**
 * SQLSTATE codes that only a connection being set up can fail with, before any statement:
 * unable to establish, rejected by the server, cannot connect now.
 */
const NOT_CONNECTED = new Set(['08001', '08004', '57P03']);

/** The error and its causes (drizzle wraps the driver's error in one of its own). */
function* causes(error: unknown): Generator<object> {
  for (let depth = 0; depth < 4 && typeof error === 'object' && error !== null; depth++) {
    yield error;
    error = (error as { cause?: unknown }).cause;
  }
}

const codeOf = (error: object): string | undefined => {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
};
const messageOf = (error: object): string => (error instanceof Error ? error.message : '');

/** Whether `error` says the connection failed, rather than the statement (a missing table, a constraint). */
export function isConnectionFailure(error: unknown): boolean {
  for (const cause of causes(error)) {
    const code = codeOf(cause);
    if (code !== undefined && (/^08[0-9A-Z]{3}$/.test(code) || ENDED_BY_SERVER.has(code) || SOCKET_LOST.has(code))) return true;
    if (code === POSTGRES_JS_CLOSED) return true;
    const message = messageOf(cause);
    if (message === NODE_POSTGRES_LOST || NODE_POSTGRES_REFUSED.has(message)) return true;
  }
  return false;
}

/**
 * Whether `error` shows that the statement never reached the server: the driver refused it
 * on a connection known dead, or no connection could be set up for it. A statement that
 * was written to a socket and then lost its reply may have committed, so no reset, closed
 * socket or terminated backend counts.
 */
export function neverSent(error: unknown): boolean {
  for (const cause of causes(error)) {
    const code = codeOf(cause);
    if (code !== undefined && NOT_CONNECTED.has(code)) return true;
    if (NODE_POSTGRES_REFUSED.has(messageOf(cause))) return true;
  }
  return false;
}

/** Whether a statement that failed with `error` may go again under `resend`. */
export const mayResend = (error: unknown, resend: Resend): boolean =>
  resend === 'connection' ? isConnectionFailure(error) : neverSent(error);

/**
 * Probes a connection lent by the pool: a statement that reads nothing and changes nothing
 * (`SELECT 1`), safe to send as often as it takes.
 */
export type Probe = () => Promise<unknown>;

/**
 * Probes at most before a resend. Each that fails has met one more dead connection, which
 * the pool then drops; a pool whose every connection the server ended needs one per
 * connection, and pools are rarely bigger (node-postgres and postgres.js default to 10).
 */
const MAX_PROBES = 32;

/**
 * How long one probe may take. A healthy pool answers `select 1` in milliseconds; a driver
 * still reconnecting can hold it far longer: postgres.js waits out a reconnect backoff of up
 * to 20 s a connection, and once held a probe 68 s after a server restart, with every call
 * waiting on the run. Past this, no live connection is in sight: the calls report the
 * failure they met rather than wait.
 */
const PROBE_TIMEOUT_MS = 30_000;

/** The probe's outcome within {@link PROBE_TIMEOUT_MS}: its error, 'timeout', or undefined when it answered. */
async function probeOnce(probe: Probe): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), PROBE_TIMEOUT_MS);
    timer.unref();
  });
  try {
    // A probe that answers after its time is of no use; its late failure must not go unhandled.
    return await Promise.race([probe().then(() => undefined, (error: unknown) => error ?? new Error('probe failed')), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether a probe's failure says it met one more connection that was open and is dead, so
 * that probing on may reach a live one. A server that refuses new connections (starting up,
 * shutting down, unreachable), or a driver that refuses the statement on its one dead
 * connection, gives the same answer to every probe: stop.
 */
const metDeadConnection = (error: unknown): boolean => isConnectionFailure(error) && !neverSent(error);

/**
 * Probes until one succeeds, stops meeting dead connections, takes too long, or
 * {@link MAX_PROBES} went; resolves to whether a live connection answered. Calls that
 * failed together share one run: fifty callers of a dead pool need the pool cleared once,
 * not fifty probe storms that keep a reconnecting driver busy failing. A run ends on an
 * answer only from a probe sent after the last caller joined: a later failure is one more
 * dead connection, maybe one the earlier probe never met.
 */
export function probeRun(probe: Probe): () => Promise<boolean> {
  let running: Promise<boolean> | undefined;
  let joined = 0;
  const run = async () => {
    let answered = false;
    for (let probes = 0; probes < MAX_PROBES; probes++) {
      const seen = joined;
      const outcome = await probeOnce(probe);
      if (outcome === undefined) {
        answered = true;
        if (joined === seen) return true;
      } else if (outcome === 'timeout' || !metDeadConnection(outcome)) return answered;
    }
    return answered;
  };
  return () => {
    joined++;
    return (running ??= run().finally(() => (running = undefined)));
  };
}

/**
 * Runs `send`, and once more if it failed in a way `resend` allows; never a third time. A
 * failure of the second run is the call's failure, as any other failure is.
 *
 * Before the second run, `probe` (a {@link probeRun}) finds a live connection: when the
 * server ended every connection of the pool at once, the pool still holds the others as
 * idle, and a resend straight away would most likely be handed the next dead one. Each
 * failed probe makes the pool drop one, so the resend goes on a connection that just
 * answered, or a new one. When none answers (the server is down, or the driver is still
 * reconnecting), the call reports the failure it met: a resend would only wait for the same.
 */
export async function sendWithResend<T>(send: () => Promise<T>, resend: Resend, probe: () => Promise<boolean>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (!mayResend(error, resend) || !(await probe())) throw error;
  }
  return send();
}

/**
 * The store's calls whose statements may go again after any connection failure: a second
 * run leaves the table as one run does. Reads; deletes (a row deleted twice is deleted);
 * `save`, an upsert of the same data and expiry; `touch`, which sets the same expiry.
 * Every other call (`replace`, a compare-and-swap; `reencrypt`'s swaps) goes again only
 * when it never reached the server. See docs/guarantees.md for what a resend can change in
 * what a call returns.
 */
const IDEMPOTENT = new Set([
  'find',
  'findWithExpiry',
  'all',
  'tokens',
  'count',
  'sessionsOf',
  'delete',
  'deleteOwner',
  'deleteExpired',
  'clear',
  'save',
  'touch',
]);

/** Which failures let a statement of the store's call `method` go again. */
export const resendOf = (method: string): Resend => (IDEMPOTENT.has(method) ? 'connection' : 'unsent');
