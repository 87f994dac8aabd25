import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { PGStore } from '../src/index.js';
import { Latencies, runLoad } from './measure.js';
import { seed } from './setup.js';

export interface ScaleResult {
  findAt10k: { p50Ms: number; p99Ms: number };
  findAt1M: { p50Ms: number; p99Ms: number };
  cleanup: {
    rows: number;
    seconds: number;
    rowsPerSecond: number;
    findP99IdleMs: number;
    findP99DuringMs: number;
    peakMemoryGrowthMB: number;
  };
  cleaners: { oneSeconds: number; fourSeconds: number; fourRemoved: number; errors: string[] };
}

interface ScaleConfig {
  databaseUrl: string;
  schema: string;
  poolSize: number;
  concurrency: number;
  ms: number;
  rows: number;
  log: (line: string) => void;
}

const quantiles = (l: Latencies) => ({ p50Ms: l.quantile(0.5), p99Ms: l.quantile(0.99) });

/** Find latency as the table grows, and what a big cleanup costs the requests beside it. */
export async function runScale(config: ScaleConfig): Promise<ScaleResult> {
  const { rows, log } = config;
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.poolSize, options: `-c search_path=${config.schema}` });
  pool.on('error', () => {});
  const store = new PGStore(drizzle(pool), { cleanupInterval: 0, hashTokens: false });
  const admin = new pg.Pool({ connectionString: config.databaseUrl, max: 2, options: `-c search_path=${config.schema}` });
  const findLoad = async (concurrency: number, ms: number, tokenCount: number) => {
    const latencies = new Latencies();
    await runLoad((caller, i) => store.find(`tok${((caller * 7919 + i * 104_729) % tokenCount) + 1}`), {
      concurrency,
      ms,
      latencies,
    });
    return latencies;
  };
  const fresh = async () => {
    await admin.query('TRUNCATE sessions');
  };
  // Measure at rest: no autovacuum or checkpoint of the seeding left to run under the load.
  const settle = async () => {
    await admin.query('VACUUM ANALYZE sessions');
    await admin.query('CHECKPOINT');
  };

  try {
    log('scale: find p50/p99 at 10k rows');
    await fresh();
    await seed(admin, 'sessions', { prefix: 'tok', count: 10_000, seconds: 86_400 });
    await settle();
    await findLoad(config.concurrency, 300, 10_000);
    const findAt10k = quantiles(await findLoad(config.concurrency, config.ms, 10_000));

    log(`scale: find p50/p99 at ${rows} rows`);
    await seed(admin, 'sessions', { prefix: 'fill', count: rows - 10_000, seconds: 86_400 });
    await settle();
    await findLoad(config.concurrency, 300, 10_000);
    const findAt1M = quantiles(await findLoad(config.concurrency, config.ms, 10_000));

    log(`scale: cleanup of ${rows} expired rows beside 100k live ones`);
    await fresh();
    await seed(admin, 'sessions', { prefix: 'tok', count: 100_000, seconds: 86_400 });
    await seed(admin, 'sessions', { prefix: 'dead', count: rows, seconds: -60 });
    await settle();
    const sideConcurrency = Math.max(1, Math.floor(config.concurrency / 4));
    const idle = await findLoad(sideConcurrency, config.ms, 100_000);
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const during = new Latencies();
    let cleaning = true;
    const started = performance.now();
    const cleanup = store.deleteExpired().finally(() => (cleaning = false));
    const side = (async () => {
      while (cleaning) {
        await runLoad((caller, i) => store.find(`tok${((caller * 7919 + i * 104_729) % 100_000) + 1}`), {
          concurrency: sideConcurrency,
          ms: 200,
          latencies: during,
        });
      }
    })();
    const removed = await cleanup;
    const seconds = (performance.now() - started) / 1000;
    await side;
    clearInterval(sampler);

    log(`scale: one cleaner against four on ${rows} expired rows`);
    await seed(admin, 'sessions', { prefix: 'dead', count: rows, seconds: -60 });
    await settle();
    let t = performance.now();
    await store.deleteExpired();
    const oneSeconds = (performance.now() - t) / 1000;
    await seed(admin, 'sessions', { prefix: 'dead', count: rows, seconds: -60 });
    await settle();
    const cleaners = Array.from({ length: 4 }, () => new PGStore(drizzle(pool), { cleanupInterval: 0, hashTokens: false }));
    const errors: string[] = [];
    t = performance.now();
    const counts = await Promise.all(
      cleaners.map((cleaner) =>
        cleaner.deleteExpired().catch((error: unknown) => {
          errors.push(String(error));
          return 0;
        }),
      ),
    );
    const fourSeconds = (performance.now() - t) / 1000;
    await Promise.all(cleaners.map((c) => c.close()));

    return {
      findAt10k,
      findAt1M,
      cleanup: {
        rows: removed,
        seconds,
        rowsPerSecond: removed / seconds,
        findP99IdleMs: idle.quantile(0.99),
        findP99DuringMs: during.quantile(0.99),
        peakMemoryGrowthMB: (peak - baseline) / 1024 / 1024,
      },
      cleaners: { oneSeconds, fourSeconds, fourRemoved: counts.reduce((a, b) => a + b, 0), errors },
    };
  } finally {
    await store.close();
    await pool.end();
    await admin.end();
  }
}
