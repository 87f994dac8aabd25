import { createHash, timingSafeEqual } from 'node:crypto';
import { ActionError, defineAction } from 'astro:actions';
import { z } from 'astro/zod';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Any name signs in with the password in DEMO_PASSWORD: a real app checks its users table. */
function passwordMatches(password: string): boolean {
  const expected = process.env.DEMO_PASSWORD;
  return expected !== undefined && expected !== '' && timingSafeEqual(digest(password), digest(expected));
}

export const server = {
  signIn: defineAction({
    accept: 'form',
    input: z.object({ name: z.string().trim().min(1).max(40), password: z.string() }),
    handler: async ({ name, password }, { session }) => {
      if (!passwordMatches(password)) throw new ActionError({ code: 'UNAUTHORIZED', message: 'Wrong name or password.' });
      // A new session ID at sign-in: one planted in the browser before is worth nothing after.
      await session?.regenerate();
      session?.set('user', name);
    },
  }),
  addToCart: defineAction({
    accept: 'form',
    input: z.object({ item: z.string().trim().min(1).max(100) }),
    handler: async ({ item }, { session }) => {
      const cart = (await session?.get('cart')) ?? [];
      session?.set('cart', [...cart, item]);
    },
  }),
  signOut: defineAction({
    accept: 'form',
    handler: (_input, { session }) => {
      session?.destroy();
    },
  }),
};
