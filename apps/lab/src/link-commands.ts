/**
 * `lab partition`, `lab heal` and `lab delay`: faults on the network links of a running lab,
 * made by its fault proxy (DESIGN section 8). An app's links are `<app>-zk<n>`; the servers'
 * are `zk<i>-zk<j>:quorum` and `zk<i>-zk<j>:election`.
 */
import type { Ensemble, LinkMode, LinkInfo } from '@zk-lab/deploy';
import { requireAppsState, findApp } from './app-state';
import { proxyOf, setAppLinks } from './lab-links';
import { UsageError } from './options';
import type { Output } from './output';
import { openEnsemble } from './zk-commands';

/** Which server `zk N` or `zk leader` names. */
export async function serverTarget(ensemble: Ensemble, which: string | undefined): Promise<number> {
  if (which === 'leader') {
    const leader = (await ensemble.status()).find(
      (row) => row.state === 'up' && row.report?.mode === 'leader',
    );
    if (leader === undefined) throw new UsageError('no server leads now: name one (zk N)');
    return leader.id;
  }
  const id = Number(which);
  if (!Number.isInteger(id) || !ensemble.nodes.some((n) => n.id === id)) {
    throw new UsageError(
      `\`zk ${which ?? ''}\`: name a server (${ensemble.nodes.map((n) => n.id).join(', ')}) or leader`,
    );
  }
  return id;
}

/** `lab partition APP` or `lab partition zk N|leader`. */
export async function partition(
  labState: string,
  target: string,
  which: string | undefined,
  io: Output,
): Promise<void> {
  const ensemble = openEnsemble(labState);
  if (target === 'zk') {
    const id = await serverTarget(ensemble, which);
    await ensemble.isolateServer(id);
    io.out(
      `server ${id} is cut from its peers (its clients still reach it): \`lab heal zk\` mends it`,
    );
    return;
  }
  findApp(requireAppsState(labState), target);
  await setAppLinks(proxyOf(ensemble), target, { kind: 'partition' });
  io.out(
    `${target} is cut from ZooKeeper (it keeps running; bytes stall both ways): \`lab heal ${target}\` mends it`,
  );
}

/** `lab heal` (every link), `lab heal APP`, or `lab heal zk` (the servers' links). */
export async function heal(
  labState: string,
  target: string | undefined,
  io: Output,
): Promise<void> {
  const ensemble = openEnsemble(labState);
  if (target === undefined) {
    await proxyOf(ensemble).heal();
    io.out('every link healed');
  } else if (target === 'zk') {
    await ensemble.healServers();
    io.out("the servers' links healed");
  } else {
    findApp(requireAppsState(labState), target);
    await setAppLinks(proxyOf(ensemble), target, { kind: 'pass' });
    io.out(`${target}'s links healed`);
  }
}

/** `lab delay APP|LINK MS`: every chunk on those links goes MS later (0 heals). */
export async function delay(
  labState: string,
  target: string,
  ms: number,
  io: Output,
): Promise<void> {
  const ensemble = openEnsemble(labState);
  const proxy = proxyOf(ensemble);
  const mode: LinkMode = ms === 0 ? { kind: 'pass' } : { kind: 'delay', ms };
  const links = await proxy.links();
  if (links.some((link) => link.name === target)) {
    await proxy.setMode(target, mode);
  } else {
    findApp(requireAppsState(labState), target);
    await setAppLinks(proxy, target, mode);
  }
  io.out(ms === 0 ? `${target}: no delay` : `${target}: every byte ${ms} ms late, both ways`);
}

/** The faults in force, one phrase each ("w1 partitioned", "zk2 cut from zk1"), or none. */
export function describeFaults(links: readonly LinkInfo[]): string[] {
  const faults = new Map<string, string>();
  for (const link of links) {
    if (link.mode.kind === 'pass') continue;
    const what = link.mode.kind === 'delay' ? `delayed ${link.mode.ms} ms` : 'partitioned';
    const app = /^(.+)-zk\d+$/.exec(link.name);
    const peers = /^zk(\d+)-zk(\d+):/.exec(link.name);
    const subject = app
      ? `${app[1]} ↔ ZooKeeper`
      : peers
        ? `zk${Math.min(Number(peers[1]), Number(peers[2]))} ↔ zk${Math.max(Number(peers[1]), Number(peers[2]))}`
        : link.name;
    faults.set(subject, `${subject} ${what}`);
  }
  return [...faults.values()].sort();
}
