import { describe, expect, it } from 'vitest';
import { resolveManagerOptions } from '../../src/manager/options.js';

describe('SessionManager options', () => {
  it('defaults to a 24-hour lifetime, no idle timeout, and a minute or a tenth of the idle timeout for touchAfter', () => {
    expect(resolveManagerOptions()).toMatchObject({ lifetime: 86_400_000, idleTimeout: 0, touchAfter: 0, maxCommitAttempts: 64 });
    expect(resolveManagerOptions({ idleTimeout: 3_600_000 }).touchAfter).toBe(60_000);
    expect(resolveManagerOptions({ idleTimeout: 100_000 }).touchAfter).toBe(10_000);
  });

  it('takes an idle timeout as long as the lifetime, or shorter', () => {
    expect(resolveManagerOptions({ lifetime: 60_000, idleTimeout: 60_000 })).toMatchObject({ lifetime: 60_000, idleTimeout: 60_000 });
    expect(resolveManagerOptions({ lifetime: 60_000, idleTimeout: 1_000 }).idleTimeout).toBe(1_000);
  });

  it.each([
    [{ lifetime: -1 }, /lifetime must be a whole number of milliseconds from 1/],
    [{ lifetime: 0 }, /lifetime must be/],
    [{ lifetime: '3600' }, /lifetime must be .* got string "3600"/],
    [{ idleTimeout: Number.NaN }, /idleTimeout must be/],
    [{ idleTimeout: 1.5 }, /idleTimeout must be/],
    [{ idleTimeout: 1000, touchAfter: 1000 }, /touchAfter must be less than idleTimeout/],
    [{ lifetime: 60_000, idleTimeout: 60_001 }, /idleTimeout \(60001 ms\) is longer than lifetime \(60000 ms\), so it would never end a session/],
    [{ idleTimeout: 7 * 86_400_000 }, /is longer than lifetime \(86400000 ms, the default\)/],
    [{ lifetime: 1e15 }, /lifetime must be .* to 3155760000000/],
    [{ maxCommitAttempts: 0 }, /maxCommitAttempts must be a whole number of tries/],
    [{ codec: { encode: () => new Uint8Array() } }, /codec must have encode/],
    [{ onError: 'log' }, /onError must be a function/],
    [{ lifeTime: 5 }, /has no option "lifeTime"/],
    [{ cookie: { sameSite: 'bogus' } }, /cookie.sameSite/],
    [{ cookie: { name: 'a;b' } }, /cookie.name/],
  ])('refuses %j, naming it', (options, message) => {
    expect(() => resolveManagerOptions(options as never)).toThrow(message);
  });
});
