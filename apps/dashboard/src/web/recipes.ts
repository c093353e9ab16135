/**
 * What a recipe's subtree means, for the overlay: participants in sequence order, the lowest
 * leads (or holds the lock), and each other one watches only its predecessor, so a release
 * wakes one waiter. A naive lock, where everyone watches the one lock node, wakes them all:
 * the herd.
 */
import type { NodeSummary } from '../protocol';
import { sequenceOf } from './paths';

export interface Participant {
  name: string;
  sequence: number | null;
  owner: string | null;
  /** The app whose session owns it, when known. */
  app: string | null;
  /** The node it watches (its predecessor), or null for the first. */
  watches: string | null;
}

/** Orders sequential children (by their sequence, whatever protected prefix they have). */
export function inSequence(
  children: readonly NodeSummary[],
  appOf: (session: string) => string | null,
): Participant[] {
  const sorted = [...children].sort(
    (a, b) =>
      (sequenceOf(a.name) ?? Number.MAX_SAFE_INTEGER) -
        (sequenceOf(b.name) ?? Number.MAX_SAFE_INTEGER) || (a.name < b.name ? -1 : 1),
  );
  return sorted.map((child, i) => ({
    name: child.name,
    sequence: sequenceOf(child.name),
    owner: child.owner,
    app: child.owner === null ? null : appOf(child.owner),
    watches: i === 0 ? null : (sorted[i - 1]?.name ?? null),
  }));
}

/** Watch notifications one release causes: a naive lock vs the predecessor watch. */
export function herd(waiters: number): { naive: number; predecessor: number } {
  return { naive: Math.max(0, waiters), predecessor: waiters > 0 ? 1 : 0 };
}
