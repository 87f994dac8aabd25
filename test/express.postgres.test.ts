import { describe } from 'vitest';
import { openNodePostgres } from './support/backends.js';
import { expressFramework } from './support/session-apps.js';
import { onDatabase } from './support/session-backends.js';
import { describeSessionLifecycle } from './support/session-suite.js';
import { describeExpressTouch } from './support/touch-suite.js';

const backend = onDatabase(openNodePostgres);

describe('express-session on PostgreSQL (node-postgres)', () => {
  describeSessionLifecycle(expressFramework, backend);
  describeExpressTouch(backend);
});
