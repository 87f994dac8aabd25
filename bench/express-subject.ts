import type { BenchConfig, Subject } from './subjects.js';
import { pgStore } from './subjects.js';

/** Placeholder until the express adapter lands: measured as PGStore. */
export function expressSessionStore(config: BenchConfig): Subject {
  return { ...pgStore(config), name: 'ExpressSessionStore' };
}
