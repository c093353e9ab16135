import type { ZkStateEvent } from '@zk-lab/zk-client';

/**
 * Whether a recipe that holds something (a lock, leadership) must give it up on SUSPENDED
 * or only on LOST: Curator's StandardConnectionStateErrorPolicy and
 * SessionConnectionStateErrorPolicy.
 *
 * - 'standard' (the default, the safe one): SUSPENDED already counts. While disconnected
 *   nobody can tell whether the session still lives, so the holder stops acting at once.
 * - 'session': only LOST counts. The holder keeps acting while SUSPENDED, betting that the
 *   session survives the disconnect; the client declares LOST after a whole session
 *   timeout suspended, by when another process may hold what it held.
 */
export type ConnectionPolicy = 'standard' | 'session';

/** Does `event` end what a holder holds, under `policy`? */
export function endsHolding(event: ZkStateEvent, policy: ConnectionPolicy): boolean {
  if (event === 'LOST' || event === 'CLOSED') return true;
  return event === 'SUSPENDED' && policy === 'standard';
}
