#!/usr/bin/env node
// The watchdog of a non-detached ensemble: `node reaper.cjs OWNER_PID STATE_FILE`.
// It waits for the owner process (a jest run, a test worker, `npm run lab`) to die and then
// SIGKILLs every server listed in the state file that is still running, so that no server
// outlives a run that was killed or crashed. It exits by itself once the state file is gone
// (a clean stop) and is plain JavaScript so that it runs without a build.
'use strict';
const { readFileSync, rmSync } = require('node:fs');
const { dirname } = require('node:path');

const ownerPid = Number(process.argv[2]);
const stateFile = process.argv[3];

// A dead owner may linger as a zombie until its parent (or a slow init) reaps it: signal 0
// still succeeds then, so the process state in /proc/<pid>/stat decides.
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function ours(pid, marker) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker);
  } catch {
    return false;
  }
}

function readState() {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    return null;
  }
}

const timer = setInterval(() => {
  const state = readState();
  if (state === null) {
    clearInterval(timer);
    return;
  }
  if (alive(ownerPid)) return;
  clearInterval(timer);
  for (const node of state.nodes) {
    if (node.pid !== null && ours(node.pid, node.configPath)) {
      try {
        process.kill(node.pid, 'SIGCONT');
        process.kill(node.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  // The fault proxy daemon watches the owner itself; this is the second line.
  const proxy = state.faultProxy;
  if (proxy && ours(proxy.pid, proxy.stateFile)) {
    try {
      process.kill(proxy.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  rmSync(dirname(stateFile), { recursive: true, force: true });
}, 250);
process.on('SIGTERM', () => process.exit(0));
