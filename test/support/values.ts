/** Session values the suites write: UTF-8 bytes and expiries from now. */

/** The UTF-8 bytes of `text`. */
export const bytes = (text: string) => new TextEncoder().encode(text);

/** A Date `hours` from now (negative: in the past). */
export const inHours = (hours: number) => new Date(Date.now() + hours * 3_600_000);

/** A Date an hour from now: a session that stays live for the whole test. */
export const inOneHour = () => inHours(1);
