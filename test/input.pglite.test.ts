import { describe } from 'vitest';
import { openPglite } from './support/backends.js';
import { describeInputProperties } from './support/input-properties.js';

describe('hostile and odd input on PGlite', () => describeInputProperties(openPglite, { stripsLeadingBom: true, slowBytea: true }));
