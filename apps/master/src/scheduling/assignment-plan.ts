/** Which queued job goes to which worker in one round: a pure function of free capacity. */
export interface PlannedAssignment {
  name: string;
  worker: string;
}

/**
 * Jobs in queue order, each to the worker with the most free slots (ties by name, so the
 * plan is deterministic), at most `limit` jobs and never past a worker's free slots.
 */
export function planAssignments(
  queue: readonly string[],
  free: ReadonlyMap<string, number>,
  limit: number,
): PlannedAssignment[] {
  const slots = new Map([...free].filter(([, n]) => n > 0));
  const plan: PlannedAssignment[] = [];
  for (const name of queue) {
    if (plan.length >= limit || slots.size === 0) break;
    let best: string | null = null;
    let bestFree = 0;
    for (const [worker, n] of slots) {
      if (n > bestFree || (n === bestFree && best !== null && worker < best)) {
        best = worker;
        bestFree = n;
      }
    }
    if (best === null) break;
    plan.push({ name, worker: best });
    if (bestFree === 1) slots.delete(best);
    else slots.set(best, bestFree - 1);
  }
  return plan;
}
