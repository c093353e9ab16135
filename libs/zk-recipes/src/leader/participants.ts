/**
 * The election's znodes, shared by LeaderLatch and LeaderElection (private to the family).
 *
 * Every participant is one ephemeral-sequential child of the election path, named as
 * Curator names protected nodes: `_c_<uuid>-latch-<10-digit sequence>`, with the
 * participant's id as its data. The queue is the children in sequence order; the first
 * one leads. Curator's LeaderLatch and LeaderSelector name theirs the same way.
 */
import { NoNodeError, validatePath, type ZkClient } from '@zk-lab/zk-client';

/** The name every participant node ends with, before its sequence number. */
export const PARTICIPANT_NAME = 'latch-';

/** One participant, as its znode tells. */
export interface Participant {
  /** The id the participant gave (its node's data). */
  readonly id: string;
  /** Its node. */
  readonly nodePath: string;
  /** The session that owns its ephemeral node. */
  readonly sessionId: bigint;
  /** Whether it is first in the queue, that is, the leader. */
  readonly isLeader: boolean;
}

/** Throws unless `path` can be an election's path (a valid path, not the root). */
export function validateElectionPath(path: string): void {
  validatePath(path, { op: 'election' });
  if (path === '/') throw new RangeError('the election path must not be the root');
}

/** The sequence number of a participant node's name, or null for any other child. */
export function sequenceOf(name: string): number | null {
  const at = name.lastIndexOf(PARTICIPANT_NAME);
  if (at < 0) return null;
  const digits = name.slice(at + PARTICIPANT_NAME.length);
  return /^\d{10}$/.test(digits) ? Number(digits) : null;
}

/** The participant nodes among `children`, in queue order (lowest sequence first). */
export function participantQueue(children: readonly string[]): string[] {
  const queued: { name: string; sequence: number }[] = [];
  for (const name of children) {
    const sequence = sequenceOf(name);
    if (sequence !== null) queued.push({ name, sequence });
  }
  queued.sort((a, b) => a.sequence - b.sequence || a.name.localeCompare(b.name));
  return queued.map((entry) => entry.name);
}

/** The path of child `name` of `parent`. */
export function childPath(parent: string, name: string): string {
  return `${parent}/${name}`;
}

/** Reads one participant node; null when it is gone. */
async function readParticipant(
  client: ZkClient,
  nodePath: string,
  isLeader: boolean,
): Promise<Participant | null> {
  try {
    const { data, stat } = await client.getData(nodePath);
    return { id: data.toString('utf8'), nodePath, sessionId: stat.ephemeralOwner, isLeader };
  } catch (error) {
    if (error instanceof NoNodeError) return null;
    throw error;
  }
}

/** Every participant in queue order, read from the znodes; the first is the leader. */
export async function readParticipants(client: ZkClient, path: string): Promise<Participant[]> {
  let queue: string[];
  try {
    queue = participantQueue(await client.getChildren(path));
  } catch (error) {
    if (error instanceof NoNodeError) return [];
    throw error;
  }
  const read = await Promise.all(
    queue.map((name) => readParticipant(client, childPath(path, name), false)),
  );
  const present = read.filter((participant): participant is Participant => participant !== null);
  return present.map((participant, index) => ({ ...participant, isLeader: index === 0 }));
}

/** The leader read from the znodes (the first participant node still there), or null. */
export async function readLeader(client: ZkClient, path: string): Promise<Participant | null> {
  let queue: string[];
  try {
    queue = participantQueue(await client.getChildren(path));
  } catch (error) {
    if (error instanceof NoNodeError) return null;
    throw error;
  }
  for (const name of queue) {
    const participant = await readParticipant(client, childPath(path, name), true);
    if (participant !== null) return participant;
  }
  return null;
}
