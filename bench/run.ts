/**
 * npm run bench [-- --json FILE] [--scale] [--seconds S] [--rounds R] [--sweep 1,4,128] [--only 'find hit,save,big session']
 *
 * One run, one database, one pool and the same concurrency for every subject: raw pg
 * with prepared statements (the floor), connect-pg-simple, PGStore, PGStore with
 * encryptionKeys and ExpressSessionStore. Subjects take turns in a rotating order, round by round, so drift
 * in a noisy machine does not favour one. Only ratios within one run mean anything.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Latencies, median, runLoad, type Measurement } from './measure.js';
import { markdownTable, withRatios } from './report.js';
import { runBigSession, type BigSessionResult } from './big-session.js';
import { runScale } from './scale.js';
import { createBenchSchema, seed } from './setup.js';
import { connectPgSimpleSubject, newPool, pgStore, rawPg, type BenchConfig, type Subject } from './subjects.js';
import { expressSessionStore } from './express-subject.js';

const { values } = parseArgs({
  options: {
    json: { type: 'string' },
    scale: { type: 'boolean' },
    'scale-rows': { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '36' },
    concurrency: { type: 'string', default: '32' },
    pool: { type: 'string', default: '10' },
    sessions: { type: 'string', default: '10000' },
    // Extra caller counts for find hit, save and the request mix; '' for none.
    sweep: { type: 'string', default: '1,4,128' },
    // Only these workloads, by name (comma-separated; 'big session' for the run below); default all.
    only: { type: 'string' },
    // Concurrent commits on one big session through the manager: its size, callers and runs.
    'big-bytes': { type: 'string', default: String(1024 * 1024) },
    'big-callers': { type: 'string', default: '50' },
    'big-runs': { type: 'string', default: '3' },
  },
});

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// A schema of this run's own, so that two runs on one server never drop each other's tables.
const schema = `pgstore_bench_${process.pid}`;
const config: BenchConfig = { databaseUrl, schema, poolSize: Number(values.pool) };
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const msPerRound = (Number(values.seconds) * 1000) / rounds;
const sessionCount = Number(values.sessions);
// Rows for 100k deletes/s over the longest turn (the first round's warm-up is 300 ms), so no
// turn runs out of rows to delete and starts timing deletes of missing ones.
const deletesPerRun = Math.max(20_000, Math.ceil(Math.max(msPerRound, 300) * 100));
const log = (line: string) => console.error(line);

interface Workload {
  name: string;
  /** Concurrent callers; default `--concurrency`. */
  callers?: number;
  /** The subjects that run it, by name; default all. */
  subjects?: readonly string[];
  /** Runs before each subject's turn, e.g. to put back rows a delete run removed. */
  prepare?(subject: Subject): Promise<void>;
  op(subject: Subject, caller: number, i: number): Promise<unknown>;
}

// Spreads each caller's picks over the whole set, differently per caller.
const pick = (caller: number, i: number) => `tok${((caller * 7919 + i * 104_729) % sessionCount) + 1}`;

const admin = new pg.Pool({ connectionString: databaseUrl, max: 2, options: `-c search_path=${schema}` });
let deleted = 0;
const workloads: Workload[] = [
  { name: 'find hit', op: (s, c, i) => s.find(pick(c, i)) },
  { name: 'find miss', op: (s, c, i) => s.find(`missing${c}_${i}`) },
  { name: 'save', op: (s, c, i) => s.save(pick(c, i)) },
  {
    name: 'delete',
    prepare: async (s) => {
      deleted = 0;
      await seed(admin, s.table, { prefix: 'del', count: deletesPerRun, seconds: 86_400, hashed: s.hashesTokens ?? false });
    },
    op: (s) => s.delete(`del${(deleted++ % deletesPerRun) + 1}`),
  },
  {
    name: 'request mix',
    // Each turn starts from sessions saved just before, as on a site where every session was
    // seen within the last touchAfter: otherwise how many touches write would depend on how
    // long ago the bench seeded, not on the subject.
    prepare: (s) => seed(admin, s.table, { prefix: 'tok', count: sessionCount, seconds: 86_400, hashed: s.hashesTokens ?? false }),
    op: (s, c, i) => s.request(pick(c, i), i),
  },
];

// The concurrency sweep: how each subject scales from one caller to many, raw pg beside it.
const SWEEP_SUBJECTS = ['raw pg', 'PGStore', 'PGStore encrypted', 'ExpressSessionStore'];
for (const callers of (values.sweep ?? '').split(',').filter(Boolean).map(Number)) {
  if (callers === concurrency) continue; // the workloads above are that point
  for (const name of ['find hit', 'save', 'request mix']) {
    const { op, prepare } = workloads.find((w) => w.name === name)!;
    workloads.push({ name, callers, subjects: SWEEP_SUBJECTS, op, ...(prepare && { prepare }) });
  }
}

async function main() {
  log(`bench: schema ${schema} on ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}`);
  await createBenchSchema(databaseUrl, schema);
  // One pool for every subject: each turn runs on the same connections (at one caller, the
  // same one), so no subject gains or loses by the server process it happens to talk to.
  const pool = newPool(config);
  const allSubjects = [rawPg(pool), connectPgSimpleSubject(pool, schema), pgStore(pool), pgStore(pool, { encrypted: true }), expressSessionStore(pool)];
  for (const table of ['sessions', 'session', 'sessions_encrypted'] as const) {
    await seed(admin, table, { prefix: 'tok', count: sessionCount, seconds: 86_400 });
  }
  // The same sessions under hashed keys, for the subjects whose store hashes tokens.
  await seed(admin, 'sessions', { prefix: 'tok', count: sessionCount, seconds: 86_400, hashed: true });
  await admin.query('VACUUM ANALYZE sessions');
  await admin.query('VACUUM ANALYZE session');
  await admin.query('VACUUM ANALYZE sessions_encrypted');

  const results: Array<Measurement & { workload: string; callers: number; subject: string }> = [];
  const only = values.only?.split(',');
  for (const workload of workloads.filter((w) => only?.includes(w.name) ?? true)) {
    const callers = workload.callers ?? concurrency;
    const subjects = allSubjects.filter((s) => workload.subjects?.includes(s.name) ?? true);
    const totals = new Map(subjects.map((s) => [s, { ops: 0, seconds: 0, rates: [] as number[], latencies: new Latencies() }]));
    for (let round = 0; round < rounds; round++) {
      // Each rotation twice, forward then backward: every subject runs first, last and after
      // each of its neighbours about equally often.
      const order = subjects.map((_, k) => subjects[(k + (round >> 1)) % subjects.length]!);
      if (round % 2 === 1) order.reverse();
      for (const subject of order) {
        await workload.prepare?.(subject);
        if (round === 0) {
          await runLoad((c, i) => workload.op(subject, c, i), { concurrency: callers, ms: 300, latencies: new Latencies() });
          await workload.prepare?.(subject);
        }
        const total = totals.get(subject)!;
        const { ops, seconds } = await runLoad((c, i) => workload.op(subject, c, i), {
          concurrency: callers,
          ms: msPerRound,
          latencies: total.latencies,
        });
        total.ops += ops;
        total.seconds += seconds;
        total.rates.push(ops / seconds);
      }
    }
    for (const subject of subjects) {
      const { ops, seconds, rates, latencies } = totals.get(subject)!;
      results.push({
        workload: workload.name,
        callers,
        subject: subject.name,
        ops,
        seconds,
        opsPerSecond: median(rates),
        roundRates: rates,
        p50Ms: latencies.quantile(0.5),
        p99Ms: latencies.quantile(0.99),
      });
    }
    log(`bench: ${workload.name} × ${callers} done`);
  }
  await Promise.all(allSubjects.map((s) => s.close()));

  let bigSession: BigSessionResult[] | undefined;
  if (only?.includes('big session') ?? true) {
    const callers = Number(values['big-callers']);
    const runs = Number(values['big-runs']);
    const bytes = Number(values['big-bytes']);
    bigSession = [
      await runBigSession(pool, { bytes, callers, runs }),
      await runBigSession(pool, { bytes, callers, runs, encrypted: true }),
      await runBigSession(pool, { bytes: 100, callers, runs }),
      // One commit alone: what a compare costs when nobody races.
      await runBigSession(pool, { bytes, callers: 1, runs: runs * 5 }),
      await runBigSession(pool, { bytes, callers: 1, runs: runs * 5, encrypted: true }),
    ];
    log('bench: big session done');
  }
  await pool.end();

  const pgVersion = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v;
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: pgVersion,
  };
  const rows = withRatios(results);
  const settings = {
    poolSize: config.poolSize,
    concurrency,
    sweep: values.sweep,
    sessions: sessionCount,
    seconds: Number(values.seconds),
    rounds,
  };
  console.log(
    `\n${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres}; ` +
      `pool ${settings.poolSize}, ${concurrency} concurrent callers (sweep: ${values.sweep || 'none'}), ${sessionCount} sessions, ` +
      `${settings.seconds} s per subject and workload in ${rounds} rounds\n`,
  );
  if (rows.length > 0) console.log(markdownTable(rows));
  if (bigSession) {
    const line = (r: BigSessionResult) =>
      `| ${r.callers === 1 ? 'one commit' : `${r.callers} concurrent commits, each setting its own key,`} on a ${r.bytes.toLocaleString('en')}-byte session${r.encrypted ? ', encrypted' : ''} | ` +
      `${r.callers === 1 ? `${(r.seconds * 1000).toFixed(1)} ms` : `${r.seconds.toFixed(2)} s`} (median of ${r.runSeconds.length} runs; keys kept: ${Math.min(...r.kept)} of ${r.callers} at worst) |`;
    console.log(`\n| SessionManager commits | time |\n| --- | --- |\n${bigSession.map(line).join('\n')}`);
  }

  const scale = values.scale
    ? await runScale({ ...config, concurrency, ms: 3000, rows: Number(values['scale-rows']), log })
    : undefined;
  if (scale) {
    const f = (n: number) => n.toFixed(2);
    console.log(`
| scale run | figure |
| --- | --- |
| find p50 / p99 at 10k rows | ${f(scale.findAt10k.p50Ms)} / ${f(scale.findAt10k.p99Ms)} ms |
| find p50 / p99 at ${values['scale-rows']} rows | ${f(scale.findAt1M.p50Ms)} / ${f(scale.findAt1M.p99Ms)} ms (p50 ${f(scale.findAt1M.p50Ms / scale.findAt10k.p50Ms)}× of 10k) |
| cleanup of ${scale.cleanup.rows} expired beside 100k live | ${f(scale.cleanup.seconds)} s, ${Math.round(scale.cleanup.rowsPerSecond)} rows/s |
| find p99 idle / during that cleanup | ${f(scale.cleanup.findP99IdleMs)} / ${f(scale.cleanup.findP99DuringMs)} ms (${f(scale.cleanup.findP99DuringMs / scale.cleanup.findP99IdleMs)}×) |
| peak memory growth during cleanup | ${f(scale.cleanup.peakMemoryGrowthMB)} MB |
| one cleaner / four cleaners at once | ${f(scale.cleaners.oneSeconds)} / ${f(scale.cleaners.fourSeconds)} s, four removed ${scale.cleaners.fourRemoved}, errors: ${scale.cleaners.errors.length} |`);
  }
  if (values.json) {
    await writeFile(values.json, `${JSON.stringify({ machine, settings, results: rows, scale, bigSession }, null, 2)}\n`);
    log(`bench: wrote ${values.json}`);
  }
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}

await main();
