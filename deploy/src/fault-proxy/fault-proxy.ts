import { createServer, type Server, type Socket } from 'node:net';
import {
  DropAlreadyArmedError,
  DropInterruptedError,
  LinkExistsError,
  ProxyClosedError,
  UnknownLinkError,
} from './errors';
import type {
  DroppedReply,
  LinkAddress,
  LinkInfo,
  LinkMode,
  LinkOptions,
  LinkProtocol,
  SteadyLinkMode,
} from './modes';
import { Relay, type RelayLink, type ReplyAction } from './relay';

const HOST = '127.0.0.1';
/** Link names go into URLs of the control API and into `lab` output. */
const LINK_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

interface PendingDrop {
  /** `drop`: dropNextReply; `hold`: holdNextReply. */
  action: ReplyAction;
  opTypes: ReadonlySet<number> | null;
  resolve: (reply: DroppedReply) => void;
  reject: (error: Error) => void;
}

/** One named listener and the connections it relays. */
class Link implements RelayLink {
  current: SteadyLinkMode = { kind: 'pass' };
  readonly relays = new Set<Relay>();
  /** A drop waiting for its request. */
  armed: PendingDrop | null = null;
  /** Drops whose request went out on a relay, waiting for the reply. */
  readonly bound = new Map<Relay, PendingDrop>();
  listenPort = 0;

  constructor(
    readonly name: string,
    readonly targetPort: number,
    readonly protocol: LinkProtocol,
    readonly server: Server,
  ) {}

  mode(): SteadyLinkMode {
    return this.current;
  }

  claimReply(relay: Relay, opType: number): ReplyAction | null {
    const armed = this.armed;
    if (armed === null || (armed.opTypes !== null && !armed.opTypes.has(opType))) return null;
    this.armed = null;
    this.bound.set(relay, armed);
    return armed.action;
  }

  dropped(relay: Relay, reply: DroppedReply): void {
    this.bound.get(relay)?.resolve(reply);
    this.bound.delete(relay);
  }

  held(relay: Relay, reply: DroppedReply): void {
    this.current = { kind: 'partition' };
    for (const each of [...this.relays]) each.apply();
    this.bound.get(relay)?.resolve(reply);
    this.bound.delete(relay);
  }

  ended(relay: Relay): void {
    this.relays.delete(relay);
    const drop = this.bound.get(relay);
    if (drop !== undefined) {
      this.bound.delete(relay);
      drop.reject(
        new DropInterruptedError(
          `link "${this.name}": the connection ended before the reply to the request came`,
        ),
      );
    }
  }

  info(): LinkInfo {
    return {
      name: this.name,
      listenPort: this.listenPort,
      targetPort: this.targetPort,
      protocol: this.protocol,
      mode: this.current,
      connections: this.relays.size,
      dropArmed: this.armed !== null,
    };
  }
}

/**
 * A TCP fault proxy on 127.0.0.1 hosting many named links. Each link listens on a port of
 * its own and relays every connection to its target port; its mode (see LinkMode) decides
 * what happens to the bytes. No root, no namespaces: the faults are made by what the proxy
 * does with the sockets.
 */
export class FaultProxy {
  private readonly links_ = new Map<string, Link>();
  private closed = false;

  /** Starts a listener for a new link; resolves once it listens. */
  async addLink(name: string, options: LinkOptions): Promise<LinkAddress> {
    if (this.closed) throw new ProxyClosedError('the fault proxy is closed');
    if (!LINK_NAME.test(name)) {
      throw new RangeError(`bad link name "${name}": letters, digits and . _ : - only`);
    }
    checkPort(options.targetPort, 'targetPort');
    if (options.listenPort !== undefined) checkPort(options.listenPort, 'listenPort');
    if (this.links_.has(name)) throw new LinkExistsError(name);
    // Sockets start paused: a connection accepted during a partition reads nothing.
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true });
    const link = new Link(name, options.targetPort, options.protocol ?? 'zk-client', server);
    this.links_.set(name, link); // reserved now: a second addLink of the name fails at once
    server.on('connection', (socket: Socket) => {
      if (this.closed) {
        socket.destroy();
        return;
      }
      link.relays.add(new Relay(socket, link));
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.listenPort ?? 0, options.listenHost ?? HOST, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.links_.delete(name);
      throw err;
    }
    const address = server.address();
    link.listenPort = typeof address === 'object' && address !== null ? address.port : 0;
    return { name, listenPort: link.listenPort, targetPort: link.targetPort };
  }

  /** Stops a link's listener and cuts its connections. */
  async removeLink(name: string): Promise<void> {
    const link = this.get(name);
    this.links_.delete(name);
    await this.closeLink(link);
  }

  /** Every link, with its mode and open connection count. */
  links(): LinkInfo[] {
    return [...this.links_.values()].map((link) => link.info());
  }

  link(name: string): LinkInfo {
    return this.get(name).info();
  }

  /** Sets a link's mode; see LinkMode for what each models. `reset` leaves it in `pass`. */
  setMode(name: string, mode: LinkMode): void {
    this.setModes([name], mode);
  }

  /** Sets the same mode on several links at once (all names are checked first). */
  setModes(names: readonly string[], mode: LinkMode): void {
    checkMode(mode);
    const links = names.map((name) => this.get(name));
    if (mode.kind === 'reset') {
      for (const link of links) {
        link.current = { kind: 'pass' };
        for (const relay of [...link.relays]) relay.cut();
      }
      return;
    }
    for (const link of links) link.current = mode.kind === 'delay' ? { ...mode } : mode;
    for (const link of links) for (const relay of [...link.relays]) relay.apply();
  }

  /** Back to `pass`: one link, or every link. */
  heal(name?: string): void {
    this.setModes(name === undefined ? [...this.links_.keys()] : [name], { kind: 'pass' });
  }

  /**
   * For ZooKeeper client links: the next request frame with xid >= 0 (and, if given, one
   * of `opTypes`) is forwarded; when the server's reply to it comes, the reply is dropped
   * and that connection is cut on both sides. The client sees ConnectionLoss for a request
   * the server applied. Resolves with the dropped reply's xid and the request's op type;
   * rejects with DropInterruptedError if the connection ends before the reply.
   */
  dropNextReply(
    name: string,
    options: { opTypes?: readonly number[] } = {},
  ): Promise<DroppedReply> {
    return this.armReply(name, 'drop', options);
  }

  /**
   * For ZooKeeper client links: the next request frame with xid >= 0 (and, if given, one
   * of `opTypes`) is forwarded; when the server's reply to it comes, the link goes into
   * `partition` with that reply first in line: the client gets it, and what follows, only on
   * heal. With the client process stopped (SIGSTOP) meanwhile, this is a process pause that
   * wakes up to a reply sent before its session expired: what a zombie acts on. Resolves
   * once the reply is held; rejects with DropInterruptedError if the connection ends first.
   */
  holdNextReply(
    name: string,
    options: { opTypes?: readonly number[] } = {},
  ): Promise<DroppedReply> {
    return this.armReply(name, 'hold', options);
  }

  private armReply(
    name: string,
    action: ReplyAction,
    options: { opTypes?: readonly number[] },
  ): Promise<DroppedReply> {
    const link = this.get(name);
    if (link.protocol !== 'zk-client') {
      throw new RangeError(`link "${name}" does not carry the ZooKeeper client protocol`);
    }
    if (link.armed !== null) throw new DropAlreadyArmedError(name);
    return new Promise<DroppedReply>((resolve, reject) => {
      link.armed = {
        action,
        opTypes: options.opTypes === undefined ? null : new Set(options.opTypes),
        resolve,
        reject,
      };
    });
  }

  /** Stops every listener and cuts every connection. Pending drops reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const links = [...this.links_.values()];
    this.links_.clear();
    await Promise.all(links.map((link) => this.closeLink(link)));
  }

  private async closeLink(link: Link): Promise<void> {
    const closing = new Promise<void>((resolve) => link.server.close(() => resolve()));
    for (const relay of [...link.relays]) relay.cut();
    if (link.armed !== null) {
      link.armed.reject(new ProxyClosedError(`link "${link.name}" was closed`));
      link.armed = null;
    }
    await closing;
  }

  private get(name: string): Link {
    const link = this.links_.get(name);
    if (link === undefined) throw new UnknownLinkError(name);
    return link;
  }
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`${what} must be a TCP port (1-65535), not ${port}`);
  }
}

function checkMode(mode: LinkMode): void {
  if (mode.kind === 'delay' && !(Number.isInteger(mode.ms) && mode.ms >= 0 && mode.ms <= 600_000)) {
    throw new RangeError(`delay must be a whole number of ms in [0, 600000], not ${mode.ms}`);
  }
}
