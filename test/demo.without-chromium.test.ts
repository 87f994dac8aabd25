import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, noChromiumMessage } from './support/chromium.js';

// The browser tests need a Chromium; on a machine without one `npm test` still passes, and
// says on one line what it skipped and how to run it.
const root = fileURLToPath(new URL('..', import.meta.url));
let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'pgstore-chromium-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Makes `name` in a folder of its own: an executable file, a file that is not, or a folder. */
async function place(bin: string, name: string, kind: 'executable' | 'plain' | 'folder' = 'executable'): Promise<string> {
  const path = join(folder, bin, name);
  await mkdir(join(folder, bin), { recursive: true });
  if (kind === 'folder') await mkdir(path);
  else await writeFile(path, '#!/bin/sh\n', { mode: kind === 'executable' ? 0o755 : 0o644 });
  return path;
}

describe('finding Chromium', () => {
  it('takes the first of chromium, chromium-browser and google-chrome on PATH, passing over what cannot run', async () => {
    await place('a', 'chromium', 'plain');
    await place('a', 'chromium-browser', 'folder');
    const chrome = await place('a', 'google-chrome');
    const chromiumBrowser = await place('b', 'chromium-browser');
    const path = [join(folder, 'empty'), join(folder, 'a'), join(folder, 'b')].join(delimiter);
    expect(findChromium({ PATH: path })).toBe(chromiumBrowser);
    expect(findChromium({ PATH: join(folder, 'a') })).toBe(chrome);
    const chromium = await place('c', 'chromium');
    expect(findChromium({ PATH: [path, join(folder, 'c')].join(delimiter) })).toBe(chromium);
  });

  it('takes CHROMIUM_PATH before PATH, and refuses one that cannot run rather than skip', async () => {
    const chromium = await place('d', 'chromium');
    const own = await place('e', 'my-chrome');
    expect(findChromium({ PATH: join(folder, 'd'), CHROMIUM_PATH: own })).toBe(own);
    expect(findChromium({ PATH: join(folder, 'd'), CHROMIUM_PATH: '' })).toBe(chromium);
    const missing = join(folder, 'no-such-chrome');
    expect(() => findChromium({ CHROMIUM_PATH: missing })).toThrow(`CHROMIUM_PATH is ${missing}, which is not an executable file`);
    const plain = await place('e', 'plain-chrome', 'plain');
    expect(() => findChromium({ CHROMIUM_PATH: plain })).toThrow('not an executable file');
  });

  it('finds none on a PATH without one', () => {
    expect(findChromium({ PATH: join(folder, 'nothing-here') })).toBeUndefined();
    expect(findChromium({})).toBeUndefined();
  });
});

it('skips the browser tests where there is no Chromium, saying so on one line that names CHROMIUM_PATH', async () => {
  // vitest itself, on a PATH with no Chromium on it, and no CHROMIUM_PATH.
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: join(folder, 'nothing-here'), NO_COLOR: '1' };
  delete env.CHROMIUM_PATH;
  delete env.FORCE_COLOR;
  for (const name of Object.keys(env)) if (name.startsWith('VITEST')) delete env[name];
  const files = ['test/demo.browser.test.ts', 'test/demo.cross-site.browser.test.ts'];
  const vitest = spawn(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...files], { cwd: root, env });
  let output = '';
  vitest.stdout.on('data', (chunk) => (output += chunk));
  vitest.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => vitest.on('close', resolve));

  expect({ code, output }).toMatchObject({ code: 0 });
  expect(noChromiumMessage).toContain('CHROMIUM_PATH');
  // One line from each file, and not a test of theirs run.
  expect(output.split('\n').filter((line) => line === noChromiumMessage)).toHaveLength(files.length);
  expect(output).toMatch(/Test Files\s+2 skipped \(2\)/);
  expect(output).toMatch(/Tests\s+(\d+) skipped \(\1\)/);
}, 60_000);
