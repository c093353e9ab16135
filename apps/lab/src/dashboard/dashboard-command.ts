/**
 * `lab dashboard`: the web dashboard in read-only mode on any ensemble. It connects with no
 * identity (what world READ lets it see), serves until Ctrl+C, then stops the server, the
 * feed and the session, in that order.
 */
import { spawn } from 'node:child_process';
import { ConnectionSettingsError } from '@zk-lab/lab-core';
import { LAN_RECONNECT_BACKOFF, ZkClient } from '@zk-lab/zk-client';
import type { Output } from '../output';
import { DashboardListenError, startDashboardServer } from './dashboard-server';
import {
  DASHBOARD_USAGE,
  DashboardUsageError,
  parseDashboardArgs,
  type DashboardOptions,
} from './dashboard-options';
import { readOnlyFeed } from './feed-construction';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Runs `lab dashboard ARGV`; returns the exit code. */
export async function runDashboard(argv: string[], io: Output): Promise<number> {
  let options: DashboardOptions;
  try {
    const parsed = parseDashboardArgs(argv);
    if (parsed === 'help') {
      io.out(DASHBOARD_USAGE);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (error instanceof DashboardUsageError || error instanceof ConnectionSettingsError) {
      io.err(`error: ${error.message} (lab dashboard --help)`);
      return 2;
    }
    throw error;
  }
  let client: ZkClient;
  try {
    client = await ZkClient.connect({
      connectString: options.connectString,
      sessionTimeoutMs: 10_000,
      connectTimeoutMs: 10_000,
      reconnectBackoff: LAN_RECONNECT_BACKOFF,
    });
  } catch (error) {
    io.err(`error: cannot connect to ${options.connectString}: ${(error as Error).message}`);
    return 1;
  }
  try {
    return await serve(client, options, io);
  } finally {
    await client.close();
  }
}

async function serve(client: ZkClient, options: DashboardOptions, io: Output): Promise<number> {
  if ((await client.exists(options.root)) === null) {
    io.err(`error: no node ${options.root} on ${options.connectString} (--root)`);
    return 1;
  }
  const log = (line: string) => io.err(line);
  const feed = readOnlyFeed({
    client,
    connectString: options.connectString,
    treeRoot: options.root,
    log,
  });
  try {
    io.err(`reading ${options.root} on ${options.connectString}…`);
    let server;
    try {
      server = await startDashboardServer({
        mode: 'read-only',
        client,
        root: options.root,
        connectString: options.connectString,
        feed,
        host: options.host,
        port: options.port,
        anyPortIfTaken: options.portIsDefault,
        token: null,
        log,
      });
    } catch (error) {
      if (!(error instanceof DashboardListenError)) throw error;
      io.err(`error: ${error.message} (--port)`);
      return 1;
    }
    io.out(`dashboard (read-only): ${server.url}`);
    io.err('press Ctrl+C to stop it');
    if (options.open) openInBrowser(server.url, log);
    const signal = await untilSignal();
    io.err(`${signal}: stopping the dashboard…`);
    await server.stop();
  } finally {
    await feed.stop();
  }
  return 0;
}

/** Waits for Ctrl+C (or SIGTERM, SIGHUP); the listeners go with it. */
export async function untilSignal(): Promise<NodeJS.Signals> {
  let stop: (signal: NodeJS.Signals) => void = () => undefined;
  const signal = new Promise<NodeJS.Signals>((resolve) => (stop = resolve));
  for (const name of STOP_SIGNALS) process.on(name, stop);
  try {
    return await signal;
  } finally {
    for (const name of STOP_SIGNALS) process.off(name, stop);
  }
}

/** Best effort: a machine with no browser still has the URL printed. */
export function openInBrowser(url: string, log: (line: string) => void): void {
  const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
  child.on('error', (error) => log(`could not open a browser (${error.message}): open ${url}`));
  child.unref();
}
