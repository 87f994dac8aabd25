import { describe } from 'vitest';
import { openNodePostgres } from './support/backends.js';
import { expressFramework } from './support/session-apps.js';
import { describeSessionLifecycle } from './support/session-suite.js';
import { describeExpressTouch } from './support/touch-suite.js';

describe('express-session on PostgreSQL (node-postgres)', () => {
  describeSessionLifecycle(expressFramework, openNodePostgres);
  describeExpressTouch(openNodePostgres);
});
