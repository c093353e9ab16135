/**
 * What the benchmarks' commands share: strict option parsing with one-line usage errors,
 * integer options with their bounds, the machine's facts for a report, and a driver process
 * that takes its input as JSON in argv[2] and prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { osName } from './main';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** parseArgs, strict and without positionals; a bad option is a UsageError. */
export function parseBenchArgs<O extends OptionsConfig>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The report options of a bench that runs a system: --json, --out, --no-save, --keep-logs, -h. */
export function reportOptions(benchDir: string) {
  return {
    json: { type: 'boolean', default: false },
    out: { type: 'string', default: join(benchDir, 'results') },
    'no-save': { type: 'boolean', default: false },
    'keep-logs': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
}

/** What reportOptions() parsed to. */
export function reportSettings(values: {
  json: boolean;
  out: string;
  'no-save': boolean;
  'keep-logs': boolean;
}): { json: boolean; out: string; save: boolean; keepLogs: boolean } {
  return {
    json: values.json,
    out: values.out,
    save: !values['no-save'],
    keepLogs: values['keep-logs'],
  };
}

export function intOption(name: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${text}"`);
  }
  return n;
}

export interface Machine {
  cores: number;
  cpu: string;
  memory: string;
  os: string;
  node: string;
}

export function machineFacts(): Machine {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    os: osName(),
    node: process.version,
  };
}

/**
 * Runs `node script JSON(input)` and resolves with the JSON line it prints; rejects when it
 * exits otherwise than 0. Its pid is in `running` while it runs, for a clean-up to stop it.
 */
export function runJsonDriver<T>(
  script: string,
  input: unknown,
  running: Set<number> = new Set(),
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(input)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) running.add(child.pid);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (child.pid !== undefined) running.delete(child.pid);
      if (code !== 0) {
        reject(new Error(`${script} exited ${code}: ${err.trim()}`));
        return;
      }
      try {
        resolve(JSON.parse(out) as T);
      } catch {
        reject(new Error(`${script} printed no result: ${out.trim()} ${err.trim()}`));
      }
    });
  });
}

/**
 * A command's options from its parser: the options, or the exit code once the help was
 * printed (0) or a usage error with the help (2).
 */
export function readOptions<O extends object>(parse: () => O | 'help', help: string): O | number {
  try {
    const parsed = parse();
    if (parsed !== 'help') return parsed;
    process.stdout.write(`${help}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${help}\n`);
    return 2;
  }
}

/** Prints why a benchmark failed, with the stack; the exit code is 1. */
export function benchFailed(error: unknown): 1 {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
}

/**
 * Runs `cleanup` on Ctrl+C or SIGTERM, then exits 130 or 143; returns what takes the
 * handlers off again (for the end of a run that cleaned up by itself).
 */
export function stopOnSignals(
  cleanup: () => Promise<void>,
  say: (line: string) => void,
): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    say(`${signal}: stopping everything this bench started`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** Writes a report to `<out>/<name>-<day of date>.md` and `.json`. */
export function saveReport(
  out: string,
  name: string,
  report: { date: string },
  markdown: string,
  say: (line: string) => void,
): void {
  mkdirSync(out, { recursive: true });
  const base = join(out, `${name}-${report.date.slice(0, 10)}`);
  writeFileSync(`${base}.md`, markdown);
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  say(`written: ${relative(process.cwd(), base)}.md and .json`);
}
