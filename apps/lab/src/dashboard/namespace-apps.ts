/**
 * Read-only mode's apps: what the lab's namespace shows of them (the election's participants
 * and /epoch, the workers' registrations and task folders). Pure.
 */
import type { AppView } from '@zk-lab/dashboard';
import type { NamespaceReading } from './namespace-reading';

/**
 * Read-only mode: the masters and workers the namespace shows, and the producer, which
 * leaves no trace of its own there (no session, no node): shown, as unknown.
 */
export function appsOf(namespace: NamespaceReading): AppView[] {
  const masters = namespace.masters.map((m): AppView => ({
    name: m.id,
    kind: 'master',
    process: 'unknown',
    partitioned: false,
    session: m.session,
    leading: m.leading,
    epoch: m.leading ? namespace.epoch : null,
    registered: false,
    running: [],
    role: m.leading ? `leader, epoch ${namespace.epoch ?? '?'}` : 'follower',
  }));
  const workers = namespace.workers.map((w): AppView => ({
    name: w.id,
    kind: 'worker',
    process: 'unknown',
    partitioned: false,
    session: w.session,
    leading: false,
    epoch: null,
    registered: w.registered,
    running: w.running,
    role: w.registered
      ? `registered, ${w.running.length} running`
      : `not registered, ${w.running.length} task(s) left`,
  }));
  const producer: AppView = {
    name: 'producer',
    kind: 'producer',
    process: 'unknown',
    partitioned: false,
    session: null,
    leading: false,
    epoch: null,
    registered: false,
    running: [],
    role: 'unknown: a producer leaves no node of its own',
  };
  return [...masters, ...workers, producer];
}
