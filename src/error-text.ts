/** Errors as text: for reports of one line (stderr, a log) that must not spread over several. */

/** One error's own reason; Node's AggregateError (one per address tried) has an empty message. */
export function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(reasonOf).join('; ');
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
}

/**
 * What went wrong, on one line: the reason of the innermost error among the causes, which
 * says it best (the driver's own words, not a wrapper's, whose message may hold the query's
 * parameters). A cause that is no Error is left to the message of the error that holds it.
 */
export function oneLine(error: unknown): string {
  let reason = error;
  while (reason instanceof Error && reason.cause instanceof Error) reason = reason.cause;
  return reasonOf(reason).replace(/\s+/g, ' ').trim();
}
