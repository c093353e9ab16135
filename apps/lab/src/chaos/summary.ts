/** The human summary of a chaos report: heal times per kind, the counts, the verdict. */
import { alignColumns } from '../text-table';
import type { ChaosReport } from './runner';
import { ZOOKEEPER_VIOLATIONS } from './verdict';

export function formatSummary(report: ChaosReport): string {
  const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);
  const rows = Object.entries(report.healTimes).map(([kind, h]) => [
    kind,
    String(h.count),
    ms(h.medianMs),
    ms(h.maxMs),
  ]);
  const c = report.verdict.counts;
  const lines = [
    `chaos seed ${report.seed}: ${report.actions.length} actions in ${Math.round(report.elapsedMs / 1000)} s`,
    '',
    alignColumns([['action', 'times', 'heal median', 'heal max'], ...rows]),
    '',
    `jobs: ${c.created} created (+${c.indeterminate} unconfirmed, ${c.indeterminateCreated} of them created), ` +
      `${c.results} results, ${c.dead} dead`,
    `executions: ${c.executions} (${c.reExecutions} re-runs; ${c.failures} failures and ${c.handBacks} hand-backs recorded)`,
    `ZooKeeper itself (the canary): ${
      c.canary === null
        ? 'not checked'
        : `${c.canary.acked} creates acknowledged, ${c.canary.lost} of them lost; ` +
          `${c.canary.indeterminate} of unknown outcome`
    }`,
    `apps that exited on their own: ${report.restarts.length === 0 ? 'none' : report.restarts.map((r) => r.app).join(', ')}`,
    `drained in: ${report.drainMs === null ? 'NOT DRAINED' : `${report.drainMs} ms`}`,
    `not healed: ${
      report.notHealed === 0
        ? 'none'
        : report.actions
            .filter((a) => a.notHealed !== null)
            .map((a) => `#${a.index} ${a.kind}: ${a.notHealed}`)
            .join('; ')
    }`,
    `violations: ${report.verdict.violations.length === 0 ? 'none' : report.verdict.violations.length}`,
  ];
  for (const v of report.verdict.violations.slice(0, 20)) {
    lines.push(`  ${v.kind}${v.jobId === undefined ? '' : ` ${v.jobId}`}: ${v.detail}`);
  }
  if (report.verdict.violations.length > 20) {
    lines.push(`  … and ${report.verdict.violations.length - 20} more (see the JSON report)`);
  }
  lines.push(report.ok ? 'verdict: PASS' : `verdict: FAIL${zookeeperOnly(report)}`);
  return lines.join('\n');
}

/** When every violation is ZooKeeper's own, the FAIL says so (the apps held on its leader). */
function zookeeperOnly(report: ChaosReport): string {
  const { violations } = report.verdict;
  const only =
    violations.length > 0 &&
    violations.every((v) => ZOOKEEPER_VIOLATIONS.has(v.kind)) &&
    report.notHealed === 0 &&
    report.drainMs !== null;
  return only
    ? " (ZooKeeper's fault: its servers diverged or it lost a write; the apps' guarantees held on the leader's records)"
    : '';
}
