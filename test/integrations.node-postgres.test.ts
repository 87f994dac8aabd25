import { describe } from 'vitest';
import { openNodePostgres } from './support/backends.js';
import { describeIntegrations } from './support/integration-suite.js';

describe('Hono and React Router on node-postgres', () => describeIntegrations(openNodePostgres));
