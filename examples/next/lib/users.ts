import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** The one account of this example: DEMO_USER with DEMO_PASSWORD. A real app checks a password hash in its users table. */
export function checkPassword(user: string, password: string): boolean {
  const expected = process.env.DEMO_PASSWORD ?? 'correct horse battery staple';
  const sameUser = user === (process.env.DEMO_USER ?? 'ada');
  return timingSafeEqual(digest(password), digest(expected)) && sameUser;
}
