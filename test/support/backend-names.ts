/**
 * The database drivers the suites run on, and the `BACKENDS` environment variable that picks
 * some of them (`BACKENDS=pglite,node-postgres`; all when unset). Kept apart from
 * backends.ts so the global setup can check the variable without loading any driver.
 */
const BACKEND_NAMES = ['pglite', 'node-postgres', 'postgres-js'] as const;

export type BackendName = (typeof BACKEND_NAMES)[number];

/** The backends `BACKENDS` names, in its order; an unknown name is an error that lists the valid ones. */
export function selectedBackendNames(value = process.env.BACKENDS): BackendName[] {
  if (value === undefined || value.trim() === '') return [...BACKEND_NAMES];
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
      throw new Error(`BACKENDS names an unknown backend ${JSON.stringify(name)}; the backends are ${BACKEND_NAMES.join(', ')}`);
    }
  }
  return [...new Set(names as BackendName[])];
}
