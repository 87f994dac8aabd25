import { describe } from 'vitest';
import { openPglite } from './support/backends.js';
import { expressFramework } from './support/session-apps.js';
import { onDatabase } from './support/session-backends.js';
import { describeSessionLifecycle } from './support/session-suite.js';
import { describeExpressTouch } from './support/touch-suite.js';

const backend = onDatabase(openPglite);

describe('express-session on PGlite', () => {
  describeSessionLifecycle(expressFramework, backend);
  describeExpressTouch(backend);
});
