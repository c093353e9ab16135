/** `lab monitor`'s command line: its flags, its help text, and where the servers are found. */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConnectionSettingsError, resolveConnection } from '@zk-lab/lab-core';
import { ALLOW_LINE, DEFAULT_THRESHOLDS, type Thresholds } from './thresholds';

export const MONITOR_USAGE = `lab monitor: the servers of a ZooKeeper ensemble, read from outside through the
four-letter words srvr and mntr (never srst or crst: no counter is ever reset)

Usage: lab monitor [--connect host:port,…] [--watch [SECONDS]] [--json | --prometheus]

  --connect H:P,…        the servers to read (default $ZK_CONNECT, else the lab's ensemble
                         in --state DIR, default $ZK_LAB_STATE or ./.lab)
  --state DIR            the lab's state folder, to read the ensemble \`lab zk up\` started
  --watch [SECONDS]      read again every SECONDS (default 2) until Ctrl+C; on a terminal the
                         table is redrawn in place, else one block per reading; rates
                         (requests/s in and out, writes/s) from the second reading on
  --count N              with --watch: stop after N readings
  --json                 one JSON document per reading (JSON lines with --watch)
  --prometheus           the Prometheus text format, one sample per server (label server)
  --timeout MS           how long each server has to answer each word (default 2000)
  --warn-latency MS      a server's average latency that warns (default ${DEFAULT_THRESHOLDS.warnLatencyMs})
  --crit-latency MS      … that is critical (default ${DEFAULT_THRESHOLDS.critLatencyMs})
  --warn-outstanding N   outstanding requests on a server that warn (default ${DEFAULT_THRESHOLDS.warnOutstanding})
  --crit-outstanding N   … that are critical (default ${DEFAULT_THRESHOLDS.critOutstanding})

Status and exit code (with --watch: the last reading's):
  0 ok
  1 warning   a server down or not answering, a server out of quorum, average latency
              or outstanding requests over the warning threshold, or a four-letter word
              refused (the line that allows the monitor's words: ${ALLOW_LINE})
  2 critical  no leader, a majority of the servers not serving (quorum lost), or latency
              or outstanding requests over the critical threshold
  3 unknown   bad usage, or no ensemble to read (one line on stderr)`;

/** Bad input or nothing to read: one line, exit code 3. */
export class MonitorUsageError extends Error {
  override readonly name = 'MonitorUsageError';
}

const Flags = z.object({
  watch: z.coerce.number().positive().max(3600).optional(),
  count: z.coerce.number().int().min(1).optional(),
  timeout: z.coerce.number().int().min(10).max(60_000).default(2_000),
  warnLatency: z.coerce.number().min(0).default(DEFAULT_THRESHOLDS.warnLatencyMs),
  critLatency: z.coerce.number().min(0).default(DEFAULT_THRESHOLDS.critLatencyMs),
  warnOutstanding: z.coerce.number().int().min(0).default(DEFAULT_THRESHOLDS.warnOutstanding),
  critOutstanding: z.coerce.number().int().min(0).default(DEFAULT_THRESHOLDS.critOutstanding),
});

export interface MonitorOptions {
  connectString: string;
  /** Seconds between readings; null reads once. */
  watchSeconds: number | null;
  count: number | null;
  timeoutMs: number;
  format: 'table' | 'json' | 'prometheus';
  thresholds: Thresholds;
}

/** `--watch` takes an optional value: `--watch`, `--watch 5`, `--watch=5`. */
function normaliseWatch(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg !== '--watch') out.push(arg);
    else if (/^\d+(\.\d+)?$/.test(argv[i + 1] ?? '')) out.push(`--watch=${argv[(i += 1)]}`);
    else out.push('--watch=2');
  }
  return out;
}

export function parseMonitorArgs(argv: string[], env: NodeJS.ProcessEnv): MonitorOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: normaliseWatch(argv),
      options: {
        connect: { type: 'string' },
        state: { type: 'string' },
        watch: { type: 'string' },
        count: { type: 'string' },
        json: { type: 'boolean' },
        prometheus: { type: 'boolean' },
        timeout: { type: 'string' },
        'warn-latency': { type: 'string' },
        'crit-latency': { type: 'string' },
        'warn-outstanding': { type: 'string' },
        'crit-outstanding': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new MonitorUsageError((err as Error).message);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  if (values.json && values.prometheus)
    throw new MonitorUsageError('--json and --prometheus exclude each other');
  const result = Flags.safeParse({
    watch: values.watch,
    count: values.count,
    timeout: values.timeout,
    warnLatency: values['warn-latency'],
    critLatency: values['crit-latency'],
    warnOutstanding: values['warn-outstanding'],
    critOutstanding: values['crit-outstanding'],
  });
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const flag = String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new MonitorUsageError(`--${flag}: ${issue.message}`);
  }
  const flags = result.data;
  if (flags.count !== undefined && flags.watch === undefined)
    throw new MonitorUsageError('--count goes with --watch');
  return {
    connectString: connectStringOf(values.connect, values.state, env),
    watchSeconds: flags.watch ?? null,
    count: flags.count ?? null,
    timeoutMs: flags.timeout,
    format: values.json ? 'json' : values.prometheus ? 'prometheus' : 'table',
    thresholds: {
      warnLatencyMs: flags.warnLatency,
      critLatencyMs: flags.critLatency,
      warnOutstanding: flags.warnOutstanding,
      critOutstanding: flags.critOutstanding,
    },
  };
}

/**
 * --connect, else --state's ensemble when given, else $ZK_CONNECT, else the lab's ensemble in
 * $ZK_LAB_STATE or ./.lab: lab-core's resolution, as every app finds ZooKeeper.
 */
function connectStringOf(
  connect: string | undefined,
  state: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  try {
    const lookIn = {
      ZK_CONNECT: state === undefined ? env.ZK_CONNECT : undefined,
      ZK_LAB_STATE: state ?? env.ZK_LAB_STATE,
    };
    const settings = resolveConnection({ connect }, lookIn);
    return settings.connectString.replace(/\/.*$/, '');
  } catch (err) {
    if (err instanceof ConnectionSettingsError) throw new MonitorUsageError(err.message);
    throw err;
  }
}
