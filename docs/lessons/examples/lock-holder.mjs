// A lock holder: node docs/lessons/examples/lock-holder.mjs NAME [HOLD_MS] [--crash]
//
// Takes the lock /lessons/09/lock with @zk-lab/zk-recipes' DistributedLock, holds it for
// HOLD_MS (default 1000), then releases it and exits. Start several at once: they take
// turns, in the order they queued. With --crash it does not release: it kills itself with
// SIGKILL while holding, as a crashed process would, and leaves its lock node behind.
import { DistributedLock } from '@zk-lab/zk-recipes';
import { connect, seconds } from './connect.mjs';

const [name = 'holder', holdArg = '1000', flag] = process.argv.slice(2);
const holdMs = Number(holdArg);
const say = (text) => console.log(`${name}: ${text}`);

const client = await connect();
// Every contender creates an ephemeral sequential node under the lock's path; the lowest
// holds, and each other one watches only the node just ahead of it (no herd).
const lock = new DistributedLock(client, '/lessons/09/lock');
// Under the default 'standard' policy, a lost connection ends the lease: stop at once.
lock.on('lost', (error) => say(`lost the lock (${error.reason}): stop writing now`));
await lock.start();

const asked = Date.now();
const lease = await lock.acquire();
say(
  `holds the lock after waiting ${seconds(Date.now() - asked)} (fencing token ${lease.fencingToken})`,
);

await new Promise((resolve) => setTimeout(resolve, holdMs));
if (flag === '--crash') {
  say('crashes while holding (SIGKILL): no release, no goodbye to ZooKeeper');
  process.kill(process.pid, 'SIGKILL');
}
say('releases the lock');
await lease.release(); // deletes its node: the next in line is told at once
await lock.close();
await client.close();
say('done');
