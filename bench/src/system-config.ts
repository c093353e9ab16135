/**
 * The live-config trials of `bench system`: how long a change of `/config` takes to be in
 * force in every process. With CONFIG_PROCESSES app processes running (the masters, the
 * workers and as many more workers as it takes), the admin rewrites `/config` (a harmless
 * change: maxPayloadBytes moves by one byte) and each process's log line
 * `config version V applied` (logging.ts) is awaited. A process's figure is that line's
 * time (pino's, from the same machine clock) minus the time just before the write was
 * sent: the watch's notification, the read of the new data, its validation and the apply.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { decode, encode, LabConfigSchema, PATHS } from '@zk-lab/lab-core';
import type { ZkClient } from '@zk-lab/zk-client';
import { distribution, type Distribution } from './percentiles';
import type { AppProcess } from './system-apps';

/** The figure: propagation to 10 processes. */
export const CONFIG_PROCESSES = 10;

export interface ConfigTrial {
  trial: number;
  version: number;
  /** Write sent → the reply. */
  writeMs: number;
  /** Write sent → `applied` logged, per process (app id); null: not within the timeout. */
  appliedMs: Record<string, number | null>;
}

export interface ConfigPropagation {
  processes: number;
  trials: ConfigTrial[];
  /** Over every process of every trial that applied it. */
  appliedMs: Distribution | null;
  /** Over the trials: write sent → the last process applied it. */
  allAppliedMs: Distribution | null;
  missed: number;
}

/** Appended lines of one log file, read from where the last read ended. */
class LogTail {
  private offset: number;

  constructor(readonly path: string) {
    this.offset = statSync(path).size;
  }

  newLines(): string[] {
    const size = statSync(this.path).size;
    if (size <= this.offset) return [];
    const buffer = Buffer.alloc(size - this.offset);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, this.offset);
    } finally {
      closeSync(fd);
    }
    const text = buffer.toString('utf8');
    const end = text.lastIndexOf('\n') + 1; // a line half written is read next time
    this.offset += Buffer.byteLength(text.slice(0, end));
    return text.slice(0, end).split('\n').filter(Boolean);
  }
}

/** The time of the process's `config version <version> applied` line, if among `lines`. */
function appliedAt(lines: string[], version: number): number | null {
  for (const line of lines) {
    if (!line.startsWith('{') || !line.includes('applied')) continue;
    try {
      const parsed = JSON.parse(line) as { configVersion?: unknown; time?: unknown; msg?: unknown };
      if (
        parsed.configVersion === version &&
        typeof parsed.time === 'number' &&
        parsed.msg === `config version ${version} applied`
      ) {
        return parsed.time;
      }
    } catch {
      // not a pino line
    }
  }
  return null;
}

export async function configTrials(
  admin: ZkClient,
  apps: readonly AppProcess[],
  trials: number,
  timeoutMs: number,
  say: (line: string) => void,
): Promise<ConfigPropagation> {
  const results: ConfigTrial[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    const { data, stat } = await admin.getData(PATHS.config);
    const config = decode(LabConfigSchema, data, 'config');
    const next = {
      ...config,
      maxPayloadBytes: config.maxPayloadBytes + (trial % 2 === 1 ? -1 : 1),
    };
    const tails = apps.map((app) => ({ id: app.id, tail: new LogTail(app.logPath) }));
    const sent = Date.now();
    const written = await admin.setData(PATHS.config, encode(next), stat.version);
    const writeMs = Date.now() - sent;
    const applied: Record<string, number | null> = Object.fromEntries(
      apps.map((app) => [app.id, null]),
    );
    const deadline = sent + timeoutMs;
    while (Date.now() < deadline && Object.values(applied).some((at) => at === null)) {
      for (const { id, tail } of tails) {
        if (applied[id] !== null) continue;
        const at = appliedAt(tail.newLines(), written.version);
        if (at !== null) applied[id] = Math.max(0, at - sent);
      }
      await sleep(20);
    }
    results.push({ trial, version: written.version, writeMs, appliedMs: applied });
    const times = Object.values(applied).filter((ms): ms is number => ms !== null);
    say(
      `config trial ${trial}: version ${written.version} in force in ${times.length} of ` +
        `${apps.length} processes; slowest ${times.length > 0 ? Math.max(...times) : '?'} ms`,
    );
  }
  const all = results.flatMap((t) => Object.values(t.appliedMs));
  const lasts = results
    .map((t) => Object.values(t.appliedMs))
    .filter((ms) => ms.every((v) => v !== null))
    .map((ms) => Math.max(...ms));
  return {
    processes: apps.length,
    trials: results,
    appliedMs: distribution(all.filter((ms): ms is number => ms !== null)),
    allAppliedMs: distribution(lasts),
    missed: all.filter((ms) => ms === null).length,
  };
}
