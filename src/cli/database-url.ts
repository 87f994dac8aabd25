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

const decoded = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** A PostgreSQL URL as node-postgres reads it, or undefined. */
const postgresUrl = (text: string) => (/^postgres(ql)?:\/\//i.test(text) ? parse(text) : undefined);

/**
 * Every form in which `text` may carry a password: for a PostgreSQL URL, the password and
 * each `…pass…=` query parameter, as written and decoded. Any other text that looks as if
 * it holds credentials (`scheme://…`, `user:password@…`) is all secret, as nobody can tell
 * which part is the password; other text (a folder, a table name) holds none.
 */
function secretsIn(text: string): string[] {
  const url = postgresUrl(text);
  if (url === undefined) return /:\/\/|:[^@]*@/.test(text) ? [text] : [];
  const raw = [url.password];
  for (const pair of url.search.slice(1).split('&')) {
    const equals = pair.indexOf('=');
    if (equals > 0 && /pass/i.test(decoded(pair.slice(0, equals)))) raw.push(pair.slice(equals + 1));
  }
  return raw.flatMap((secret) => [secret, decoded(secret), decoded(secret.replaceAll('+', ' '))]).filter((secret) => secret !== '');
}

/**
 * Removes from `message` every URL among `sources` (shown as its password-free name) and
 * every form of a password they carry (shown as `***`). For messages of drivers and
 * argument parsers, which may repeat what they were given.
 *
 * @example
 * ```ts
 * hidePasswords("Unexpected argument 'postgres://me:pw@db/x'", [url]); // "Unexpected argument 'postgres://me@db/x'"
 * ```
 */
export function hidePasswords(message: string, sources: Iterable<string>): string {
  let hidden = message;
  const secrets: string[] = [];
  for (const source of sources) {
    const found = secretsIn(source);
    if (found.length === 0) continue;
    const url = postgresUrl(source);
    hidden = hidden.replaceAll(source, url === undefined ? '***' : describeDatabaseUrl(url));
    secrets.push(...found);
  }
  // Longest first, so a password that contains another is replaced whole.
  for (const secret of secrets.sort((a, b) => b.length - a.length)) hidden = hidden.replaceAll(secret, '***');
  return hidden;
}
