import { afterEach, describe, expect, it, vi } from 'vitest';
import { CleanupScheduler, type CleanupSchedulerOptions } from '../src/store/cleanup.js';

/** A run that stays in flight until released, counting how many are in flight at once. */
function controllableRun() {
  const state = { started: 0, inFlight: 0, maxInFlight: 0, signals: [] as AbortSignal[], release: () => {} };
  const run = (signal: AbortSignal) =>
    new Promise<number>((resolve) => {
      state.started++;
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      state.signals.push(signal);
      state.release = () => {
        state.inFlight--;
        resolve(7);
      };
    });
  return { state, run };
}

const options = (overrides: Partial<CleanupSchedulerOptions> = {}): CleanupSchedulerOptions => ({
  interval: 100,
  jitter: 0,
  onError: () => {},
  ...overrides,
});

describe('CleanupScheduler', () => {
  const schedulers: CleanupScheduler[] = [];
  const make = (run: (signal: AbortSignal) => Promise<number>, o?: Partial<CleanupSchedulerOptions>) => {
    const scheduler = new CleanupScheduler(run, options(o));
    schedulers.push(scheduler);
    return scheduler;
  };
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(schedulers.splice(0).map((s) => s.stop()));
  });

  it('never starts a run while the previous one is in flight', async () => {
    vi.useFakeTimers();
    const { state, run } = controllableRun();
    make(run).start();
    await vi.advanceTimersByTimeAsync(100);
    expect(state.started).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(state.started).toBe(1);
    state.release();
    await vi.advanceTimersByTimeAsync(100);
    expect(state.started).toBe(2);
    expect(state.maxInFlight).toBe(1);
    state.release();
  });

  it('tells through its status whether a run is in flight, and what the last one did', async () => {
    vi.useFakeTimers();
    const { state, run } = controllableRun();
    const { status } = make(run);
    schedulers.at(-1)!.start();
    expect([status.running, status.lastRun]).toEqual([false, undefined]);
    await vi.advanceTimersByTimeAsync(100);
    expect(status.running).toBe(true);
    state.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(status.running).toBe(false);
    expect(status.lastRun?.deleted).toBe(7);
  });

  it('does nothing with an interval of 0', async () => {
    vi.useFakeTimers();
    const { state, run } = controllableRun();
    make(run, { interval: 0 }).start();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(state.started).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits for a run in flight when stopped, and asks it to stop', async () => {
    vi.useFakeTimers();
    const { state, run } = controllableRun();
    const scheduler = make(run);
    scheduler.start();
    await vi.advanceTimersByTimeAsync(100);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(state.signals[0]?.aborted).toBe(true);
    expect(stopped).toBe(false);
    state.release();
    await stopping;
    expect(scheduler.status.lastRun?.deleted).toBe(7);
    await vi.advanceTimersByTimeAsync(1000);
    expect(state.started).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports a failed run to onError and runs again', async () => {
    vi.useFakeTimers();
    const failure = new Error('database is down');
    const errors: unknown[] = [];
    let calls = 0;
    const scheduler = make(
      async () => {
        calls++;
        if (calls === 1) throw failure;
        return 3;
      },
      { onError: (error) => errors.push(error) },
    );
    scheduler.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toEqual([failure]);
    expect(scheduler.status.lastRun?.error).toBe(failure);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(2);
    expect(scheduler.status.lastRun).toMatchObject({ deleted: 3 });
    expect(scheduler.status.lastRun?.error).toBeUndefined();
  });

  it('reports on stderr, naming drizzle-pgstore, when onError itself throws', async () => {
    vi.useFakeTimers();
    const lines: unknown[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line) => void lines.push(line));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const scheduler = make(() => Promise.reject(new Error('boom')), {
        onError: () => {
          throw new Error('reporter broke');
        },
      });
      scheduler.start();
      await vi.advanceTimersByTimeAsync(250);
      // Both failures: the throw must not hide the cleanup failure it was reporting.
      expect(lines[0]).toBe('drizzle-pgstore: cleanup of expired sessions failed (will retry): boom; then onError threw: reporter broke');
      expect(lines).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(0);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      spy.mockRestore();
    }
  });

  it('spreads waits by the jitter fraction', async () => {
    vi.useFakeTimers();
    const delays: number[] = [];
    const spy = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 200; i++) make(async () => 0, { interval: 1000, jitter: 0.25 }).start();
    for (const call of spy.mock.calls) delays.push(call[1] as number);
    spy.mockRestore();
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(750);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1250);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });

  it('can be stopped before it starts, more than once, and then never starts', async () => {
    vi.useFakeTimers();
    const { state, run } = controllableRun();
    const scheduler = make(run);
    await scheduler.stop();
    await scheduler.stop();
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(state.started).toBe(0);
    expect(scheduler.status.stopped).toBe(true);
  });
});
