/**
 * `lab monitor`: reads any ensemble through the four-letter words and prints what it found,
 * once or every N seconds, as a table, JSON or Prometheus text, with an exit code that says
 * ok, warning or critical (the Nagios convention; 3 is unknown, which usage errors are too).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Output } from '../output';
import { readEnsemble, type EnsembleReading } from './ensemble-reading';
import { monitorDocument, type MonitorDocument } from './monitor-document';
import {
  MONITOR_USAGE,
  MonitorUsageError,
  parseMonitorArgs,
  type MonitorOptions,
} from './monitor-options';
import { formatMonitor } from './monitor-table';
import { prometheusText } from './prometheus-text';
import { ratesBetween } from './rates';
import { assess, EXIT_CODES } from './thresholds';

/** Runs `lab monitor ARGV`; returns the exit code. */
export async function runMonitor(
  argv: string[],
  io: Output,
  terminal: { isTTY: boolean } = { isTTY: process.stdout.isTTY === true },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let options: MonitorOptions | 'help';
  try {
    options = parseMonitorArgs(argv, env);
  } catch (err) {
    if (!(err instanceof MonitorUsageError)) throw err;
    io.err(`lab monitor: ${err.message} (see lab monitor --help)`);
    return EXIT_CODES.unknown;
  }
  if (options === 'help') {
    io.out(MONITOR_USAGE);
    return EXIT_CODES.ok;
  }
  try {
    return await watchEnsemble(options, io, terminal.isTTY);
  } catch (err) {
    // Whatever went wrong is not the ensemble's status: unknown, as a monitoring system reads it.
    io.err(`lab monitor: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return EXIT_CODES.unknown;
  }
}

async function watchEnsemble(options: MonitorOptions, io: Output, isTTY: boolean): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (options.watchSeconds !== null) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const redraw = isTTY && options.watchSeconds !== null && options.format === 'table';
  let previous: EnsembleReading | null = null;
  let code: number = EXIT_CODES.unknown;
  try {
    for (let readings = 1; ; readings += 1) {
      const reading = await readEnsemble(options.connectString, { timeoutMs: options.timeoutMs });
      if (stop.signal.aborted) break;
      const doc = monitorDocument(
        options.connectString,
        reading,
        ratesBetween(previous, reading),
        assess(reading, options.thresholds),
      );
      previous = reading;
      code = doc.exitCode;
      io.out(await render(doc, options, redraw, readings === 1));
      if (options.watchSeconds === null || readings === options.count) break;
      const wait = options.watchSeconds * 1000 - (Date.now() - reading.at);
      try {
        await sleep(Math.max(0, wait), undefined, { signal: stop.signal });
      } catch {
        break; // Ctrl+C
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return code;
}

async function render(
  doc: MonitorDocument,
  options: MonitorOptions,
  redraw: boolean,
  first: boolean,
): Promise<string> {
  if (options.format === 'json')
    return options.watchSeconds === null ? JSON.stringify(doc, null, 2) : JSON.stringify(doc);
  if (options.format === 'prometheus') return (await prometheusText(doc)).trimEnd();
  const table = formatMonitor(doc);
  if (!redraw) return options.watchSeconds === null || first ? table : `\n${table}`;
  // Home, each line over the old one (clearing its end), then clear what is below: no flicker.
  const CSI = '\x1b[';
  const lines = table.split('\n').map((line) => `${line}${CSI}K`);
  return `${first ? `${CSI}2J` : ''}${CSI}H${lines.join('\n')}\n${CSI}J`;
}
