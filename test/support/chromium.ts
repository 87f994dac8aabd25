import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { describe } from 'vitest';

/** The names a Chromium goes by on PATH, in the order they are looked for. */
const chromiumNames = ['chromium', 'chromium-browser', 'google-chrome'] as const;

/** What a browser test file says, on one line, when it skips for want of a Chromium. */
export const noChromiumMessage =
  'skipping the browser tests: no chromium, chromium-browser or google-chrome on PATH ' +
  '(set CHROMIUM_PATH to a Chromium or Chrome binary to run them)';

const isExecutableFile = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/**
 * The machine's Chromium: `CHROMIUM_PATH` when set, else the first of {@link chromiumNames}
 * found on `PATH`, else undefined. A `CHROMIUM_PATH` that is not an executable file is an
 * error, not a reason to skip: whoever set it meant the browser tests to run.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = env.CHROMIUM_PATH;
  if (given) {
    if (!isExecutableFile(given)) throw new Error(`CHROMIUM_PATH is ${given}, which is not an executable file`);
    return given;
  }
  const folders = (env.PATH ?? '').split(delimiter).filter((folder) => folder !== '');
  for (const name of chromiumNames) {
    for (const folder of folders) {
      if (isExecutableFile(join(folder, name))) return join(folder, name);
    }
  }
  return undefined;
}

/**
 * Declares tests that drive a browser: where no Chromium is found they skip, and say so on
 * one line, so that `npm test` passes on a machine without one.
 */
export function describeInChromium(name: string, body: () => void): void {
  const found = findChromium() !== undefined;
  if (!found) console.warn(noChromiumMessage);
  describe.skipIf(!found)(name, body);
}

// The machine's own Chromium, never a downloaded one; these flags keep it from reaching the network.
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts the machine's Chromium, headless, for a browser test. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (executablePath === undefined) throw new Error(noChromiumMessage);
  // Loaded here, so that a file whose browser tests skip does not pay for it.
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, args: chromiumArgs });
}
