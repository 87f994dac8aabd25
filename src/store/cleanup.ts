import { oneLine } from '../error-text.js';

/** What one cleanup run did. */
export interface CleanupRun {
  /** When the run began (app clock). */
  startedAt: Date;
  /** When it ended. */
  finishedAt: Date;
  /** Expired rows it removed; on failure, those removed before the failure are not counted. */
  deleted: number;
  /** Why it failed, when it did. */
  error?: unknown;
}

/** How a {@link CleanupScheduler} runs. */
export interface CleanupSchedulerOptions {
  /** Milliseconds between the end of one run and the start of the next; 0 never runs. */
  interval: number;
  /**
   * Spread of each wait, as a fraction of `interval` (0 to 1): 0.1 waits between 90 % and
   * 110 % of it, so app instances started together do not clean in step.
   */
  jitter: number;
  /** Told of each failed run; the next run still happens. */
  onError: (error: unknown) => void;
}

/**
 * What a store's background cleanup is doing, as {@link PGStore.cleanup} tells it. It only
 * tells: `stopCleanup()` and `close()` on the store stop the cleanup.
 *
 * @example
 * ```ts
 * const { lastRun } = store.cleanup;
 * if (lastRun?.error) console.warn(`session cleanup failing since ${lastRun.finishedAt.toISOString()}`);
 * ```
 */
export interface CleanupStatus {
  /** The most recent finished run, if any. */
  readonly lastRun: CleanupRun | undefined;
  /** True while a run is in flight. */
  readonly running: boolean;
  /** True once the cleanup has been stopped; it never runs again. */
  readonly stopped: boolean;
}

/** Longest wait `setTimeout` honours; longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const FAILED = 'drizzle-pgstore: cleanup of expired sessions failed (will retry)';

/** One line on stderr, the default way a failed cleanup is reported. */
export function reportCleanupError(error: unknown): void {
  console.error(`${FAILED}: ${oneLine(error)}`);
}

/** The line when `onError` itself threw: both failures, so neither hides the other. */
function reportFailedReport(error: unknown, reportError: unknown): void {
  console.error(`${FAILED}: ${oneLine(error)}; then onError threw: ${oneLine(reportError)}`);
}

/**
 * Runs a cleanup every `interval` milliseconds until stopped, the Node counterpart of
 * pgstore's cleanup goroutine. The next wait starts when a run ends, so runs never
 * overlap; the timer is unref'd, so it never keeps a process alive; a failed run goes to
 * `onError` and never becomes an unhandled rejection. A {@link PGStore} owns one.
 */
export class CleanupScheduler {
  /** What the scheduler is doing, for whoever may look but not stop it. */
  readonly status: CleanupStatus;
  readonly #run: (signal: AbortSignal) => Promise<number>;
  readonly #options: CleanupSchedulerOptions;
  readonly #stopping = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #lastRun: CleanupRun | undefined;

  constructor(run: (signal: AbortSignal) => Promise<number>, options: CleanupSchedulerOptions) {
    this.#run = run;
    this.#options = options;
    const scheduler = this;
    this.status = Object.freeze({
      get lastRun() {
        return scheduler.#lastRun;
      },
      get running() {
        return scheduler.#inFlight !== undefined;
      },
      get stopped() {
        return scheduler.#stopped;
      },
    });
  }

  /** Arms the first run; does nothing when the interval is 0, when stopped, or when already armed. */
  start(): void {
    if (this.#options.interval > 0 && !this.#stopped && !this.#timer && !this.#inFlight) this.#arm();
  }

  /**
   * Stops the schedule for good. A run in flight is asked to stop after its current batch
   * and awaited. Safe to call at any time and more than once.
   */
  async stop(): Promise<void> {
    this.#stopping.abort();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }

  get #stopped(): boolean {
    return this.#stopping.signal.aborted;
  }

  #arm(): void {
    const { interval, jitter } = this.#options;
    const delay = Math.min(MAX_TIMER_MS, Math.round(interval * (1 + jitter * (2 * Math.random() - 1))));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#inFlight = this.#runOnce().finally(() => {
        this.#inFlight = undefined;
        if (!this.#stopped) this.#arm();
      });
    }, delay);
    this.#timer.unref();
  }

  async #runOnce(): Promise<void> {
    const startedAt = new Date();
    try {
      const deleted = await this.#run(this.#stopping.signal);
      this.#lastRun = { startedAt, finishedAt: new Date(), deleted };
    } catch (error) {
      this.#lastRun = { startedAt, finishedAt: new Date(), deleted: 0, error };
      try {
        this.#options.onError(error);
      } catch (reportError) {
        // A throwing onError must not turn into an unhandled rejection either.
        reportFailedReport(error, reportError);
      }
    }
  }
}
