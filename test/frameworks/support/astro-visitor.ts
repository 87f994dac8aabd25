import { CookieClient, type Reply } from '../../support/cookie-client.js';

/** The cookie Astro keeps its session ID in (its default name). */
export const SESSION_COOKIE = 'astro-session';

/** What the example's /api/session endpoint answers. */
export interface SessionView {
  user: string | null;
  cart: string[];
}

/** Every page the app answered, as sent, from every visitor: for the check that none leaks a secret. */
export const pagesSeen: string[] = [];

/**
 * A visitor of the example app: a cookie jar, and form posts sent as a browser sends them
 * from a page of `origin` (the app's own unless told).
 */
export class AstroVisitor {
  readonly #client: CookieClient;
  /** The origin its forms are posted from. */
  readonly #origin: string;
  /** A session ID the visitor came with (a cookie kept from before), sent until the app sets one. */
  readonly #carried: string | undefined;

  constructor(url: string, options: { origin?: string; sessionId?: string | undefined } = {}) {
    this.#client = new CookieClient(url);
    this.#origin = options.origin ?? url;
    this.#carried = options.sessionId;
  }

  /** The session ID the visitor's next request carries, if any. */
  get sessionId(): string | undefined {
    return this.#client.cookie(SESSION_COOKIE) ?? this.#carried;
  }

  async #send<Body>(method: 'GET' | 'POST', path: string, form?: URLSearchParams): Promise<Reply<Body>> {
    const headers: Record<string, string> = method === 'POST' ? { origin: this.#origin } : {};
    // The jar's own cookie header replaces this one once the app set a cookie.
    if (this.#carried !== undefined) headers.cookie = `${SESSION_COOKIE}=${this.#carried}`;
    const reply = await this.#client.request<Body>(method, path, form, headers);
    pagesSeen.push(reply.text);
    return reply;
  }

  page(path = '/') {
    return this.#send<string>('GET', path);
  }

  async session(): Promise<SessionView> {
    return (await this.#send<SessionView>('GET', '/api/session')).body;
  }

  /** Posts a form to one of the example's actions, as its page's forms do. */
  action(name: 'signIn' | 'addToCart' | 'signOut', form: Record<string, string> = {}) {
    return this.#send<string>('POST', `/?_action=${name}`, new URLSearchParams(form));
  }
}
