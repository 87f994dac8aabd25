import { describe } from 'vitest';
import { openPglite } from './support/backends.js';
import { describeIntegrations } from './support/integration-suite.js';

describe('Hono and React Router on PGlite', () => describeIntegrations(openPglite));
