// Service discovery, both sides, with @zk-lab/zk-recipes:
//
//   node docs/lessons/examples/service.mjs register ID PORT HOLD_MS [--crash]
//     registers an instance ID of the service "api" at 127.0.0.1:PORT, stays HOLD_MS,
//     then unregisters and exits; with --crash it kills itself (SIGKILL) instead.
//   node docs/lessons/examples/service.mjs watch
//     keeps a live list of the "api" instances and prints each change; stops once the
//     list is empty again after it had instances (or on Ctrl+C).
//
// Registrations live under /lessons/10/services/api/<id>: ephemeral nodes with the
// instance as JSON, so an instance that dies leaves the list when its session expires.
import { ServiceDiscovery, ServiceRegistry } from '@zk-lab/zk-recipes';
import { connect } from './connect.mjs';

const basePath = '/lessons/10/services';
const [command, ...args] = process.argv.slice(2);
const client = await connect();
const time = () => new Date().toISOString().slice(11, 23);

if (command === 'register') {
  const [id, port, holdMs, flag] = args;
  const registry = new ServiceRegistry(client, { basePath });
  await registry.start();
  const me = await registry.register({ name: 'api', id, address: '127.0.0.1', port: Number(port) });
  console.log(`${time()} ${id}: registered at ${me.address}:${me.port}`);
  await new Promise((resolve) => setTimeout(resolve, Number(holdMs)));
  if (flag === '--crash') {
    console.log(`${time()} ${id}: crashes (SIGKILL): its node stays until its session expires`);
    process.kill(process.pid, 'SIGKILL');
  }
  await registry.close(); // deletes its registration at once (and retries until it is gone)
  await client.close();
  console.log(`${time()} ${id}: unregistered and closed its session`);
} else if (command === 'watch') {
  // A live list: a children cache of /lessons/10/services/api, kept current by watches.
  const discovery = new ServiceDiscovery(client, { basePath, name: 'api' });
  let seen = false;
  const list = () =>
    discovery
      .instances()
      .map((i) => `${i.id}@${i.port}`)
      .sort()
      .join(' ');
  const stop = async () => {
    await discovery.close();
    await client.close();
    console.log(`${time()} watcher: stopped`);
  };
  discovery.on('added', (i) => {
    seen = true;
    console.log(`${time()} up   ${i.id} ${i.address}:${i.port}  now: ${list()}`);
  });
  discovery.on('removed', (i) => {
    console.log(`${time()} down ${i.id} ${i.address}:${i.port}  now: ${list() || '(none)'}`);
    if (seen && discovery.instances().length === 0) void stop();
  });
  process.once('SIGINT', () => void stop());
  await discovery.start();
  console.log(`${time()} watching api: ${discovery.instances().length} instance(s)`);
} else {
  console.error('usage: service.mjs register ID PORT HOLD_MS [--crash] | service.mjs watch');
  process.exit(2);
}
