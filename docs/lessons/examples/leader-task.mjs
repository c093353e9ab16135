// A leader that writes only while it leads: node docs/lessons/examples/leader-task.mjs NAME [--freeze MS]
//
// Joins the election /lessons/13/election with @zk-lab/zk-recipes' LeaderLatch. Once
// elected, it writes three steps to /lessons/13/log, each in a multi that first checks its
// own election node: the fence. Then it gives leadership up (close) and exits.
// With --freeze MS it stops its whole process for MS after the second step (as a long
// garbage-collection pause would), then tries the third write.
import { LeaderLatch } from '@zk-lab/zk-recipes';
import { connect, seconds } from './connect.mjs';

const [name = 'leader', flag, freezeArg] = process.argv.slice(2);
const freezeMs = flag === '--freeze' ? Number(freezeArg) : 0;
const say = (text) => console.log(`${name}: ${text}`);
const log = '/lessons/13/log';

const client = await connect();
// The client's connection states: SUSPENDED (connection lost, session may live), RECONNECTED,
// LOST (the session expired: ephemeral nodes gone), CLOSED.
client.on('state', (state) => say(`session ${state}`));
await client.ensurePath(log); // makes /lessons/13/log and its parents if missing

// 1. Make the recipe, listen to it, start it. Every recipe has start() and close().
const latch = new LeaderLatch(client, '/lessons/13/election', { id: name });
latch.on('revoked', ({ reason }) => say(`leadership revoked (${reason})`));
await latch.start();

// 2. Wait until this participant leads.
const asked = Date.now();
const leadership = await latch.await();
say(`elected after waiting ${seconds(Date.now() - asked)} (token ${leadership.token})`);

// 3. Work as the leader. Each write is fenced: the multi checks that this leader's election
//    node still exists; once leadership is lost, the node is gone and the whole multi fails.
for (let step = 1; step <= 3; step++) {
  if (step === 3 && freezeMs > 0) {
    say(`freezes for ${seconds(freezeMs)} (no heartbeats, no events: a stop-the-world pause)`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, freezeMs);
    say('wakes up and, as far as its own memory says, still leads');
  }
  try {
    await client
      .multi()
      .check(leadership.nodePath, -1)
      .setData(log, `${name} step ${step} (token ${leadership.token})`, -1)
      .commit();
    say(`step ${step} written`);
  } catch (error) {
    say(`step ${step} refused: ${error.name} (${error.message.split('\n')[0]})`);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}

// 4. Give leadership up: the next participant leads at once.
await latch.close();
await client.close();
say('done');
