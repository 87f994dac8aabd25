import type { CleanupRun } from '../../src/index.js';
import { formTokenField } from './csrf.js';

/*
 * The demo's pages, as template literals. Every string handed to a page goes through
 * escapeHtml where it is written, so a visitor's name can never become markup.
 */

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Makes text safe inside HTML content and quoted attributes. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => entities[char]!);
}

function page(title: string, body: string, current: '/' | '/status' = '/'): string {
  const link = (href: string, label: string) => `<a href="${href}"${href === current ? ' aria-current="page"' : ''}>${label}</a>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · drizzle-pgstore demo</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header><div class="bar"><a class="brand" href="/">drizzle-pgstore demo</a>${link('/', 'Home')}${link('/status', 'Status')}</div></header>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The hidden field that proves a form came from one of our pages. */
const tokenInput = (token: string) => `<input type="hidden" name="${formTokenField}" value="${escapeHtml(token)}">`;

/** The home page of a visitor who has not signed in, with the error of a bad attempt. */
export function signInPage(token: string, error?: string): string {
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p class="muted">No password: the name goes into a session kept in PostgreSQL by drizzle-pgstore.</p>
<div class="card">
<form method="post" action="/sign-in">
${tokenInput(token)}
<input type="text" name="name" placeholder="Your name" maxlength="40" required autofocus aria-label="Name">
<button type="submit">Sign in</button>
</form>
${error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(error)}</p>`}
</div>`,
  );
}

/** The home page of a signed-in visitor. */
export function homePage(name: string, visits: number, token: string): string {
  return page(
    'Home',
    `<h1>Hello, <span id="name">${escapeHtml(name)}</span></h1>
<p class="muted">Your session lives in the <code>sessions</code> table; reload the page, or restart the server, and it is still here.</p>
<div class="card">
<div class="count" id="visits">${visits}</div>
<p>${visits === 1 ? 'visit' : 'visits'} to this page in this session</p>
<form method="post" action="/sign-out">${tokenInput(token)}<button type="submit" class="quiet">Sign out</button></form>
</div>`,
  );
}

/** What the status page shows. */
export interface Status {
  /** Sessions a request could still use. */
  live: number;
  /** Rows past their expiry that the next cleanup will remove. */
  expired: number;
  /** The store's most recent background cleanup, if one has run. */
  lastCleanup: CleanupRun | undefined;
  cleanupInterval: number;
  /** Which kind of database, such as `PostgreSQL`; never where it is (that is for the log). */
  databaseKind: string;
  /** Who is looking, if they signed in. */
  name: string | undefined;
  /** Where that name is signed in: each live session of it, this one marked `current`. */
  devices: Device[];
  /** The token of the signed-in visitor's forms. */
  formToken: string | undefined;
}

/** One session of the signed-in name, as the status page lists it. */
export interface Device {
  userAgent: string;
  signedInAt: string | undefined;
  current: boolean;
}

/** Where the signed-in name is signed in, and the button that signs the others out. */
function devicesCard(devices: Device[], token: string): string {
  const rows = devices.map(
    (device) =>
      `<li${device.current ? ' class="current"' : ''}>${escapeHtml(device.userAgent)}<br><span class="muted">${
        device.current ? 'this browser · ' : ''
      }signed in ${escapeHtml(device.signedInAt?.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') ?? 'before this list existed')}</span></li>`,
  );
  const others = devices.filter((device) => !device.current).length;
  return `<div class="card">
<h2>Where you are signed in</h2>
<ul id="devices">${rows.join('')}</ul>
${
  others === 0
    ? '<p class="muted" id="no-others">Nowhere else.</p>'
    : `<form method="post" action="/sign-out-others">${tokenInput(token)}<button type="submit" class="quiet">Sign out everywhere else (${others})</button></form>`
}
</div>`;
}

/** The state of the sessions table, and who is looking at it. */
export function statusPage(status: Status): string {
  const who = status.name === undefined ? 'You are not signed in.' : `Signed in as ${escapeHtml(status.name)}.`;
  return page(
    'Status',
    `<h1>Status</h1>
<p class="muted">${who}</p>
<div class="card">
<dl>
<dt>Live sessions</dt><dd id="live">${status.live}</dd>
<dt>Expired rows awaiting cleanup</dt><dd id="expired">${status.expired}</dd>
<dt>Last cleanup run</dt><dd id="last-cleanup">${describeCleanup(status.lastCleanup, status.cleanupInterval)}</dd>
<dt>Database</dt><dd>${escapeHtml(status.databaseKind)}</dd>
</dl>
</div>
${status.name === undefined || status.formToken === undefined ? '' : devicesCard(status.devices, status.formToken)}`,
    '/status',
  );
}

function describeCleanup(run: CleanupRun | undefined, interval: number): string {
  if (interval === 0) return 'cleanup is off';
  const every = `every ${interval / 1000} s`;
  if (!run) return `none yet (runs ${every})`;
  const when = run.finishedAt.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  // Why it failed is for the operator: a database's words can name hosts, users and queries.
  if (run.error !== undefined) return `failed at ${when}; the server's log says why (retries ${every})`;
  return `${when}, removed ${run.deleted} ${run.deleted === 1 ? 'row' : 'rows'} (runs ${every})`;
}

/** A page that says why a request got no ordinary answer; the details are in the server's log. */
export function noticePage(heading: string, text: string): string {
  return page(heading, `<h1>${escapeHtml(heading)}</h1><p>${escapeHtml(text)} <a href="/">Back to the start</a>.</p>`);
}

/** The whole stylesheet, served as /style.css so that the CSP can forbid inline styles. */
export const stylesheet = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #dfe3ea; --accent: #2f6fde; --bg: #f5f7fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { background: #fff; border-bottom: 1px solid var(--line); }
header .bar, main { max-width: 40rem; margin: 0 auto; padding: 0 1.25rem; }
header .bar { display: flex; align-items: center; gap: 1.25rem; height: 3.5rem; }
header .brand { font-weight: 700; margin-right: auto; color: var(--ink); text-decoration: none; }
header a { color: var(--muted); text-decoration: none; }
header a:hover, header a[aria-current] { color: var(--accent); }
main { padding-top: 2rem; padding-bottom: 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.5rem; }
p { margin: 0.5rem 0 1rem; }
.muted { color: var(--muted); }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 1.5rem; margin: 1.25rem 0; }
.count { font-size: 3rem; font-weight: 700; color: var(--accent); line-height: 1; }
.error { color: #b42318; }
form { display: flex; gap: 0.5rem; flex-wrap: wrap; margin: 0; }
input[type=text] { flex: 1; min-width: 12rem; padding: 0.55rem 0.75rem; font: inherit; border: 1px solid var(--line); border-radius: 6px; }
button { padding: 0.55rem 1rem; font: inherit; border: 0; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
button.quiet { background: transparent; color: var(--muted); border: 1px solid var(--line); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.5rem 1.5rem; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; font-variant-numeric: tabular-nums; }
h2 { font-size: 1.1rem; margin: 0 0 0.75rem; }
ul#devices { list-style: none; padding: 0; margin: 0 0 1rem; }
ul#devices li { padding: 0.5rem 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
ul#devices li.current { font-weight: 600; }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, monospace; }
`;
