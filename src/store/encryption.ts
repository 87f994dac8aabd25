/**
 * Session data at rest: AES-256-GCM with a fresh nonce per write, bound to the row's key
 * (the token, or its hash), so that whoever reads the table (a backup, a replica, a support
 * query) reads nothing of the sessions, and a ciphertext moved to another row does not open.
 *
 * A sealed value is `header | nonce | ciphertext | tag`:
 *   header  5 bytes: FORMAT_V1, then the id of the key that sealed it (4 bytes)
 *   nonce  12 bytes, random
 *   tag    16 bytes, GCM's authentication tag
 * The header names the key, so opening never tries every key; it is authenticated with the
 * row's key as associated data. FORMAT_V1 is 0xF8, a byte no UTF-8 text starts with, so
 * JSON or any other text a store kept before is never taken for a sealed value, and, while
 * encryption is being turned on (`readUnencrypted`), a value that does not start with it is
 * read as the plain data an unencrypted store wrote.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { describeType } from '../input.js';

/** A 32-byte key as the app keeps it: bytes, or base64 / base64url text (padding optional). */
export type EncryptionKey = Uint8Array | string;

const FORMAT_V1 = 0xf8;
const KEY_BYTES = 32;
const KEY_ID_BYTES = 4;
const HEADER_BYTES = 1 + KEY_ID_BYTES;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** What sealing adds to each session, in bytes. */
export const SEAL_OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

/** Why a sealed row did not open; none of these says anything of the key, the token or the data. */
export type UnreadableReason = 'not-encrypted' | 'unknown-key' | 'failed-authentication';

const REASONS: Record<UnreadableReason, string> = {
  'not-encrypted': 'it is not encrypted (written before encryptionKeys was set, or by another program; readUnencrypted reads such rows while encryption is turned on)',
  'unknown-key': 'it was encrypted with a key that is not among encryptionKeys',
  'failed-authentication': 'it fails authentication (changed, or copied from another row)',
};

/**
 * A session row that no key in `encryptionKeys` opens. The store reads such a row as no
 * session (`null`, or absent from `all()` and `sessionsOf()`), so the visitor gets a new one,
 * and tells `onError` (by default one line on stderr). It carries no key, token or data.
 *
 * @example
 * ```ts
 * new PGStore(db, { encryptionKeys, onError: (e) => e instanceof UnreadableSessionDataError && metrics.count(e.reason) });
 * ```
 */
export class UnreadableSessionDataError extends Error {
  override readonly name = 'UnreadableSessionDataError';
  /** Why it did not open. */
  readonly reason: UnreadableReason;

  constructor(reason: UnreadableReason) {
    super(`drizzle-pgstore: a session row could not be decrypted: ${REASONS[reason]}; it reads as no session`);
    this.reason = reason;
  }
}

/** base64 or base64url, padded or not: what `openssl rand -base64 32` and Buffer#toString give. */
const BASE64 = /^(?:[A-Za-z0-9+/]|[A-Za-z0-9_-])+={0,2}$/;

/** The bytes of one key, or an error that names its place in the list and never its value. */
function keyBytes(key: unknown, index: number): Buffer {
  const where = `encryptionKeys[${index}]`;
  let bytes: Buffer;
  if (typeof key === 'string') {
    const text = key.trim();
    if (!BASE64.test(text) || /[+/]/.test(text) && /[-_]/.test(text)) {
      throw new TypeError(`drizzle-pgstore: ${where} is not base64 or base64url text (the key is not shown); make one with: openssl rand -base64 32`);
    }
    bytes = Buffer.from(text, 'base64');
  } else if (key instanceof Uint8Array) {
    bytes = Buffer.from(key);
  } else {
    throw new TypeError(`drizzle-pgstore: ${where} must be 32 bytes (a Uint8Array) or their base64 text, got ${describeType(key)}`);
  }
  if (bytes.length !== KEY_BYTES) {
    const hint = typeof key === 'string' ? '; a string is read as base64, so a password is no key: make one with openssl rand -base64 32' : '';
    throw new RangeError(`drizzle-pgstore: ${where} is ${bytes.length} bytes; an AES-256 key is 32 (the key is not shown)${hint}`);
  }
  return bytes;
}

/** A short name of a key, derived from it one way, so that a sealed value can say which key sealed it. */
const keyId = (key: Buffer) => createHmac('sha256', key).update('drizzle-pgstore key id v1').digest().subarray(0, KEY_ID_BYTES);

/**
 * Whether stored bytes are in the sealed format (they start with FORMAT_V1). Everything that
 * is must open with a key or is unreadable: it is never read as plain data.
 */
export const isSealed = (stored: Uint8Array): boolean => stored.byteLength > 0 && stored[0] === FORMAT_V1;

/** How a {@link SessionCipher} reads what it did not seal. */
export interface SessionCipherOptions {
  /**
   * Read a value that is not in the sealed format as plain data (the store's
   * `readUnencrypted`, while encryption is turned on); without it, such a value is unreadable.
   */
  readUnencrypted?: boolean;
}

interface Key {
  secret: Buffer;
  /** FORMAT_V1 and the key's id: the first bytes of everything it seals. */
  header: Buffer;
}

/**
 * The keys of one store: the first seals every write, each opens what it sealed.
 *
 * @example
 * ```ts
 * const cipher = new SessionCipher([process.env.SESSION_KEY!, process.env.SESSION_KEY_OLD!]);
 * const sealed = cipher.seal(rowKey, bytes);
 * cipher.open(rowKey, sealed); // bytes; an UnreadableSessionDataError's reason otherwise
 * ```
 */
export class SessionCipher {
  readonly #keys: Key[];
  readonly #byId = new Map<string, Key>();
  /** See {@link SessionCipherOptions.readUnencrypted}. */
  readonly #readUnencrypted: boolean;

  constructor(keys: unknown, { readUnencrypted = false }: SessionCipherOptions = {}) {
    this.#readUnencrypted = readUnencrypted;
    if (!Array.isArray(keys)) {
      throw new TypeError(
        `drizzle-pgstore: encryptionKeys must be an array of keys, the current one first, got ${describeType(keys)}`,
      );
    }
    if (keys.length === 0) throw new RangeError('drizzle-pgstore: encryptionKeys is empty; give at least one key (leave the option out to store data unencrypted)');
    const indexOf = new Map<Key, number>();
    this.#keys = keys.map((key, index) => {
      const secret = keyBytes(key, index);
      const id = keyId(secret);
      const name = id.toString('hex');
      const earlier = this.#byId.get(name);
      if (earlier !== undefined) {
        throw new RangeError(`drizzle-pgstore: encryptionKeys[${index}] is the same key as encryptionKeys[${indexOf.get(earlier)}]; list each key once`);
      }
      const entry = { secret, header: Buffer.concat([Buffer.of(FORMAT_V1), id]) };
      this.#byId.set(name, entry);
      indexOf.set(entry, index);
      return entry;
    });
  }

  /** The first bytes of every value the current key seals: what `reencrypt` looks for. */
  get currentHeader(): Uint8Array {
    return this.#keys[0]!.header;
  }

  /** `data`, sealed with the current key for the row kept under `rowKey`. */
  seal(rowKey: string, data: Uint8Array): Uint8Array {
    const { secret, header } = this.#keys[0]!;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', secret, nonce);
    cipher.setAAD(associatedData(header, rowKey));
    const body = cipher.update(data);
    cipher.final();
    return Buffer.concat([header, nonce, body, cipher.getAuthTag()]);
  }

  /**
   * The data sealed in `sealed` for the row `rowKey`, or why it does not open. With
   * `readUnencrypted`, a value not in the sealed format is plain data, given back as it is;
   * one in the format that does not open (short, changed, another key) still does not.
   */
  open(rowKey: string, sealed: Uint8Array): Uint8Array | UnreadableReason {
    if (!isSealed(sealed)) return this.#readUnencrypted ? sealed : 'not-encrypted';
    // In the format but too short to hold a nonce and a tag: cut, so changed.
    if (sealed.byteLength < SEAL_OVERHEAD) return 'failed-authentication';
    const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const key = this.#byId.get(bytes.subarray(1, HEADER_BYTES).toString('hex'));
    if (key === undefined) return 'unknown-key';
    const nonce = bytes.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key.secret, nonce);
    decipher.setAAD(associatedData(key.header, rowKey));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const body = decipher.update(bytes.subarray(HEADER_BYTES + NONCE_BYTES, bytes.length - TAG_BYTES));
    try {
      decipher.final();
    } catch {
      return 'failed-authentication';
    }
    return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  }
}

/** What GCM authenticates besides the data: the header (so it cannot be swapped) and the row's key. */
const associatedData = (header: Buffer, rowKey: string) => Buffer.concat([header, Buffer.from(rowKey, 'utf8')]);
