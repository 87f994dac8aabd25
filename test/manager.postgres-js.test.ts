import { describe } from 'vitest';
import { openPostgresJs } from './support/backends.js';
import { describeManagerContract } from './support/manager-suite.js';

describe('SessionManager on postgres.js', () => describeManagerContract(openPostgresJs));
