/**
 * A browser in miniature: real HTTP through fetch, with a cookie jar that keeps what
 * `Set-Cookie` says (and drops what it expires), so tests see what a user would.
 */
export interface Reply<Body> {
  status: number;
  body: Body;
  /** The body as sent. */
  text: string;
  /** Where a redirect points; redirects are not followed, as a test wants to see them. */
  location: string | null;
  /** The `Set-Cookie` headers of the response, as sent. */
  setCookies: string[];
}

/** JSON when the server sent JSON; otherwise the text, so a failing test shows the error page. */
function parseBody(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

export class CookieClient {
  readonly #jar = new Map<string, string>();

  constructor(public baseUrl: string) {}

  /** The value the jar holds for a cookie, or undefined. */
  cookie(name: string): string | undefined {
    return this.#jar.get(name);
  }

  /**
   * Sends a request with the jar's cookies (and `headers`, say the `Origin` a browser would
   * send) and keeps the cookies of the answer.
   */
  async request<Body = Record<string, unknown>>(
    method: 'GET' | 'POST',
    path: string,
    body?: URLSearchParams,
    headers: Record<string, string> = {},
  ): Promise<Reply<Body>> {
    const cookie = [...this.#jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: cookie ? { ...headers, cookie } : headers,
      ...(body === undefined ? {} : { body }),
      redirect: 'manual',
    });
    const setCookies = response.headers.getSetCookie();
    for (const header of setCookies) this.#keep(header);
    const text = await response.text();
    return {
      status: response.status,
      body: parseBody(text) as Body,
      text,
      location: response.headers.get('location'),
      setCookies,
    };
  }

  get<Body = Record<string, unknown>>(path: string) {
    return this.request<Body>('GET', path);
  }

  post<Body = Record<string, unknown>>(path: string, form?: URLSearchParams) {
    return this.request<Body>('POST', path, form);
  }

  #keep(header: string) {
    const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    const value = pair.slice(at + 1);
    const expires = attributes.find((attribute) => /^expires=/i.test(attribute));
    const maxAge = attributes.find((attribute) => /^max-age=/i.test(attribute));
    const gone =
      value === '' ||
      (maxAge !== undefined && Number(maxAge.slice(8)) <= 0) ||
      (expires !== undefined && Date.parse(expires.slice(8)) <= Date.now());
    if (gone) this.#jar.delete(name);
    else this.#jar.set(name, value);
  }
}
