import { describe } from 'vitest';
import { openNodePostgres } from './support/backends.js';
import { describeManagerContract } from './support/manager-suite.js';

describe('SessionManager on node-postgres', () => describeManagerContract(openNodePostgres));
