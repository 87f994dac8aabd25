import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { databaseUrl, openNodePostgres, type Backend } from './support/backends.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const example = 'examples/express-server.ts';
let backend: Backend;

beforeAll(async () => {
  backend = await openNodePostgres();
});
afterAll(() => backend?.close());

it('the README shows examples/express-server.ts as it is', async () => {
  const [readme, source] = await Promise.all([
    readFile(`${root}README.md`, 'utf8'),
    readFile(`${root}${example}`, 'utf8'),
  ]);
  // The file's doc comment is for readers of the file; the rest is what the README shows.
  const shown = source.replace(/^\/\*\*[\s\S]*?\*\/\n/, '');
  expect(readme).toContain(shown);
});

it('serves sessions from PostgreSQL, and on SIGTERM stops by itself with status 0 and its sessions kept', async () => {
  const url = new URL(databaseUrl());
  url.searchParams.set('options', `-c search_path=${backend.schema}`);
  const child = spawn(process.execPath, ['--import', 'tsx', example], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url.href, SESSION_SECRET: 'example secret', PORT: '0' },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit');
  try {
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const port = /listening on (\d+)/.exec(line.toString())?.[1];
    expect(port, output).toBeDefined();
    const first = await fetch(`http://127.0.0.1:${port}/`);
    expect(await first.text()).toBe('views: 1');
    const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
    const second = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie } });
    expect(await second.text()).toBe('views: 2');
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = await exited;
  expect({ code, output }).toEqual({ code: 0, output: expect.stringMatching(/^listening on \d+\n$/) });
  const rows = await backend.query<{ data: Uint8Array }>('SELECT data FROM sessions');
  expect(rows.map((row) => JSON.parse(new TextDecoder().decode(row.data)).views)).toEqual([2]);
});
