/**
 * What ZooKeeper itself does with a write its leader logged but never committed, the case the
 * chaos lab's extra executions were first suspected of (see the lab's note): the leader
 * proposes and logs a write while both followers are stopped, loses its quorum, is kept out
 * of the next election, and is restarted after the new leader accepted a conflicting write.
 * The old leader must drop its uncommitted write: every server, read on its own after a
 * sync, holds the new leader's value.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionLossError, NoNodeError, ZkClient } from '@zk-lab/zk-client';
import { usePrivateEnsemble } from '../harness/ensembles';

// Destructive: it stops, kills and cuts servers, so it runs on an ensemble of its own.
const zk = usePrivateEnsemble({ size: 3, faultProxy: true });

const clients: ZkClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function connect(connectString: string): Promise<ZkClient> {
  const client = await ZkClient.connect({ connectString, sessionTimeoutMs: 4000 });
  clients.push(client);
  return client;
}

/** `path`'s data on server `id` alone, after a sync; null when it has no such node. */
async function valueOn(id: number, path: string): Promise<string | null> {
  const client = await connect(zk.ensemble.connectString([id]));
  await client.sync(path);
  try {
    return (await client.getData(path)).data.toString();
  } catch (error) {
    if (error instanceof NoNodeError) return null;
    throw error;
  }
}

it('a write the old leader logged but never committed is gone from every server after it restarts', async () => {
  const leader = (await zk.ensemble.leaderId())!;
  const followers = zk.ensemble.nodes.map((n) => n.id).filter((id) => id !== leader);
  const onLeader = await connect(zk.ensemble.connectString([leader]));
  await onLeader.create('/base', 'committed');

  // The followers stop: the leader logs the proposal and waits for acks that never come.
  for (const id of followers) zk.ensemble.pauseNode(id);
  await expect(onLeader.create('/x', 'uncommitted')).rejects.toThrow(ConnectionLossError);

  // The old leader stays up, its memory intact, but out of the next election; the followers
  // die with the proposal unread in their sockets and come back without it.
  await zk.ensemble.isolateServer(leader);
  for (const id of followers) await zk.ensemble.killNode(id);
  await Promise.all(followers.map((id) => zk.ensemble.startNode(id)));
  expect(followers).toContain(await zk.ensemble.leaderId());
  const client = await connect(zk.ensemble.connectString(followers));
  expect(await client.exists('/x')).toBeNull();
  await client.create('/x', 'committed-later');

  // The old leader joins the new one, then restarts and replays its own log.
  await zk.ensemble.healServers();
  await zk.ensemble.waitForAll();
  await sleep(500);
  await zk.ensemble.killNode(leader);
  await zk.ensemble.startNode(leader);
  await zk.ensemble.waitForAll();
  const held: Record<number, string | null> = {};
  for (const { id } of zk.ensemble.nodes) held[id] = await valueOn(id, '/x');
  expect(held).toEqual(
    Object.fromEntries(zk.ensemble.nodes.map(({ id }) => [id, 'committed-later'])),
  );
}, 120_000);
