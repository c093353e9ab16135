/**
 * `<state>/apps.json`: the one record of the apps a foreground `lab up` runs (name, kind,
 * pid, port, log, command line), so that `lab status`, `lab kill`, `lab start` … in another
 * terminal act on them, and the watchdog can kill them if `lab up` dies.
 *
 * Writers: `lab up` (at start, and when it runs the producer's next stream) and the app
 * commands (a new pid after `lab start`, the last signal sent). Each write replaces the file
 * at once (rename), so a reader never sees half of it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const APP_KINDS = ['master', 'worker', 'producer'] as const;
export type AppKind = (typeof APP_KINDS)[number];

const AppRecordSchema = z.object({
  name: z.string(),
  kind: z.enum(APP_KINDS),
  /** The app's built entry point, run with node. */
  script: z.string(),
  args: z.array(z.string()),
  /** What the lab adds to the environment (connection settings and its marker). */
  env: z.record(z.string(), z.string()),
  /** The HTTP port of /status, null for the producer. */
  port: z.number().int().nullable(),
  logPath: z.string(),
  /** The pid of the app's latest process (it may have exited since). */
  pid: z.number().int().nullable(),
  /** The last signal an app command sent it, so that `lab up` can tell a kill from a crash. */
  lastSignal: z
    .object({ pid: z.number().int(), signal: z.string(), by: z.string() })
    .nullable()
    .default(null),
});
export type AppRecord = z.infer<typeof AppRecordSchema>;

const AppsStateSchema = z.object({
  version: z.literal(1),
  /** The `lab up` process that owns the apps; the watchdog waits for its death. */
  ownerPid: z.number().int(),
  watchdogPid: z.number().int().nullable(),
  connectString: z.string(),
  root: z.string(),
  apps: z.array(AppRecordSchema),
});
export type AppsState = z.infer<typeof AppsStateSchema>;

/** No apps.json in the state folder: no `lab up` runs apps from it. */
export class NoLabAppsError extends Error {
  override readonly name = 'NoLabAppsError';
}

/** apps.json does not parse: written by another version, or damaged. */
export class BadAppsStateError extends Error {
  override readonly name = 'BadAppsStateError';
}

/** A name that is not one of the lab's apps. */
export class UnknownAppError extends Error {
  override readonly name = 'UnknownAppError';
}

export function appsStatePath(labState: string): string {
  return join(labState, 'apps.json');
}

export function logsDir(labState: string): string {
  return join(labState, 'logs');
}

/** The apps of the lab in `labState`, or null when there is no apps.json. */
export function readAppsState(labState: string): AppsState | null {
  const file = appsStatePath(labState);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const parsed = AppsStateSchema.safeParse(safeJson(text));
  if (!parsed.success) {
    throw new BadAppsStateError(
      `${file} is not a state file of this lab (${parsed.error.issues[0]?.message ?? 'invalid'}); ` +
        'delete it if no `lab up` runs from this folder',
    );
  }
  return parsed.data;
}

/** Like readAppsState, but there must be one. */
export function requireAppsState(labState: string): AppsState {
  const state = readAppsState(labState);
  if (state === null) {
    throw new NoLabAppsError(
      `no lab apps in ${labState}: bring the lab up with \`lab up\` (npm run lab)`,
    );
  }
  return state;
}

export function writeAppsState(labState: string, state: AppsState): void {
  const file = appsStatePath(labState);
  mkdirSync(labState, { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function removeAppsState(labState: string): void {
  rmSync(appsStatePath(labState), { force: true });
}

/** Re-reads apps.json, changes one app's record and writes it back. */
export function updateApp(
  labState: string,
  name: string,
  change: (app: AppRecord) => void,
): AppRecord {
  const state = requireAppsState(labState);
  const app = findApp(state, name);
  change(app);
  writeAppsState(labState, state);
  return app;
}

export function findApp(state: AppsState, name: string): AppRecord {
  const app = state.apps.find((a) => a.name === name);
  if (app === undefined) {
    throw new UnknownAppError(
      `no app ${JSON.stringify(name)} in this lab: its apps are ${state.apps.map((a) => a.name).join(', ')}`,
    );
  }
  return app;
}

export function hasAppsState(labState: string): boolean {
  return existsSync(appsStatePath(labState));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
