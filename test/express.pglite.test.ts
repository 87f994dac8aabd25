import { describe } from 'vitest';
import { openPglite } from './support/backends.js';
import { expressFramework } from './support/session-apps.js';
import { describeSessionLifecycle } from './support/session-suite.js';
import { describeExpressTouch } from './support/touch-suite.js';

describe('express-session on PGlite', () => {
  describeSessionLifecycle(expressFramework, openPglite);
  describeExpressTouch(openPglite);
});
