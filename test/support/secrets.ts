import { randomBytes, randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { expect } from 'vitest';
import { hashToken } from '../../src/index.js';

/**
 * A session whose token and data are easy to find anywhere they leak: a token as apps make
 * them, and data holding a marker that nothing else contains.
 */
export interface SecretSession {
  token: string;
  /** The data as bytes, and the unmistakable text inside it. */
  data: Uint8Array;
  marker: string;
  /** Every form the token, its hash and the data could take in an error, a log line or a page. */
  forms: string[];
}

const utf8 = new TextEncoder();

export async function secretSession(): Promise<SecretSession> {
  const token = randomBytes(32).toString('base64url');
  const marker = `s3cr3t-${randomUUID()}`;
  const text = JSON.stringify({ cookie: { expires: null }, secret: marker });
  const data = utf8.encode(text);
  const markerBytes = utf8.encode(marker);
  return {
    token,
    data,
    marker,
    forms: [
      token,
      hashToken(token),
      marker,
      // bytea as PostgreSQL prints it, and the numbers drizzle joins into its message.
      Buffer.from(markerBytes).toString('hex'),
      Array.from(markerBytes).join(','),
      // Where a page or a log escapes it.
      encodeURIComponent(token),
    ],
  };
}

/**
 * Every string and every byte array reachable from a value through own properties,
 * enumerable or not (message, stack, cause, errors, fields a driver hides), and the whole
 * of `util.inspect` with hidden fields.
 */
function everythingIn(value: unknown): string[] {
  const found = [inspect(value, { depth: Infinity, showHidden: true })];
  const seen = new Set<unknown>();
  const visit = (item: unknown, depth: number) => {
    if (typeof item === 'string') return void found.push(item);
    if (ArrayBuffer.isView(item)) {
      const bytes = Buffer.from(item.buffer, item.byteOffset, item.byteLength);
      return void found.push(bytes.toString('latin1'), bytes.toString('hex'));
    }
    if ((typeof item !== 'object' && typeof item !== 'function') || item === null || seen.has(item) || depth > 12) return;
    seen.add(item);
    for (const key of Reflect.ownKeys(item)) {
      const descriptor = Object.getOwnPropertyDescriptor(item, key);
      if (descriptor && 'value' in descriptor) visit(descriptor.value, depth + 1);
    }
  };
  visit(value, 0);
  return found;
}

/** Fails when any form of the session shows anywhere in `value` (an error, a page, log lines). */
export function expectNoSecret(value: unknown, session: SecretSession, label: string): void {
  const texts = everythingIn(value);
  for (const form of session.forms) {
    const where = texts.find((text) => text.includes(form));
    expect(where, `${label}: leaks ${form}`).toBeUndefined();
  }
}
