/**
 * `lab chaos` as the user runs it: the built CLI brings up a lab of its own (3 servers behind
 * the fault proxy, 2 masters, 3 workers, a producer), throws every kind of fault once in a
 * seeded order, drains, runs a fresh batch and judges from outside. The verdict must hold.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ACTIONS } from './actions';
import type { ChaosReport } from './runner';

const MAIN = resolve(__dirname, '..', '..', 'dist', 'main.js');

describe('lab chaos', () => {
  it('every kind of fault, once each: the system heals from each and the verdict holds', async () => {
    expect(existsSync(MAIN)).toBe(true);
    const state = mkdtempSync(join(tmpdir(), 'zk-lab-chaos-test-'));
    const reportFile = join(state, 'report.json');
    const child = spawn(
      process.execPath,
      [
        MAIN,
        'chaos',
        '--seed',
        '7',
        '--rounds',
        '1',
        '--session-timeout',
        '2000',
        '--json',
        reportFile,
        '--state',
        state,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const code = await new Promise<number | null>((done) => child.once('exit', done));
      if (code !== 0) throw new Error(`lab chaos exited ${code}\n${stdout}\n${stderr}`);
    } finally {
      if (child.exitCode === null) child.kill('SIGINT');
    }
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ChaosReport;
    expect(report.verdict.violations).toEqual([]);
    expect(report.actions.filter((a) => a.notHealed !== null)).toEqual([]);
    expect(new Set(report.actions.map((a) => a.kind))).toEqual(new Set(ACTIONS.map((a) => a.kind)));
    expect(report.verdict.counts.created).toBeGreaterThan(100);
    expect(report.verdict.counts.executions).toBeGreaterThanOrEqual(report.verdict.counts.results);
    // Masters and workers heal; they never exit on their own under a fault.
    expect(report.restarts.filter((r) => r.app !== 'producer')).toEqual([]);
    expect(stdout).toContain('verdict: PASS');
    expect(stdout).toMatch(/violations: none/);
  }, 600_000);
});
