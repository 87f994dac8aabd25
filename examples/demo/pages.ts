import type { CleanupRun } from '../../src/index.js';
import { formTokenField } from './form-token.js';
import { html, type SafeHtml } from './html.js';
import type { SessionsStatus } from './status-service.js';

type Section = 'home' | 'status';

function layout(title: string, section: Section, body: SafeHtml): string {
  const link = (href: string, label: string, name: Section) =>
    html`<a href="${href}"${name === section ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · drizzle-pgstore demo</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header><div class="bar"><a class="brand" href="/">drizzle-pgstore demo</a>${link('/', 'Home', 'home')}${link('/status', 'Status', 'status')}</div></header>
<main>
${body}
</main>
</body>
</html>
`.text;
}

/** The hidden field that proves a form came from one of our pages. */
const tokenInput = (token: string) => html`<input type="hidden" name="${formTokenField}" value="${token}">`;

/** The home page of a visitor who has not signed in, with an error from a bad attempt. */
export function signInPage(token: string, error?: string): string {
  return layout(
    'Sign in',
    'home',
    html`<h1>Sign in</h1>
<p class="muted">No password: the name goes into a session kept in PostgreSQL by drizzle-pgstore.</p>
<div class="card">
<form method="post" action="/sign-in">
${tokenInput(token)}
<input type="text" name="name" placeholder="Your name" maxlength="40" required autofocus aria-label="Name">
<button type="submit">Sign in</button>
</form>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
</div>`,
  );
}

/** The home page of a signed-in visitor. */
export function homePage(name: string, visits: number, token: string): string {
  return layout(
    'Home',
    'home',
    html`<h1>Hello, <span id="name">${name}</span></h1>
<p class="muted">Your session lives in the <code>sessions</code> table; reload the page, or restart the server, and it is still here.</p>
<div class="card">
<div class="count" id="visits">${visits}</div>
<p>${visits === 1 ? 'visit' : 'visits'} to this page in this session</p>
<form method="post" action="/sign-out">${tokenInput(token)}<button type="submit" class="quiet">Sign out</button></form>
</div>`,
  );
}

const describeRun = (run: CleanupRun | undefined, interval: number) => {
  if (interval === 0) return 'cleanup is off';
  const every = `every ${interval / 1000} s`;
  if (!run) return `none yet (runs ${every})`;
  const when = run.finishedAt.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  // Why it failed is for the operator: a database's words can name hosts, users and queries.
  if (run.error !== undefined) return `failed at ${when}; the server's log says why (retries ${every})`;
  return `${when}, removed ${run.deleted} ${run.deleted === 1 ? 'row' : 'rows'} (runs ${every})`;
};

/** What the status page says about the server, beyond the table's state. */
export interface StatusAbout {
  /** Which kind of database, such as `PostgreSQL`; never where it is (that is for the log). */
  databaseKind: string;
  cleanupInterval: number;
  /** Who is looking, if they signed in. */
  name?: string | undefined;
}

/** The state of the sessions table, and who is looking at it. */
export function statusPage(status: SessionsStatus, about: StatusAbout): string {
  return layout(
    'Status',
    'status',
    html`<h1>Status</h1>
<p class="muted">${about.name === undefined ? 'You are not signed in.' : html`Signed in as ${about.name}.`}</p>
<div class="card">
<dl>
<dt>Live sessions</dt><dd id="live">${status.live}</dd>
<dt>Expired rows awaiting cleanup</dt><dd id="expired">${status.expired}</dd>
<dt>Last cleanup run</dt><dd id="last-cleanup">${describeRun(status.lastCleanup, about.cleanupInterval)}</dd>
<dt>Database</dt><dd>${about.databaseKind}</dd>
</dl>
</div>`,
  );
}

/** What a visitor sees when a request fails; the details go to the server's log. */
export function errorPage(): string {
  return layout('Error', 'home', html`<h1>Something went wrong</h1><p>The server could not answer; its log says why.</p>`);
}

/** What a visitor sees when the server refuses their request (a form too large, say); `reason` is the HTTP one. */
export function refusedPage(reason: string): string {
  return layout('Refused', 'home', html`<h1>${reason}</h1><p>The server could not take that request. <a href="/">Back to the start</a>.</p>`);
}

/** What a visitor sees when a form post is refused as forged, expired, or from another site. */
export function forbiddenPage(): string {
  return layout(
    'Forbidden',
    'home',
    html`<h1>Forbidden</h1><p>That form did not come from this site, or it is out of date; nothing was changed. <a href="/">Back to the start</a>.</p>`,
  );
}
