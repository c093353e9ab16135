/**
 * The run of a benchmark that starts a system (system, pipeline, scale): its temporary
 * folder (the apps' logs, the pid file the orphan reaper reads), the parts to stop
 * (`held`), and one cleanup for the end, for a failure and for Ctrl+C or SIGTERM. The logs
 * are kept when the run failed or when asked; otherwise the folder is removed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { benchFailed } from './bench-cli';
import type { HeldParts } from './system-setup';

/** Set on Ctrl+C or SIGTERM: the loops stop, nothing new starts. */
export class Aborted extends Error {
  override readonly name = 'Aborted';
}

export class BenchRun {
  readonly runDir: string;
  readonly logDir: string;
  readonly pidFile: string;
  readonly held: HeldParts = {};
  /** The logs are kept at the end when this is set. */
  failed = false;
  private aborted = false;
  private stopping: Promise<void> | null = null;

  constructor(
    name: string,
    private readonly say: (line: string) => void,
    private readonly keepLogs: boolean,
  ) {
    this.runDir = mkdtempSync(join(tmpdir(), `zk-lab-bench-${name}-`));
    this.logDir = join(this.runDir, 'logs');
    mkdirSync(this.logDir);
    this.pidFile = join(this.runDir, 'app-pids');
    writeFileSync(this.pidFile, '');
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** The folders as startBenchSystem wants them. */
  dirs(benchDir: string): { runDir: string; logDir: string; pidFile: string; benchDir: string } {
    return { runDir: this.runDir, logDir: this.logDir, pidFile: this.pidFile, benchDir };
  }

  readonly checkAborted = (): void => {
    if (this.aborted) throw new Aborted('interrupted');
  };

  get wasAborted(): boolean {
    return this.aborted;
  }

  /**
   * Prints the report (its markdown, or with `json` one JSON line) and, with `save`, writes
   * both to `<out>/<name>-<date>.md` and `.json`.
   */
  publish(
    name: string,
    report: { date: string },
    markdown: string,
    options: { json: boolean; save: boolean; out: string },
  ): void {
    process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `\n${markdown}`);
    if (!options.save) return;
    mkdirSync(options.out, { recursive: true });
    const base = join(options.out, `${name}-${report.date.slice(0, 10)}`);
    writeFileSync(`${base}.md`, markdown);
    writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    this.say(`written: ${relative(process.cwd(), base)}.md and .json`);
  }

  /** The exit code of a run that ended with `errors` (1 when there are any). */
  ended(errors: readonly string[]): number {
    this.failed = errors.length > 0;
    return this.failed ? 1 : 0;
  }

  /** The exit code of a run that threw: 130 after Ctrl+C, else 1 with the error printed. */
  threw(error: unknown): number {
    this.failed = true;
    return this.aborted ? 130 : benchFailed(error);
  }

  /** Stops every part held, once; the signal handlers go with the first call. */
  cleanup(): Promise<void> {
    this.stopping ??= (async () => {
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
      const held = this.held;
      await held.fleet?.stopAll();
      await held.admin?.close().catch(() => undefined);
      if (held.ensemble) {
        this.say('stopping the ensemble');
        await held.ensemble.stop();
      }
      rmSync(this.pidFile, { force: true });
      if (this.failed || this.keepLogs) this.say(`the apps' logs are in ${this.logDir}`);
      else rmSync(this.runDir, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.aborted = true;
    this.failed = true;
    this.say(`${signal}: stopping everything this bench started`);
    void this.cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
}
