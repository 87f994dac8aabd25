/**
 * PostgreSQL URLs as node-postgres reads them, and how to name one without its password.
 * Nothing here ever puts the URL's text into an error message: it may hold a password.
 */

/** A database URL that cannot be used; its message says why, never what the URL was. */
export class DatabaseUrlError extends Error {
  override readonly name = 'DatabaseUrlError';
}

const EXAMPLE = 'postgres://user:password@host:5432/database';

// node-postgres reads `postgres://user:secret@/db` (no host: the socket or ?host=) although
// the URL standard has no such URL; this stand-in host lets it parse, and is never shown.
const NO_HOST = 'no-host.invalid';

function parse(text: string): URL | undefined {
  if (URL.canParse(text)) return new URL(text);
  const withHost = text.replace('@/', `@${NO_HOST}/`);
  return URL.canParse(withHost) ? new URL(withHost) : undefined;
}

/**
 * Parses a PostgreSQL URL, refusing one that node-postgres would misread. `source` says
 * where it came from ("DATABASE_URL", "--database-url") for the message.
 *
 * @example
 * ```ts
 * parseDatabaseUrl('mysql://root:pw@db/x', 'DATABASE_URL'); // throws: DATABASE_URL is a mysql: URL, …
 * ```
 */
export function parseDatabaseUrl(text: string, source = 'the database URL'): URL {
  const url = parse(text);
  if (url === undefined) {
    throw new DatabaseUrlError(`${source} is not a valid URL (it should look like ${EXAMPLE}; it is not shown, as it may hold a password)`);
  }
  if (!/^postgres(ql)?:\/\//i.test(text)) {
    // The scheme is shown only when it is one (followed by //), never a user name before a password.
    const what = text.startsWith(`${url.protocol}//`) ? `is a ${url.protocol} URL, not a PostgreSQL one` : 'is not a PostgreSQL URL';
    throw new DatabaseUrlError(`${source} ${what} (it should look like ${EXAMPLE})`);
  }
  // With no user name before the host, an '@' later on means a password with a '/', '?' or
  // '#' in it ended the host early: the host and path would then hold parts of the password.
  if (url.username === '' && url.password === '' && text.slice(text.indexOf('//') + 2).includes('@')) {
    throw new DatabaseUrlError(
      `${source} has an '@' after its host: percent-encode '/', '?', '#' and '@' in the user name and password (encodeURIComponent does)`,
    );
  }
  return url;
}

/**
 * Names the database a URL points at, without its password or any query parameter but
 * `host` and `port`: `postgres://app@db.internal:5432/sessions`.
 */
export function describeDatabaseUrl(url: URL): string {
  const user = url.username === '' ? '' : `${url.username}@`;
  const host = url.hostname === NO_HOST ? '' : url.host;
  const where = new URLSearchParams();
  for (const name of ['host', 'port']) {
    const value = url.searchParams.get(name);
    if (value !== null) where.set(name, value);
  }
  const query = where.size === 0 ? '' : `?${where}`;
  return `${url.protocol}//${user}${host}${url.pathname}${query}`;
}

/** A PostgreSQL URL as node-postgres reads it, or undefined. */
const postgresUrl = (text: string) => (/^postgres(ql)?:\/\//i.test(text) ? parse(text) : undefined);

/** Text that is no PostgreSQL URL but looks as if it holds credentials (`scheme://…`, `user:password@…`). */
const looksLikeCredentials = (text: string) => /:\/\/|:[^@]*@/.test(text);

/**
 * Replaces in `message` each of `sources` that is a PostgreSQL URL with its name without
 * the password (the URL's password field, and every query parameter but `host` and `port`,
 * so `password` and `sslpassword` go too), and each that looks as if it holds credentials
 * with `***`. For messages of drivers and argument parsers, which may repeat what they
 * were given. It masks by position, never by searching the message for the password: a
 * short or common password ("postgres", "1") would otherwise be revealed by what it
 * replaced in the rest of the line.
 *
 * @example
 * ```ts
 * hidePasswords("Unexpected argument 'postgres://me:pw@db/x'", [url]); // "Unexpected argument 'postgres://me@db/x'"
 * ```
 */
export function hidePasswords(message: string, sources: Iterable<string>): string {
  // Longest first, so a URL that contains another is replaced whole.
  const replacements = [...sources]
    .map((source) => {
      const url = postgresUrl(source);
      if (url !== undefined) return [source, describeDatabaseUrl(url)] as const;
      return looksLikeCredentials(source) ? ([source, '***'] as const) : undefined;
    })
    .filter((pair) => pair !== undefined && pair[0] !== '')
    .sort((a, b) => b![0].length - a![0].length);
  let hidden = message;
  for (const [source, shown] of replacements as Array<readonly [string, string]>) hidden = hidden.replaceAll(source, shown);
  return hidden;
}
