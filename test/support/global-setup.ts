import type { TestProject } from 'vitest/node';
import { selectedBackendNames } from './backend-names.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/**
 * Finds the PostgreSQL server the tests run against: DATABASE_URL when set, else a
 * throwaway container where Docker runs, else a failure that says what to do.
 */
export default async function setup(project: TestProject) {
  // A typo in BACKENDS stops the run here, once, rather than in every test file.
  selectedBackendNames();
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) {
    project.provide('databaseUrl', fromEnv);
    return;
  }
  let container: { getConnectionUri(): string; stop(): Promise<unknown> };
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    container = await new PostgreSqlContainer('postgres:15-alpine').start();
  } catch (error) {
    refuseToRun(
      'drizzle-pgstore tests need a PostgreSQL server: set DATABASE_URL (e.g. ' +
        'DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test) or run a Docker engine so ' +
        `Testcontainers can start one. Testcontainers said: ${(error as Error).message}`,
    );
  }
  project.provide('databaseUrl', container.getConnectionUri());
  return () => container.stop();
}

/**
 * Ends the run with one line that says what to do. A throw here would do too, but vitest
 * then reports "No test files found" first and a stack after, which hides the message.
 */
function refuseToRun(message: string): never {
  console.error(`\n${message}\n`);
  process.exit(1);
}
