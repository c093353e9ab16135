/**
 * The watchdog of `bench system`'s app processes: `node orphan-reaper.js OWNER_PID PID_FILE
 * MAIN...`. The bench stops its apps itself, also on Ctrl+C; this covers the bench being
 * SIGKILLed or crashing, when nothing else would (the ensemble has its own reaper, and
 * without servers the apps would retry forever). Once the owner is gone it SIGKILLs every
 * pid in the file whose command line still runs one of the MAIN scripts, then exits. It
 * exits by itself when the file is removed (a clean end).
 */
import { readFileSync, rmSync } from 'node:fs';

const POLL_MS = 250;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `pid` still runs one of `mains` (a pid may have been reused by something else). */
function runsOneOf(pid: number, mains: string[]): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return mains.some((main) => args.includes(main));
  } catch {
    return false;
  }
}

function readPids(file: string): number[] | null {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /^\d+$/.test(line))
      .map(Number);
  } catch {
    return null;
  }
}

const [owner, pidFile, ...mains] = process.argv.slice(2);
const ownerPid = Number(owner);
if (!Number.isInteger(ownerPid) || pidFile === undefined || mains.length === 0) {
  process.stderr.write('usage: orphan-reaper OWNER_PID PID_FILE MAIN...\n');
  process.exit(2);
}

const timer = setInterval(() => {
  const pids = readPids(pidFile);
  if (pids === null) {
    clearInterval(timer);
    return;
  }
  if (alive(ownerPid)) return;
  clearInterval(timer);
  for (const pid of pids) {
    if (!runsOneOf(pid, mains)) continue;
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  rmSync(pidFile, { force: true });
}, POLL_MS);
process.on('SIGTERM', () => process.exit(0));
