import type { Measurement } from './measure.js';

export interface Row extends Measurement {
  workload: string;
  callers: number;
  subject: string;
  vsRaw: number | null;
  vsConnectPgSimple: number | null;
}

/** Adds each subject's ratio to raw pg and to connect-pg-simple on the same workload. */
export function withRatios(results: Array<Measurement & { workload: string; callers: number; subject: string }>): Row[] {
  const rate = (like: { workload: string; callers: number }, subject: string) =>
    results.find((r) => r.workload === like.workload && r.callers === like.callers && r.subject === subject)?.opsPerSecond;
  return results.map((r) => {
    const raw = rate(r, 'raw pg');
    const cps = rate(r, 'connect-pg-simple');
    return { ...r, vsRaw: raw ? r.opsPerSecond / raw : null, vsConnectPgSimple: cps ? r.opsPerSecond / cps : null };
  });
}

const ratio = (value: number | null) => (value === null ? '-' : `${value.toFixed(2)}×`);

/** A Markdown table, readable in a terminal and pasteable into the README. */
export function markdownTable(rows: Row[]): string {
  const lines = [
    '| workload | callers | subject | ops/s | p50 ms | p99 ms | × raw pg | × connect-pg-simple |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.workload} | ${r.callers} | ${r.subject} | ${Math.round(r.opsPerSecond)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${ratio(r.vsRaw)} | ${ratio(r.vsConnectPgSimple)} |`,
    );
  }
  return lines.join('\n');
}
