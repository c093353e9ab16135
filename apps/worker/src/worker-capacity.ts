/**
 * WorkerCapacity: how many jobs this worker runs at once. `--capacity` fixes it; without
 * the flag it follows `workerCapacity` of the live config, and `changed` says when.
 */
import { EventEmitter } from 'node:events';
import type { ConfigWatcher } from '@zk-lab/lab-core';

export interface WorkerCapacityEvents {
  changed: [capacity: number, previous: number];
}

export class WorkerCapacity extends EventEmitter<WorkerCapacityEvents> {
  private current: number;

  constructor(
    config: ConfigWatcher,
    /** The `--capacity` flag: when set, the config does not change the capacity. */
    readonly override: number | undefined,
  ) {
    super();
    this.current = override ?? config.config.workerCapacity;
    config.on('applied', (next) => {
      if (this.override !== undefined || next.workerCapacity === this.current) return;
      const previous = this.current;
      this.current = next.workerCapacity;
      this.emit('changed', this.current, previous);
    });
  }

  get value(): number {
    return this.current;
  }

  get source(): 'flag' | 'config' {
    return this.override === undefined ? 'config' : 'flag';
  }
}
