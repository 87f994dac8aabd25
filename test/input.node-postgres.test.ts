import { describe } from 'vitest';
import { openNodePostgres } from './support/backends.js';
import { describeInputProperties } from './support/input-properties.js';

describe('hostile and odd input on node-postgres', () => describeInputProperties(openNodePostgres));
