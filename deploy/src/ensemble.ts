import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  fourLetterWord,
  parseSrvr,
  parseWchs,
  type FourLetterWord,
  type SrvrReport,
} from './four-letter-words';
import { keytoolFor, makeTlsMaterial, type TlsMaterial } from './tls-material';
import { freePorts } from './ports';
import {
  isOurProcess,
  isPartlyPaused,
  isPaused,
  signalOurProcess,
  tailOf,
  waitForExit,
} from './processes';
import { renderZooConfig, type NodePorts } from './zoo-config';
import { FaultProxyControl, isDaemon, spawnFaultProxyDaemon } from './fault-proxy/control';
import { ensureZooKeeper, type ZooKeeperInstall } from './zookeeper-install';

export interface EnsembleOptions {
  /** Where configs, data, logs and the state file go. */
  stateDir: string;
  /** Number of servers; odd (1 runs standalone). Default 3. */
  size?: number;
  /** Default 200 ms: sessions of 0.4–4 s and quick failure detection. */
  tickTimeMs?: number;
  /** Java heap per server (-Xmx), in MiB. Default 512. */
  heapMb?: number;
  /**
   * Servers outlive this process (the `lab zk up` daemon mode). When false (the default),
   * a watchdog process kills them if this process dies without stopping them.
   */
  detached?: boolean;
  /**
   * Servers run in their own process group even when not detached, so that a Ctrl+C in the
   * owner's terminal reaches the owner alone, which stops what depends on the servers first
   * (`lab up` stops its apps, then the ensemble). The watchdog still kills them if the owner
   * dies. Default false.
   */
  ownProcessGroup?: boolean;
  /** How long `start()` waits for every server to serve. Default 30 s. */
  startTimeoutMs?: number;
  /** Progress lines. Default: none. */
  log?: (line: string) => void;
  /** The server to run; default: found or installed by ensureZooKeeper(). */
  install?: ZooKeeperInstall;
  /**
   * Servers reach their peers through a fault proxy daemon (default false): server i's
   * zoo.cfg names, for each peer j, the ports of the links `zk<i>-zk<j>:quorum` and
   * `zk<i>-zk<j>:election` (see serverLinkName), so isolateServer() can cut a server from its
   * peers while it still accepts clients. The daemon is recorded in the state file and
   * stopped with the ensemble (or by the watchdog); more links (apps) can be added to it.
   */
  faultProxy?: boolean;
  /**
   * Serve TLS clients too (default false): each server gets a secureClientPort, and keys and
   * certificates are made at create time with the JDK's keytool (see tls-material.ts): a CA,
   * the servers' identity, and client identities for the x509 scheme (default `alice` and
   * `bob`). `tls` tells the files; `secureConnectString()` the TLS ports.
   */
  tls?: boolean | { clients?: readonly string[] };
  /**
   * The only four-letter words the servers answer (`4lw.commands.whitelist`); default all.
   * It must hold `srvr`, by which the ensemble itself sees its servers serve.
   */
  fourLetterWords?: readonly FourLetterWord[];
}

/** The name of the proxy link by which server `from` reaches server `to`'s port. */
export function serverLinkName(from: number, to: number, port: 'quorum' | 'election'): string {
  return `zk${from}-zk${to}:${port}`;
}

/** A fault proxy operation on an ensemble created without `faultProxy`. */
export class NoFaultProxyError extends Error {
  override readonly name = 'NoFaultProxyError';
}

export interface EnsembleNode extends NodePorts {
  dir: string;
  configPath: string;
  logPath: string;
  /** The running server's pid, or null when it is stopped. */
  pid: number | null;
}

interface EnsembleState {
  version: 1;
  host: string;
  tickTimeMs: number;
  heapMb: number;
  detached: boolean;
  /** See EnsembleOptions.ownProcessGroup (absent in older state files: false). */
  ownProcessGroup?: boolean;
  install: ZooKeeperInstall;
  /** Pid of the process whose death the watchdog waits for; null for detached ensembles. */
  ownerPid: number | null;
  reaperPid: number | null;
  nodes: EnsembleNode[];
  /** The fault proxy daemon (absent or null: none). */
  faultProxy?: { pid: number; stateFile: string } | null;
  /** The keys and certificates of a TLS ensemble (absent or null: no TLS port). */
  tls?: TlsMaterial | null;
}

export type NodeStatus =
  | { id: number; clientPort: number; pid: number | null; state: 'down' }
  | { id: number; clientPort: number; pid: number; state: 'paused' }
  | {
      id: number;
      clientPort: number;
      pid: number;
      state: 'up';
      report: SrvrReport | null;
      /** Watches set on the server (`wchs`); null when it did not say. */
      watches: number | null;
      error?: string;
    };

/** The ensemble did not come up; the message has the tail of every server's log. */
export class EnsembleStartError extends Error {
  override readonly name = 'EnsembleStartError';
}

/** A state folder already holds an ensemble with live servers. */
export class EnsembleRunningError extends Error {
  override readonly name = 'EnsembleRunningError';
}

/** A server is not in the state an operation needs (not running, already running). */
export class ServerStateError extends Error {
  override readonly name = 'ServerStateError';
}

/** No ensemble has been created in a state folder. */
export class NoEnsembleError extends Error {
  override readonly name = 'NoEnsembleError';
}

const STATE_FILE = 'ensemble.json';
const HOST = '127.0.0.1';
const REAPER = resolve(__dirname, '..', 'reaper.cjs');

/**
 * A ZooKeeper ensemble of real server processes on 127.0.0.1, with ports chosen at run
 * time and everything kept in one state folder, so that another process (the `lab` CLI)
 * can open it again to report status, kill, pause or restart a server, or stop it.
 */
export class Ensemble {
  /** How servers started by this process ended, for start errors. */
  private readonly exits = new Map<number, string>();
  /** The server processes this object spawned, by server id (the last one of each). */
  private readonly children = new Map<number, ChildProcess>();

  private constructor(
    readonly stateDir: string,
    private state: EnsembleState,
    private readonly log: (line: string) => void,
  ) {}

  /** Creates the configs of a new ensemble (nothing is started yet: call start()). */
  static async create(options: EnsembleOptions): Promise<Ensemble> {
    const size = options.size ?? 3;
    if (!Number.isInteger(size) || size < 1 || size % 2 === 0) {
      throw new RangeError(`an ensemble needs an odd number of servers (1, 3, 5, …), not ${size}`);
    }
    const stateDir = resolve(options.stateDir);
    const log = options.log ?? (() => undefined);
    if (existsSync(join(stateDir, STATE_FILE))) {
      const previous = Ensemble.open(stateDir, log);
      if (previous.nodes.some((n) => previous.running(n))) {
        throw new EnsembleRunningError(
          `an ensemble is already running from ${stateDir} (client ports ${previous.nodes
            .map((n) => n.clientPort)
            .join(', ')}); stop it first (lab zk down)`,
        );
      }
      await previous.proxyControl()?.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
    if (options.fourLetterWords !== undefined && !options.fourLetterWords.includes('srvr')) {
      throw new RangeError('fourLetterWords must allow srvr: the ensemble reads its servers by it');
    }
    const install = options.install ?? ensureZooKeeper({ log });
    const tickTimeMs = options.tickTimeMs ?? 200;
    const secure = options.tls !== undefined && options.tls !== false;
    const perNode = secure ? 4 : 3;
    const ports = await freePorts(size * perNode, HOST);
    const all: NodePorts[] = Array.from({ length: size }, (_, i) => ({
      id: i + 1,
      clientPort: ports[i * perNode]!,
      quorumPort: ports[i * perNode + 1]!,
      electionPort: ports[i * perNode + 2]!,
      ...(secure ? { secureClientPort: ports[i * perNode + 3]! } : {}),
    }));
    mkdirSync(stateDir, { recursive: true });
    let tls: TlsMaterial | null = null;
    if (secure) {
      const clients = (typeof options.tls === 'object' ? options.tls.clients : undefined) ?? [
        'alice',
        'bob',
      ];
      log('making TLS keys and certificates with keytool');
      tls = await makeTlsMaterial(join(stateDir, 'tls'), {
        keytool: keytoolFor(install.java),
        clients,
      });
    }
    const detachedProxy = options.detached ?? false;
    const proxy = options.faultProxy
      ? await spawnFaultProxyDaemon({
          stateFile: join(stateDir, 'fault-proxy.json'),
          ownerPid: detachedProxy ? null : process.pid,
        })
      : null;
    const peerPorts = new Map<number, Map<number, { quorumPort: number; electionPort: number }>>();
    if (proxy !== null) {
      try {
        for (const from of all) {
          const peers = new Map<number, { quorumPort: number; electionPort: number }>();
          for (const to of all.filter((n) => n.id !== from.id)) {
            const quorum = await proxy.addLink(serverLinkName(from.id, to.id, 'quorum'), {
              targetPort: to.quorumPort,
              protocol: 'raw',
            });
            const election = await proxy.addLink(serverLinkName(from.id, to.id, 'election'), {
              targetPort: to.electionPort,
              protocol: 'zk-election',
            });
            peers.set(to.id, { quorumPort: quorum.listenPort, electionPort: election.listenPort });
          }
          peerPorts.set(from.id, peers);
        }
      } catch (err) {
        await proxy.stop();
        throw err;
      }
    }
    const nodes = all.map((ports): EnsembleNode => {
      const dir = join(stateDir, `node-${ports.id}`);
      const dataDir = join(dir, 'data');
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(join(dataDir, 'myid'), `${ports.id}\n`);
      const configPath = join(dir, 'zoo.cfg');
      writeFileSync(
        configPath,
        renderZooConfig(ports, all, {
          tickTimeMs,
          dataDir,
          host: HOST,
          peerPorts: peerPorts.get(ports.id),
          ...(options.fourLetterWords === undefined
            ? {}
            : { fourLetterWords: options.fourLetterWords }),
          ...(tls === null
            ? {}
            : {
                tls: {
                  keystore: tls.serverKeystore,
                  truststore: tls.truststore,
                  password: tls.password,
                },
              }),
        }),
      );
      return { ...ports, dir, configPath, logPath: join(dir, 'server.log'), pid: null };
    });
    const detached = options.detached ?? false;
    const ensemble = new Ensemble(
      stateDir,
      {
        version: 1,
        host: HOST,
        tickTimeMs,
        heapMb: options.heapMb ?? 512,
        detached,
        ownProcessGroup: options.ownProcessGroup ?? false,
        install,
        ownerPid: detached ? null : process.pid,
        reaperPid: null,
        nodes,
        faultProxy: proxy === null ? null : { pid: proxy.pid, stateFile: proxy.stateFile },
        tls,
      },
      log,
    );
    ensemble.save();
    if (!detached) ensemble.startReaper();
    return ensemble;
  }

  /** Opens the ensemble kept in a state folder by an earlier create(). */
  static open(stateDir: string, log: (line: string) => void = () => undefined): Ensemble {
    const file = join(resolve(stateDir), STATE_FILE);
    if (!existsSync(file)) throw new NoEnsembleError(`no ensemble in ${resolve(stateDir)}`);
    const state = JSON.parse(readFileSync(file, 'utf8')) as EnsembleState;
    return new Ensemble(resolve(stateDir), state, log);
  }

  /** Creates and starts an ensemble, and waits until every server serves. */
  static async start(options: EnsembleOptions & { startTimeoutMs?: number }): Promise<Ensemble> {
    const ensemble = await Ensemble.create(options);
    try {
      await ensemble.start(options.startTimeoutMs);
    } catch (err) {
      await ensemble.stop();
      throw err;
    }
    return ensemble;
  }

  get nodes(): readonly EnsembleNode[] {
    return this.state.nodes;
  }

  get size(): number {
    return this.state.nodes.length;
  }

  get tickTimeMs(): number {
    return this.state.tickTimeMs;
  }

  /** `host:port,…` of every server, or of the given ones. */
  connectString(ids: number[] = this.state.nodes.map((n) => n.id)): string {
    return ids.map((id) => `${this.state.host}:${this.node(id).clientPort}`).join(',');
  }

  /** `host:port,…` of every server's TLS port, or of the given ones (a TLS ensemble only). */
  secureConnectString(ids: number[] = this.state.nodes.map((n) => n.id)): string {
    return ids
      .map((id) => {
        const port = this.node(id).secureClientPort;
        if (port === undefined) throw new RangeError('this ensemble has no TLS port (tls: true)');
        return `${this.state.host}:${port}`;
      })
      .join(',');
  }

  /** The keys and certificates of a TLS ensemble, or null. */
  get tls(): TlsMaterial | null {
    return this.state.tls ?? null;
  }

  node(id: number): EnsembleNode {
    const node = this.state.nodes.find((n) => n.id === id);
    if (!node) {
      throw new RangeError(`no server ${id}: this ensemble has servers 1 to ${this.size}`);
    }
    return node;
  }

  /** Is the server's process alive (running or paused)? */
  isRunning(id: number): boolean {
    this.refresh();
    return this.running(this.node(id));
  }

  private running(node: EnsembleNode): boolean {
    return node.pid !== null && isOurProcess(node.pid, node.configPath);
  }

  /** Starts every server that is not running and waits until all serve. */
  async start(timeoutMs = 30_000): Promise<void> {
    this.refresh();
    for (const node of this.state.nodes) {
      if (!this.running(node)) this.spawnNode(node);
    }
    this.save();
    await this.waitUntilServing(
      this.state.nodes.map((n) => n.id),
      timeoutMs,
    );
  }

  /** Starts one stopped server again (same ports, same data) and waits until it serves. */
  async startNode(id: number, timeoutMs = 30_000): Promise<void> {
    this.refresh();
    const node = this.node(id);
    if (this.running(node))
      throw new ServerStateError(`server ${id} is already running (pid ${node.pid})`);
    this.spawnNode(node);
    this.save();
    await this.waitUntilServing([id], timeoutMs);
  }

  /** Sends a signal to one server (SIGKILL by default) and waits until its process is gone. */
  async killNode(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.refresh();
    const node = this.node(id);
    if (node.pid === null || !this.running(node))
      throw new ServerStateError(`server ${id} is not running`);
    // SIGKILL ends a stopped process as it is; any other signal waits for SIGCONT, and a
    // server thawed first would send what it had under way before it dies.
    if (signal !== 'SIGKILL' && isPartlyPaused(node.pid)) process.kill(node.pid, 'SIGCONT');
    signalOurProcess(node.pid, node.configPath, signal);
    if (!(await waitForExit(node.pid, node.configPath, 10_000))) {
      signalOurProcess(node.pid, node.configPath, 'SIGKILL');
      await waitForExit(node.pid, node.configPath, 10_000);
    }
    node.pid = null;
    this.save();
  }

  /** Freezes one server with SIGSTOP: its sockets stay open but it answers nothing. */
  pauseNode(id: number): void {
    this.refresh();
    const node = this.node(id);
    if (node.pid === null || !signalOurProcess(node.pid, node.configPath, 'SIGSTOP')) {
      throw new ServerStateError(`server ${id} is not running`);
    }
    // A signal is delivered asynchronously: return once the process is stopped, so that
    // what the caller does next meets a paused server.
    const pid = node.pid;
    waitSync(() => isPaused(pid), 2_000);
  }

  /** Lets a paused server run again (SIGCONT). */
  resumeNode(id: number): void {
    this.refresh();
    const node = this.node(id);
    if (node.pid === null || !signalOurProcess(node.pid, node.configPath, 'SIGCONT')) {
      throw new ServerStateError(`server ${id} is not running`);
    }
    const pid = node.pid;
    waitSync(() => !isPartlyPaused(pid), 2_000);
  }

  /** Stops every server (SIGTERM, then SIGKILL after 5 s) and, by default, deletes the state folder. */
  async stop(options: { keepState?: boolean } = {}): Promise<void> {
    this.refresh();
    await Promise.all(
      this.state.nodes.map(async (node) => {
        if (node.pid === null || !this.running(node)) return;
        if (isPartlyPaused(node.pid)) process.kill(node.pid, 'SIGCONT');
        signalOurProcess(node.pid, node.configPath, 'SIGTERM');
        if (!(await waitForExit(node.pid, node.configPath, 5_000))) {
          signalOurProcess(node.pid, node.configPath, 'SIGKILL');
          await waitForExit(node.pid, node.configPath, 5_000);
        }
        node.pid = null;
      }),
    );
    await this.proxyControl()?.stop();
    if (this.state.reaperPid !== null) {
      try {
        process.kill(this.state.reaperPid, 'SIGTERM');
      } catch {
        // already gone
      }
      this.state.reaperPid = null;
    }
    if (options.keepState) this.save();
    else rmSync(this.stateDir, { recursive: true, force: true });
  }

  /** One row per server: down, paused, or up with what `srvr` says. */
  async status(): Promise<NodeStatus[]> {
    this.refresh();
    return Promise.all(
      this.state.nodes.map(async (node): Promise<NodeStatus> => {
        const base = { id: node.id, clientPort: node.clientPort };
        if (node.pid === null || !this.running(node)) return { ...base, pid: null, state: 'down' };
        if (isPaused(node.pid)) return { ...base, pid: node.pid, state: 'paused' };
        try {
          const [srvr, wchs] = await Promise.all([
            fourLetterWord(this.state.host, node.clientPort, 'srvr'),
            fourLetterWord(this.state.host, node.clientPort, 'wchs').catch(() => ''),
          ]);
          return {
            ...base,
            pid: node.pid,
            state: 'up',
            report: parseSrvr(srvr),
            watches: parseWchs(wchs),
          };
        } catch (err) {
          return {
            ...base,
            pid: node.pid,
            state: 'up',
            report: null,
            watches: null,
            error: (err as Error).message,
          };
        }
      }),
    );
  }

  /** The fault proxy daemon's control, or null when the ensemble runs without proxies. */
  proxyControl(): FaultProxyControl | null {
    this.refresh();
    const proxy = this.state.faultProxy;
    if (proxy === undefined || proxy === null || !isDaemon(proxy.pid, proxy.stateFile)) return null;
    return FaultProxyControl.open(proxy.stateFile);
  }

  /**
   * Partitions every link between server `id` and its peers, both ways: it is cut from the
   * quorum but still accepts clients (which it cannot serve once it sees no quorum).
   */
  async isolateServer(id: number): Promise<void> {
    this.node(id);
    const others = this.state.nodes.map((n) => n.id).filter((n) => n !== id);
    await this.partitionServers([id], others);
  }

  /** Partitions every server link between the two groups, both ways. */
  async partitionServers(groupA: readonly number[], groupB: readonly number[]): Promise<void> {
    const control = this.requireProxy();
    const names: string[] = [];
    for (const a of groupA) {
      for (const b of groupB) {
        this.node(a);
        this.node(b);
        for (const port of ['quorum', 'election'] as const) {
          names.push(serverLinkName(a, b, port), serverLinkName(b, a, port));
        }
      }
    }
    await control.setModes(names, { kind: 'partition' });
  }

  /** Every server-to-server link back to pass (app links are left as they are). */
  async healServers(): Promise<void> {
    const control = this.requireProxy();
    const names = (await control.links())
      .map((l) => l.name)
      .filter((name) => /^zk\d+-zk\d+:/.test(name));
    await control.setModes(names, { kind: 'pass' });
  }

  private requireProxy(): FaultProxyControl {
    const control = this.proxyControl();
    if (control === null) {
      throw new NoFaultProxyError(`the ensemble in ${this.stateDir} runs without a fault proxy`);
    }
    return control;
  }

  /** The id of the server that leads (or runs standalone), or null when none does now. */
  async leaderId(): Promise<number | null> {
    const rows = await this.status();
    const leader = rows.find(
      (r) => r.state === 'up' && (r.report?.mode === 'leader' || r.report?.mode === 'standalone'),
    );
    return leader ? leader.id : null;
  }

  /** Waits until a leader serves with a majority of servers following it. */
  async waitForQuorum(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.status();
      const modes = rows.flatMap((r) => (r.state === 'up' && r.report ? [r.report.mode] : []));
      const leader = rows.find(
        (r) => r.state === 'up' && (r.report?.mode === 'leader' || r.report?.mode === 'standalone'),
      );
      const serving = modes.filter((m) => m === 'leader' || m === 'follower' || m === 'standalone');
      if (leader && serving.length > this.size / 2) return leader.id;
      if (Date.now() > deadline) throw this.startError('no quorum', timeoutMs);
      await sleep(50);
    }
  }

  /**
   * Undoes whatever a test did to the servers: resumes the paused ones, starts the stopped
   * ones (same ports, same data), and waits until every server serves.
   */
  async restoreAll(timeoutMs = 30_000): Promise<void> {
    this.refresh();
    const paused = this.state.nodes.filter(
      (node) => this.running(node) && node.pid !== null && isPartlyPaused(node.pid),
    );
    for (const node of paused) this.resumeNode(node.id);
    for (const node of this.state.nodes) {
      if (!this.running(node)) this.spawnNode(node);
    }
    this.save();
    await this.waitForAll(timeoutMs);
  }

  /** Waits until every server runs and serves (answers srvr with a mode). */
  async waitForAll(timeoutMs = 30_000): Promise<void> {
    this.refresh();
    await this.waitUntilServing(
      this.state.nodes.map((n) => n.id),
      timeoutMs,
    );
  }

  private async waitUntilServing(ids: number[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = (await this.status()).filter((r) => ids.includes(r.id));
      const dead = rows.find((r) => r.state === 'down' && !this.spawnedAndAlive(r.id));
      if (dead) {
        await sleep(100); // let the exit event of a server this process started arrive
        const how = this.exits.get(dead.id);
        throw this.startError(
          `server ${dead.id} exited while starting${how === undefined ? '' : ` (${how})`}`,
          timeoutMs,
        );
      }
      if (rows.every((r) => r.state === 'up' && r.report !== null)) return;
      if (Date.now() > deadline) {
        const waiting = rows.filter((r) => !(r.state === 'up' && r.report)).map((r) => r.id);
        throw this.startError(`server(s) ${waiting.join(', ')} not serving`, timeoutMs);
      }
      await sleep(50);
    }
  }

  /**
   * A server this process spawned and has heard no exit of: not dead, whatever a read of
   * /proc said a moment ago (a CI run under load was told "server 2 exited while starting"
   * of a server whose exit never came).
   */
  private spawnedAndAlive(id: number): boolean {
    const child = this.children.get(id);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  private startError(what: string, timeoutMs: number): EnsembleStartError {
    const logs = this.state.nodes
      .map((n) => `--- server ${n.id} (${n.logPath}) ---\n${tailOf(n.logPath)}`)
      .join('\n');
    return new EnsembleStartError(`ZooKeeper ensemble: ${what} within ${timeoutMs} ms.\n${logs}`);
  }

  private spawnNode(node: EnsembleNode): void {
    const { install, heapMb } = this.state;
    // A server outlives this process when the ensemble is detached, and also when another
    // process owns the ensemble (`lab zk start N` on a running `lab up`): the owner stops
    // it through the state file, and the watchdog if the owner dies.
    const detached = this.state.detached || this.state.ownerPid !== process.pid;
    const out = openSync(node.logPath, 'a');
    try {
      const child = spawn(
        install.java,
        [
          `-Xmx${heapMb}m`,
          '-Xms64m',
          `-Dzookeeper.log.dir=${node.dir}`,
          '-Dorg.slf4j.simpleLogger.showDateTime=true',
          "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
          '-Dorg.slf4j.simpleLogger.logFile=System.out',
          '-cp',
          install.classpath.join(':'),
          'org.apache.zookeeper.server.quorum.QuorumPeerMain',
          node.configPath,
        ],
        {
          cwd: node.dir,
          stdio: ['ignore', out, out],
          detached: detached || this.state.ownProcessGroup === true,
        },
      );
      if (child.pid === undefined) throw new EnsembleStartError(`could not start ${install.java}`);
      child.on('error', (err) => this.log(`server ${node.id}: ${err.message}`));
      child.once('exit', (code, signal) => {
        this.exits.set(node.id, signal === null ? `exit code ${code}` : `signal ${signal}`);
      });
      this.exits.delete(node.id);
      this.children.set(node.id, child);
      if (detached) child.unref();
      node.pid = child.pid;
      this.log(`server ${node.id} started (pid ${child.pid}, client port ${node.clientPort})`);
    } finally {
      closeSync(out);
    }
  }

  /** A detached watchdog that kills the servers if this process dies without stop(). */
  private startReaper(): void {
    const reaper = spawn(
      process.execPath,
      [REAPER, String(process.pid), join(this.stateDir, STATE_FILE)],
      {
        stdio: 'ignore',
        detached: true,
      },
    );
    reaper.unref();
    this.state.reaperPid = reaper.pid ?? null;
    this.save();
  }

  /**
   * Re-reads the state file: another process (a `lab zk` command) may have killed or
   * restarted a server since, and the file is the one record of the servers' pids.
   */
  private refresh(): void {
    const file = join(this.stateDir, STATE_FILE);
    if (existsSync(file)) this.state = JSON.parse(readFileSync(file, 'utf8')) as EnsembleState;
  }

  private save(): void {
    const file = join(this.stateDir, STATE_FILE);
    mkdirSync(this.stateDir, { recursive: true });
    writeFileSync(`${file}.tmp`, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }
}

/** Polls `condition` every 5 ms, blocking, for at most `timeoutMs` (signal delivery is quick). */
function waitSync(condition: () => boolean, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (!condition() && Date.now() < deadline) Atomics.wait(cell, 0, 0, 5);
}
