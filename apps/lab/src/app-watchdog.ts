/**
 * The watchdog of the apps of a foreground `lab up`, as deploy/reaper.cjs is the one of its
 * ensemble: `node dist/app-watchdog.js OWNER_PID LAB_STATE`. It waits for the owner (`lab up`)
 * to die, then SIGKILLs every app listed in apps.json that is still that app, and removes
 * the file. It exits by itself once apps.json is gone (a clean stop), or on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isAppProcess } from './app-process';
import { readAppsState, removeAppsState } from './app-state';

const WATCHDOG_SCRIPT = resolve(__dirname, 'app-watchdog.js');
const POLL_MS = 250;

/** Starts the watchdog of `labState`'s apps, detached; returns its pid. */
export function startAppWatchdog(ownerPid: number, labState: string): number | null {
  const watchdog = spawn(process.execPath, [WATCHDOG_SCRIPT, String(ownerPid), labState], {
    stdio: 'ignore',
    detached: true,
  });
  watchdog.unref();
  return watchdog.pid ?? null;
}

/** Is `pid` the watchdog of `labState`? (Checked before it is signalled.) */
export function isAppWatchdog(pid: number, labState: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv[1] === WATCHDOG_SCRIPT && argv[3] === labState;
  } catch {
    return false;
  }
}

/** Alive means running or stopped: a zombie (dead, not yet reaped by its parent) is not. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const at = stat.lastIndexOf(')') + 2;
    return !['Z', 'X'].includes(stat.slice(at, at + 1));
  } catch {
    return false;
  }
}

function watch(ownerPid: number, labState: string): void {
  const timer = setInterval(() => {
    let state;
    try {
      state = readAppsState(labState);
    } catch {
      return; // being rewritten, or damaged: look again
    }
    if (state === null || state.ownerPid !== ownerPid) {
      clearInterval(timer);
      return;
    }
    if (alive(ownerPid)) return;
    clearInterval(timer);
    for (const app of state.apps) {
      if (app.pid === null || !isAppProcess(app.pid, app)) continue;
      try {
        process.kill(app.pid, 'SIGCONT');
        process.kill(app.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    removeAppsState(labState);
  }, POLL_MS);
}

if (require.main === module) {
  const [owner, labState] = process.argv.slice(2);
  const ownerPid = Number(owner);
  if (!Number.isInteger(ownerPid) || labState === undefined) {
    process.stderr.write('usage: node app-watchdog.js OWNER_PID LAB_STATE\n');
    process.exit(2);
  }
  process.on('SIGTERM', () => process.exit(0));
  watch(ownerPid, labState);
}
