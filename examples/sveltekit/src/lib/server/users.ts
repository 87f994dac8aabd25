/**
 * The one user of this example, `ada`, whose password is DEMO_PASSWORD. A real app checks a
 * password hash from its users table.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Whether `password` is `name`'s, compared in constant time. */
export function passwordMatches(name: string, password: string): boolean {
  const expected = process.env.DEMO_PASSWORD;
  if (name !== 'ada' || !expected) return false;
  return timingSafeEqual(digest(password), digest(expected));
}
