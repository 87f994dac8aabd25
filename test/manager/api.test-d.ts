/**
 * The types of the manager below Request/Response and of drizzle-pgstore/h3: what framework
 * cookie setters take, and sessions typed by the app's data.
 */
import type { H3Event, Middleware, setCookie } from 'h3';
import { describe, expectTypeOf, it } from 'vitest';
import type { loadSession as LoadSession, sessionMiddleware as SessionMiddleware } from '../../src/integrations/h3.js';
import type { Session, SessionCookie, SessionCookieAttributes, SessionManager } from '../../src/index.js';

type Data = { userId: number; flash: { email?: string; name: string } };
declare const manager: SessionManager<Data>;
declare const event: H3Event;
declare const loadSession: typeof LoadSession;
declare const sessionMiddleware: typeof SessionMiddleware;

describe('SessionManager below Request/Response', () => {
  it('loads by token and commits to a cookie or null', () => {
    expectTypeOf(manager.loadToken).parameter(0).toEqualTypeOf<string | undefined | null>();
    expectTypeOf(manager.loadToken('t')).resolves.toEqualTypeOf<Session<Data>>();
    expectTypeOf(manager.commitCookie).returns.resolves.toEqualTypeOf<SessionCookie | null>();
    expectTypeOf(manager.mergeSession).returns.resolves.toBeVoid();
  });

  it('gives cookie options in the shape the frameworks take', () => {
    expectTypeOf<SessionCookie>().toEqualTypeOf<{ name: string; value: string; options: SessionCookieAttributes }>();
    expectTypeOf<SessionCookieAttributes['sameSite']>().toEqualTypeOf<'lax' | 'strict' | 'none'>();
    expectTypeOf<SessionCookieAttributes['maxAge']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<SessionCookieAttributes['expires']>().toEqualTypeOf<Date | undefined>();
    // h3's setCookie takes the options as they are.
    expectTypeOf<SessionCookieAttributes>().toExtend<NonNullable<Parameters<typeof setCookie>[3]>>();
  });

  it('lets set() take undefined, to remove a key', () => {
    expectTypeOf<Session<Data>['set']>().toBeCallableWith('userId', undefined);
    expectTypeOf<Session<Data>['set']>().toBeCallableWith('flash', { name: 'ada' });
    expectTypeOf<Session<Data>['setDeadline']>().parameter(0).toEqualTypeOf<Date>();
  });
});

describe('drizzle-pgstore/h3', () => {
  it("types the event's session by the manager's data", () => {
    expectTypeOf(loadSession(event, manager)).resolves.toEqualTypeOf<Session<Data>>();
    expectTypeOf(sessionMiddleware(manager)).toEqualTypeOf<Middleware>();
  });
});
