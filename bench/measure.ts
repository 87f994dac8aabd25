/** The latency and throughput of one subject on one workload. */
export interface Measurement {
  ops: number;
  seconds: number;
  /** The median of the rounds' rates. */
  opsPerSecond: number;
  /** Each round's rate, in round order. */
  roundRates: number[];
  p50Ms: number;
  p99Ms: number;
}

/** The middle value (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Latencies in milliseconds, kept in a growable typed array so recording allocates rarely. */
export class Latencies {
  #values = new Float64Array(1 << 16);
  #length = 0;

  add(ms: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = ms;
  }

  /** The q-th quantile (0..1), nearest rank. */
  quantile(q: number): number {
    if (this.#length === 0) return Number.NaN;
    const sorted = this.#values.slice(0, this.#length).sort();
    return sorted[Math.min(this.#length - 1, Math.ceil(q * this.#length) - 1)]!;
  }
}

/**
 * Runs `op` from `concurrency` callers at once for `ms` milliseconds. Each caller passes
 * its own running counter, so workloads can pick tokens and mixes deterministically.
 */
export async function runLoad(
  op: (caller: number, i: number) => Promise<unknown>,
  { concurrency, ms, latencies }: { concurrency: number; ms: number; latencies: Latencies },
): Promise<{ ops: number; seconds: number }> {
  const started = performance.now();
  const deadline = started + ms;
  let ops = 0;
  const caller = async (id: number) => {
    for (let i = 0; ; i++) {
      const before = performance.now();
      if (before >= deadline) return;
      await op(id, i);
      latencies.add(performance.now() - before);
      ops++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, id) => caller(id)));
  return { ops, seconds: (performance.now() - started) / 1000 };
}
