/** Expiries at the edges of how drivers parse timestamptz text: two-digit years, before 1900, the last year. */
const EDGE_EXPIRIES = [
  '0001-01-01T00:00:00.000Z',
  '0099-12-31T23:59:59.999Z',
  '0100-01-01T00:00:00.000Z',
  '1899-06-15T12:34:56.789Z',
  '9999-12-31T23:59:59.999Z',
];

/** SQL that leaves the sessions table holding one row per expiry in `expiries`. */
export const rowsExpiringAt = (expiries: string[]) =>
  `TRUNCATE sessions; INSERT INTO sessions (token, data, expiry) VALUES ${expiries
    .map((expiry, i) => `('edge${i}', '\\x00', '${expiry}')`)
    .join(', ')}`;

/** Each step leaves the middle rows, so every edge expiry is once the oldest or the newest. */
export const EDGE_STEPS = [
  { rows: EDGE_EXPIRIES, oldest: EDGE_EXPIRIES[0]!, newest: EDGE_EXPIRIES[4]! },
  { rows: EDGE_EXPIRIES.slice(1, 4), oldest: EDGE_EXPIRIES[1]!, newest: EDGE_EXPIRIES[3]! },
  { rows: EDGE_EXPIRIES.slice(2, 3), oldest: EDGE_EXPIRIES[2]!, newest: EDGE_EXPIRIES[2]! },
];
