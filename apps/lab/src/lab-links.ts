/**
 * The lab's links to ZooKeeper: every app reaches every server through a fault-proxy link
 * of its own, named `<app>-zk<n>`, so that `lab partition <app>` can cut one app off while it
 * keeps running (the real zombie) and `lab delay` can slow one app down. The servers reach
 * each other through links of the ensemble's own (`zk<i>-zk<j>:quorum|election`).
 */
import type { Ensemble, FaultProxyControl, LinkMode } from '@zk-lab/deploy';

/** The ensemble runs without its fault proxy (started by an older lab, or by hand). */
export class NoFaultProxyError extends Error {
  override readonly name = 'NoFaultProxyError';
}

export function proxyOf(ensemble: Ensemble): FaultProxyControl {
  const proxy = ensemble.proxyControl();
  if (proxy === null) {
    throw new NoFaultProxyError(
      'this ensemble has no fault proxy: bring the lab up again with `lab up` to partition or delay links',
    );
  }
  return proxy;
}

export function appLinkName(app: string, server: number): string {
  return `${app}-zk${server}`;
}

/** Adds the links of one app to every server; returns the app's connect string through them. */
export async function linkApp(
  proxy: FaultProxyControl,
  ensemble: Ensemble,
  app: string,
): Promise<string> {
  const ports: number[] = [];
  for (const node of ensemble.nodes) {
    const link = await proxy.addLink(appLinkName(app, node.id), { targetPort: node.clientPort });
    ports.push(link.listenPort);
  }
  return ports.map((port) => `127.0.0.1:${port}`).join(',');
}

/** The names of an app's links, as the proxy knows them. */
export async function linksOfApp(proxy: FaultProxyControl, app: string): Promise<string[]> {
  const prefix = `${app}-zk`;
  return (await proxy.links())
    .map((link) => link.name)
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)));
}

/** Sets the mode of every link of an app; throws when it has none. */
export async function setAppLinks(
  proxy: FaultProxyControl,
  app: string,
  mode: LinkMode,
): Promise<string[]> {
  const names = await linksOfApp(proxy, app);
  if (names.length === 0) {
    throw new NoFaultProxyError(`${app} has no links through the fault proxy`);
  }
  for (const name of names) await proxy.setMode(name, mode);
  return names;
}
