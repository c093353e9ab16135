// An operator's stray write: node docs/lessons/examples/stray-epoch-write.mjs
//
// Adds one to /zk-lab/epoch behind the leading master's back, as the lab's admin (only the
// masters and the admin may write it). The leader's next write is a multi that checks
// /zk-lab/epoch at the version it claimed; that check now fails, so the whole multi fails
// and the leader knows it is fenced.
import { loadCredentials } from '@zk-lab/lab-core';
import { connect } from './connect.mjs';

const path = '/zk-lab/epoch';
const client = await connect();
// The lab's admin identity (ZK_ADMIN_AUTH, else the lab's built-in one).
const { scheme, credentials } = loadCredentials('admin').authInfo();
await client.addAuth(scheme, credentials);

const { data, stat } = await client.getData(path);
const before = Number(data.toString());
// A compare-and-set, so that this script never moves the epoch backwards.
await client.setData(path, Buffer.from(String(before + 1)), stat.version);
console.log(
  `${path}: ${before} → ${before + 1} (dataVersion ${stat.version} → ${stat.version + 1})`,
);
await client.close();
