/** The demo's whole stylesheet, served as /style.css so the CSP can forbid inline styles. */
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
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, monospace; }
`;
