/**
 * Where the CPU went during a stretch of the bench: per process (utime + stime from
 * /proc/<pid>/stat) and for the whole machine (/proc/stat), so that a report can say how
 * busy the machine was and how much of it the measured system used. Linux only: elsewhere
 * the figures are null. Both files count in USER_HZ ticks, 100 per second on Linux.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const TICKS_PER_SECOND = 100;

export interface CpuSample {
  at: number;
  /** Busy and total CPU seconds of the machine since boot (all cores). */
  machine: { busy: number; total: number } | null;
  /** CPU seconds of each labelled process since it started. */
  processes: Map<string, { pid: number; seconds: number }>;
}

/** Average cores used between two samples. */
export interface CpuUse {
  wallMs: number;
  /** The whole machine, every process on it. */
  machineCores: number | null;
  /** Each process that ran through the whole stretch. */
  byProcess: Record<string, number>;
}

function machineSeconds(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
    const ticks = fields.map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    // idle and iowait are the 4th and 5th.
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

export function processSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (2nd field) may hold spaces: count fields after its closing ')'.
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15, that is the 12th and 13th after the name.
    return (Number(after[11]) + Number(after[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

export function sampleCpu(processes: Iterable<{ label: string; pid: number }>): CpuSample {
  const sample: CpuSample = {
    at: performance.now(),
    machine: machineSeconds(),
    processes: new Map(),
  };
  for (const { label, pid } of processes) {
    const seconds = processSeconds(pid);
    if (seconds !== null) sample.processes.set(label, { pid, seconds });
  }
  return sample;
}

export function cpuUse(from: CpuSample, to: CpuSample): CpuUse {
  const wallSeconds = Math.max(to.at - from.at, 1) / 1000;
  const cores = (seconds: number): number => Math.round((seconds / wallSeconds) * 100) / 100;
  const byProcess: Record<string, number> = {};
  for (const [label, end] of to.processes) {
    const start = from.processes.get(label);
    // A different pid is a restarted process: its time is not comparable.
    if (start !== undefined && start.pid === end.pid)
      byProcess[label] = cores(end.seconds - start.seconds);
  }
  return {
    wallMs: Math.round(wallSeconds * 1000),
    machineCores: from.machine && to.machine ? cores(to.machine.busy - from.machine.busy) : null,
    byProcess,
  };
}
