// A stale read, made on purpose (lesson 6). Two sessions: a reader on one follower, a
// writer on the leader. Then, in this order and each step only after the one before has
// finished: the follower is cut off from its peers (`lab partition zk N`; its clients still
// reach it), the writer writes, the reader reads, and the reader asks for `sync`.
//
// A cut-off follower notices that it lost the leader after syncLimit ticks (about 2 s in
// the lab) and then stops serving: the write and the second read come right after the cut,
// from sessions already open, so they fall well inside that window.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ZkClient } from '@zk-lab/zk-client';

const PATH = process.argv[2] ?? '/lessons/06/color';
// The lab CLI, run without blocking: the sessions keep sending their heartbeats meanwhile.
const lab = async (...args) =>
  (await promisify(execFile)(process.execPath, ['apps/lab/dist/main.js', ...args])).stdout.trim();
const text = async (client) => (await client.getData(PATH)).data.toString('utf8');

// Which server leads and which follows, from the servers' own `srvr` (lab zk status).
const { nodes } = JSON.parse(await lab('zk', 'status', '--json'));
const leader = nodes.find((n) => n.report?.mode === 'leader');
const follower = nodes.find((n) => n.report?.mode === 'follower');
if (leader === undefined || follower === undefined) {
  console.error('stale-read: needs a leader and a follower serving (npm run lab:cli -- zk status)');
  process.exit(1);
}
const at = (node) => `127.0.0.1:${node.clientPort}`;

const reader = await ZkClient.connect({ connectString: at(follower) });
const writer = await ZkClient.connect({ connectString: at(leader) });
console.log(`reader on follower ${follower.id}, before: ${await text(reader)}`);

console.log(await lab('partition', 'zk', String(follower.id)));
const { version } = await writer.setData(PATH, Buffer.from('red'));
console.log(`writer on leader ${leader.id}: red written (version ${version})`);
console.log(`reader on follower ${follower.id}, after the write: ${await text(reader)}`);

try {
  await reader.sync(PATH, { timeoutMs: 3_000 });
  console.log(`reader on follower ${follower.id}, sync: done, then ${await text(reader)}`);
} catch (error) {
  console.log(`reader on follower ${follower.id}, sync: failed (${error.name})`);
}
await writer.close();
// The reader's server no longer serves: its session cannot be closed, only left to expire.
await Promise.race([reader.close(), new Promise((done) => setTimeout(done, 1_000))]);
process.exit(0);
