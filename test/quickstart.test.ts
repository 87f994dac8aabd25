import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

it('runs the quickstart example on embedded PGlite with no database configured', async () => {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts'], { cwd: root, env });
  expect(stdout).toMatch(/find {2}-> \{"user":"ada"\}/);
  expect(stdout).toContain('find after expiry -> null');
  expect(stdout).toContain('deleteExpired -> removed 1 row(s)');
  expect(stdout).toContain('all   -> 2 live sessions');
  expect(stdout).toContain('all   -> 1 live session, the long-lived one: {"user":"grace"}');
  // No token, and no stored key (a token's hash), is printed.
  expect(stdout).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-|[A-Za-z0-9_-]{43}/);
});
