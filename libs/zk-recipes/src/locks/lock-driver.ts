/**
 * What varies between the lock recipes, kept apart from the one lock loop
 * (lock-internals.ts), as Curator's LockInternalsDriver: how a contender's node is named,
 * and, given every contender in sequence order, whether ours holds and which nodes block
 * it. Internal to the locks family.
 */

/** A node under the lock path that takes part in the lock. */
export interface Contender {
  /** The node name, e.g. `_c_<uuid>-lock-0000000042`. */
  readonly name: string;
  /** Which kind of node it is (one of the driver's `kinds`), e.g. `lock-`. */
  readonly kind: string;
  /** The sequence number the server appended. */
  readonly sequence: number;
}

export type Decision =
  | { readonly holds: true }
  /** Not yet: the contender must wait until one of `blockers` is gone, then decide again. */
  | { readonly holds: false; readonly blockers: readonly Contender[] };

export interface LockDriver {
  /** The name of our node, before the sequence number the server appends. */
  readonly kind: string;
  /** Every kind of node that takes part in this lock; other children are ignored. */
  readonly kinds: readonly string[];
  /** `contenders` is in sequence order and `ours` is our index in it. */
  decide(contenders: readonly Contender[], ours: number): Decision;
}

const SEQUENCE_DIGITS = 10;

/**
 * The contenders among a lock's children, in sequence (that is, arrival) order. A name is
 * `[_c_<uuid>-]<kind><10 digits>`, as Curator names its lock nodes.
 */
export function sortContenders(children: readonly string[], kinds: readonly string[]): Contender[] {
  const contenders: Contender[] = [];
  for (const name of children) {
    const head = name.slice(0, -SEQUENCE_DIGITS);
    const digits = name.slice(-SEQUENCE_DIGITS);
    if (!/^\d{10}$/.test(digits)) continue;
    const kind = kinds.find((k) => head === k || head.endsWith(`-${k}`));
    if (kind === undefined) continue;
    contenders.push({ name, kind, sequence: Number(digits) });
  }
  return contenders.sort((a, b) => a.sequence - b.sequence);
}

/**
 * A semaphore of `maxLeases`: the first `maxLeases` contenders hold. One that waits watches
 * the `maxLeases` contenders right before it. That window is necessary and sufficient: it
 * can only get in once fewer than `maxLeases` contenders precede it, which needs one of
 * them to go; a contender further ahead that goes leaves the window unchanged. Each
 * deletion thus wakes at most `maxLeases` waiters, never the whole queue. The mutex is the
 * case `maxLeases` = 1: the one predecessor.
 */
export function semaphoreDriver(maxLeases: number, kind: string): LockDriver {
  return {
    kind,
    kinds: [kind],
    decide: (contenders, ours) =>
      ours < maxLeases
        ? { holds: true }
        : { holds: false, blockers: contenders.slice(ours - maxLeases, ours) },
  };
}

/** Curator's InterProcessMutex names: `_c_<uuid>-lock-<seq>`. */
export const MUTEX_DRIVER = semaphoreDriver(1, 'lock-');

/** Curator's InterProcessReadWriteLock names. */
export const READ_KIND = '__READ__';
export const WRITE_KIND = '__WRIT__';

/** A reader holds when no writer is ahead of it; it waits for the last writer ahead. */
export const READ_DRIVER: LockDriver = {
  kind: READ_KIND,
  kinds: [READ_KIND, WRITE_KIND],
  decide: (contenders, ours) => {
    const writersAhead = contenders.slice(0, ours).filter((c) => c.kind === WRITE_KIND);
    const last = writersAhead[writersAhead.length - 1];
    return last === undefined ? { holds: true } : { holds: false, blockers: [last] };
  },
};

/** A writer holds when it is first; it waits for its predecessor, reader or writer. */
export const WRITE_DRIVER: LockDriver = {
  kind: WRITE_KIND,
  kinds: [READ_KIND, WRITE_KIND],
  decide: (contenders, ours) => {
    const predecessor = contenders[ours - 1];
    return predecessor === undefined ? { holds: true } : { holds: false, blockers: [predecessor] };
  },
};
