import { defineConfig } from 'drizzle-kit';

/**
 * Generates the shipped migration from src/schema.ts and applies it to DATABASE_URL.
 * The history lives in its own table so that an app's drizzle history never makes
 * ours look applied (or the other way round).
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: './drizzle',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  migrations: { table: '__drizzle_pgstore_migrations', schema: 'drizzle' },
});
