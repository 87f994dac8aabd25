/**
 * A visitor of the Next.js example over plain HTTP, as a browser without JavaScript is: it
 * keeps its cookies, posts Server Action forms the way React renders them for progressive
 * enhancement, and remembers every page it was sent, so a test can look for leaks in them.
 */
export interface Visitor {
  /** The session cookie's value, if the visitor has one. */
  readonly token: string | undefined;
  /** Every body the app sent this visitor. */
  readonly pages: string[];
  /** Every session token the visitor held. */
  readonly tokens: string[];
  plant(token: string): void;
  request(path: string, init?: RequestInit): Promise<Response>;
  /** GETs `path`, finds its first Server Action form, and submits it with `fields`. */
  submitAction(path: string, fields: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
}

export function visitor(base: string, cookieName = 'session'): Visitor {
  let token: string | undefined;
  const pages: string[] = [];
  const tokens: string[] = [];
  const request = async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has('origin')) headers.set('origin', base);
    if (token !== undefined) headers.set('cookie', `${cookieName}=${token}`);
    const response = await fetch(new URL(path, base), { redirect: 'manual', ...init, headers });
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = setCookie.split(';');
      const [name, value = ''] = pair.trim().split('=');
      if (name !== cookieName) continue;
      const expired = value === '' || attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
      token = expired ? undefined : value;
      if (token !== undefined) tokens.push(token);
    }
    pages.push(await response.clone().text());
    return response;
  };
  return {
    get token() {
      return token;
    },
    pages,
    tokens,
    plant(planted) {
      token = planted;
      tokens.push(planted);
    },
    request,
    async submitAction(path, fields, headers = {}) {
      const page = await (await request(path)).text();
      const actionId = /name="(\$ACTION_ID_[0-9a-f]+)"/.exec(page)?.[1];
      if (actionId === undefined) throw new Error(`no Server Action form on ${path}:\n${page.slice(0, 2000)}`);
      const form = new FormData();
      form.set(actionId, '');
      for (const [name, value] of Object.entries(fields)) form.set(name, value);
      return request(path, { method: 'POST', body: form, headers });
    },
  };
}
