import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import databaseSetup from '../../support/global-setup.js';
import { packFromCheckout } from '../../support/packed-package.js';

declare module 'vitest' {
  export interface ProvidedContext {
    tarball: string;
  }
}

/**
 * The framework apps install drizzle-pgstore as their users do, from a packed tarball:
 * packed once per run, here, so every app test gets the same one.
 */
export default async function setup(project: TestProject) {
  const stopDatabase = await databaseSetup(project);
  const work = await mkdtemp(join(tmpdir(), 'drizzle-pgstore-pack-'));
  const { tarball } = await packFromCheckout(work);
  project.provide('tarball', tarball);
  return async () => {
    await rm(work, { recursive: true, force: true });
    await stopDatabase?.();
  };
}
