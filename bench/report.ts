import { median, type Measurement } from './measure.js';

export interface Row extends Measurement {
  workload: string;
  callers: number;
  subject: string;
  vsRaw: number | null;
  vsConnectPgSimple: number | null;
}

/**
 * Adds each subject's ratio to raw pg and to connect-pg-simple on the same workload: the
 * median over rounds of the ratio within each round, so that a round the machine slowed
 * for everyone does not skew it.
 */
export function withRatios(results: Array<Measurement & { workload: string; callers: number; subject: string }>): Row[] {
  const rates = (like: { workload: string; callers: number }, subject: string) =>
    results.find((r) => r.workload === like.workload && r.callers === like.callers && r.subject === subject)?.roundRates;
  const ratio = (own: number[], other: number[] | undefined) =>
    other ? median(own.map((rate, round) => rate / other[round]!)) : null;
  return results.map((r) => ({
    ...r,
    vsRaw: ratio(r.roundRates, rates(r, 'raw pg')),
    vsConnectPgSimple: ratio(r.roundRates, rates(r, 'connect-pg-simple')),
  }));
}

const shown = (value: number | null) => (value === null ? '-' : `${value.toFixed(2)}×`);

/** A Markdown table, readable in a terminal and pasteable into the README. */
export function markdownTable(rows: Row[]): string {
  const lines = [
    '| workload | callers | subject | ops/s | p50 ms | p99 ms | × raw pg | × connect-pg-simple |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.workload} | ${r.callers} | ${r.subject} | ${Math.round(r.opsPerSecond)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${shown(r.vsRaw)} | ${shown(r.vsConnectPgSimple)} |`,
    );
  }
  return lines.join('\n');
}
