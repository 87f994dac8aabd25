import { describe } from 'vitest';
import { openPglite } from './support/backends.js';
import { describeManagerContract } from './support/manager-suite.js';

describe('SessionManager on PGlite', () => describeManagerContract(openPglite));
