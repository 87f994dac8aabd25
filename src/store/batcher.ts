/**
 * The scheduling shared by coalesced finds, saves and deletes: calls waiting at the same
 * moment go to the database as one statement. A call with no company goes out at once.
 */

/**
 * Statements in flight at once, once more than {@link FEW_CALLS} calls are outstanding.
 * Two: while one batch is in PostgreSQL the process reads the other's result and gathers
 * the next, so neither side waits idle; one batch of everyone would make them take turns.
 */
const STATEMENTS_IN_FLIGHT = 2;

/**
 * Calls in flight and waiting, at or under which each call goes at once and alone, whatever
 * the statements in flight: with so few callers the process waits on the database rather
 * than working, so holding a call back for a slot would add a round trip to it, and merging
 * two would make each wait for the other's rows while PostgreSQL works on fewer statements
 * (find hit at 4 callers: 0.83× raw pg merged, 0.96× alone).
 */
const FEW_CALLS = 4;

/** Most calls in one statement, so one batch never holds a caller behind a huge statement. */
const MAX_BATCH = 128;

export interface BatcherOptions<Call, Result> {
  /** Sends one statement for the batch (one call, or many). */
  run(batch: readonly Call[]): Promise<Result>;
  /** Gives the statement's outcome to each call of the batch. */
  settle(batch: readonly Call[], outcome: PromiseSettledResult<Result>): void;
  /**
   * The row a call writes, for calls whose outcome depends on what an earlier call of the
   * same row did (compare-and-swaps). When given, a statement holds each key once, and a call
   * waits while an earlier call of its key waits before it or is in flight: calls of one key
   * then run one after the other, in call order, each seeing what the one before wrote.
   */
  keyOf?(call: Call): string;
}

/**
 * Gathers calls and sends them in batches. A call queues, and the queue is sent one
 * microtask later, so every caller resuming from the same batch joins the next one
 * (otherwise the first to resume would find nothing in flight, go alone, and batching
 * would collapse into single statements). Only unsent calls are ever merged: a call that
 * starts after another resolved is never part of a statement sent before it.
 */
export class Batcher<Call, Result> {
  readonly #options: BatcherOptions<Call, Result>;
  #waiting: Call[] = [];
  #inFlight = 0;
  /** Calls in the statements in flight. */
  #callsInFlight = 0;
  #flushQueued = false;
  /** With `keyOf`: the keys of the calls in flight. */
  readonly #keysInFlight = new Set<string>();

  constructor(options: BatcherOptions<Call, Result>) {
    this.#options = options;
  }

  /** Queues a call; its batch's outcome reaches it through `settle`. */
  add(call: Call): void {
    this.#waiting.push(call);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  /** Sends what waits, split over the free statement slots; the rest waits for a slot. */
  #flush(): void {
    this.#flushQueued = false;
    while (this.#waiting.length > 0) {
      const few = this.#callsInFlight + this.#waiting.length <= FEW_CALLS;
      if (this.#inFlight >= STATEMENTS_IN_FLIGHT && !few) return;
      const slots = Math.max(1, STATEMENTS_IN_FLIGHT - this.#inFlight);
      const size = few ? 1 : Math.min(MAX_BATCH, Math.ceil(this.#waiting.length / slots));
      const batch = this.#options.keyOf ? this.#takeByKey(this.#options.keyOf, size) : this.#waiting.splice(0, size);
      // Every waiting call's key is in flight: the next settle sends them.
      if (batch.length === 0) return;
      this.#send(batch);
    }
  }

  /**
   * Up to `size` waiting calls, in call order, each of a key neither in the batch nor in
   * flight; a call passed over holds back every later call of its key, so a key's calls keep
   * their order.
   */
  #takeByKey(keyOf: (call: Call) => string, size: number): Call[] {
    const batch: Call[] = [];
    const rest: Call[] = [];
    const seen = new Set<string>();
    for (const call of this.#waiting) {
      const key = keyOf(call);
      if (batch.length < size && !seen.has(key) && !this.#keysInFlight.has(key)) batch.push(call);
      else rest.push(call);
      seen.add(key);
    }
    this.#waiting = rest;
    for (const call of batch) this.#keysInFlight.add(keyOf(call));
    return batch;
  }

  /** Sends one statement; its outcome goes to each of its calls. */
  #send(batch: Call[]): void {
    this.#inFlight++;
    this.#callsInFlight += batch.length;
    let sent: Promise<Result>;
    try {
      sent = this.#options.run(batch);
    } catch (reason) {
      sent = Promise.reject(reason);
    }
    // then() rather than an async function: one promise less on every call's path.
    sent.then(
      (value) => this.#settle(batch, { status: 'fulfilled', value }),
      (reason: unknown) => this.#settle(batch, { status: 'rejected', reason }),
    );
  }

  #settle(batch: Call[], outcome: PromiseSettledResult<Result>): void {
    // Frees the slot first: those that waited for it go now, before this batch's callers resume and queue again.
    this.#inFlight--;
    this.#callsInFlight -= batch.length;
    const { keyOf } = this.#options;
    if (keyOf) for (const call of batch) this.#keysInFlight.delete(keyOf(call));
    this.#flush();
    this.#options.settle(batch, outcome);
  }
}

/** A call that resolves with nothing once its statement has committed: a save or a delete. */
export interface WaitingWrite {
  /** What the table keys the row by: the token, or its hash. */
  readonly key: string;
  readonly token: string;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * How a batch of writes settles: one statement, one outcome. Each call resolves when it
 * committed; when it failed, each gets the error `failure` makes for it.
 */
export function settleWrites<Call extends WaitingWrite>(
  failure: (error: unknown, call: Call, batch: readonly Call[]) => unknown,
): BatcherOptions<Call, unknown>['settle'] {
  return (batch, outcome) => {
    if (outcome.status === 'fulfilled') for (const call of batch) call.resolve();
    else for (const call of batch) call.reject(failure(outcome.reason, call, batch));
  };
}
