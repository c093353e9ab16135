import { connect, type Socket } from 'node:net';
import { ElectionInitialRewriter } from './election-rewrite';
import { FrameScanner } from './frame-scanner';
import type { DroppedReply, LinkProtocol, SteadyLinkMode } from './modes';

/** The reserved xid of an AuthPacket (addAuth), request and reply. */
const AUTH_XID = -4;

/** What a relay asks of the link it belongs to. */
export interface RelayLink {
  readonly targetPort: number;
  readonly protocol: LinkProtocol;
  mode(): SteadyLinkMode;
  /** A request frame went to the server: is something armed for its reply? (binds it) */
  claimReply(relay: Relay, opType: number): ReplyAction | null;
  /** The reply of a claimed request was dropped and the connection cut. */
  dropped(relay: Relay, reply: DroppedReply): void;
  /** The reply of a claimed request is held: the link is to go into partition now. */
  held(relay: Relay, reply: DroppedReply): void;
  /** The relay is over (closed, cut, or its reply dropped). Called once. */
  ended(relay: Relay): void;
}

type Way = 'up' | 'down';

/** What becomes of the reply to a claimed request: dropped (and the connection cut), or held. */
export type ReplyAction = 'drop' | 'hold';

/** One direction of a connection: `up` is client to server, `down` server to client. */
class Direction {
  readonly queue: { chunk: Buffer; due: number }[] = [];
  timer: NodeJS.Timeout | null = null;
  waitingDrain = false;
  /** The source ended (FIN) or was reset (hadError); passed on once the queue is empty. */
  sourceClosed: { hadError: boolean } | null = null;
  /** The end was passed on (a half-close of the other side). */
  passed = false;

  stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

const HOST = '127.0.0.1';
/**
 * How long a server-to-server link tries again when its target refuses the onward connect.
 * The peer's own connect was accepted by the proxy, so it cannot see the refusal and retry
 * as it would on a real network (a learner tries the leader's port 5 times, 1 s apart): a
 * follower that reached the new leader's port a few milliseconds before the leader listened
 * got a reset instead, went back to the election, and could not follow that leader until
 * its initLimit ran out (seen as a 10 to 25 s election in `lab chaos` and the ensemble
 * proxy test). A client link passes the refusal on at once, so that a client fails over.
 */
const PEER_CONNECT_RETRY_MS = 2_000;
const PEER_CONNECT_RETRY_EVERY_MS = 50;

/**
 * One accepted connection and its onward connection to the target. Bytes go through a
 * per-direction queue only when the link delays or holds them; in `pass` with nothing
 * queued a chunk is written straight on (the ZooKeeper frame scan reads only frame heads).
 */
export class Relay {
  private server: Socket | null = null;
  private serverConnected = false;
  private over = false;
  private readonly up = new Direction();
  private readonly down = new Direction();
  private readonly upFrames: FrameScanner | null;
  private readonly downFrames: FrameScanner | null;
  private readonly election: ElectionInitialRewriter | null;
  /** The request whose reply is to be dropped or held, once this connection carried it. */
  private replyOf: (DroppedReply & { action: ReplyAction }) | null = null;
  /**
   * Set once a reply was held: the down scan stopped inside it, so this connection's frames
   * are not followed any more (nothing more is claimed on it).
   */
  private framesLost = false;

  constructor(
    private readonly client: Socket,
    private readonly link: RelayLink,
  ) {
    const zkClient = link.protocol === 'zk-client';
    this.upFrames = zkClient ? new FrameScanner() : null;
    this.downFrames = zkClient ? new FrameScanner() : null;
    this.election = link.protocol === 'zk-election' ? new ElectionInitialRewriter() : null;
    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => this.onData('up', chunk));
    client.on('error', () => undefined); // 'close' follows, with hadError
    client.on('end', () => this.onSourceClosed('up', false));
    client.on('close', (hadError) => this.onSourceClosed('up', hadError));
    this.apply();
  }

  get isOver(): boolean {
    return this.over;
  }

  /** Makes the connection follow the link's current mode; called on every mode change. */
  apply(): void {
    if (this.over) return;
    const mode = this.link.mode();
    if (mode.kind === 'partition') {
      this.up.stopTimer();
      this.down.stopTimer();
    } else {
      // A client that left while held is not connected onward on heal.
      if (this.server === null && this.up.sourceClosed === null) this.connectOnward();
      for (const way of ['up', 'down'] as const) {
        const direction = this.direction(way);
        if (mode.kind === 'pass') for (const item of direction.queue) item.due = 0;
        direction.stopTimer();
        this.drain(way);
        if (this.over) return;
      }
    }
    this.updateFlow();
  }

  /** Resets both sides at once (the `reset` mode, or the proxy closing). */
  cut(): void {
    if (this.over) return;
    this.client.resetAndDestroy();
    this.server?.resetAndDestroy();
    this.end();
  }

  private connectOnward(retryUntil = Date.now() + PEER_CONNECT_RETRY_MS): void {
    // Half-open: a four-letter word is sent with a FIN and answered after it.
    const server = connect({ host: HOST, port: this.link.targetPort, allowHalfOpen: true });
    this.server = server;
    let retrying = false;
    server.setNoDelay(true);
    server.on('connect', () => {
      this.serverConnected = true;
      this.apply();
    });
    server.on('data', (chunk: Buffer) => this.onData('down', chunk));
    server.on('error', (error: NodeJS.ErrnoException) => {
      // Else 'close' follows, with hadError.
      if (
        error.code !== 'ECONNREFUSED' ||
        this.serverConnected ||
        this.link.protocol === 'zk-client' ||
        Date.now() >= retryUntil
      ) {
        return;
      }
      retrying = true;
      this.server = null;
      setTimeout(() => {
        const waiting = !this.over && this.up.sourceClosed === null && this.server === null;
        if (waiting && this.link.mode().kind !== 'partition') this.connectOnward(retryUntil);
      }, PEER_CONNECT_RETRY_EVERY_MS);
    });
    server.on('end', () => this.onSourceClosed('down', false));
    server.on('close', (hadError) => {
      if (!retrying) this.onSourceClosed('down', hadError);
    });
  }

  private direction(way: Way): Direction {
    return way === 'up' ? this.up : this.down;
  }

  private target(way: Way): Socket | null {
    if (way === 'down') return this.client;
    return this.serverConnected ? this.server : null;
  }

  /** A socket is read only while the link lets bytes through and the other side keeps up. */
  private updateFlow(): void {
    if (this.over) return;
    const flowing = this.link.mode().kind !== 'partition';
    if (flowing && this.serverConnected && !this.up.waitingDrain) this.client.resume();
    else this.client.pause();
    if (this.server !== null) {
      if (flowing && !this.down.waitingDrain) this.server.resume();
      else this.server.pause();
    }
  }

  private onData(way: Way, chunk: Buffer): void {
    if (this.over) return;
    const direction = this.direction(way);
    const mode = this.link.mode();
    if (mode.kind === 'pass' && direction.queue.length === 0 && this.target(way) !== null) {
      this.forward(way, chunk);
      return;
    }
    direction.queue.push({ chunk, due: Date.now() + (mode.kind === 'delay' ? mode.ms : 0) });
    this.drain(way);
  }

  /** Forwards what is due, in order; then passes on a close that waits behind it. */
  private drain(way: Way): void {
    const direction = this.direction(way);
    if (this.over || direction.timer !== null || this.link.mode().kind === 'partition') return;
    if (this.target(way) === null && direction.queue.length > 0) return; // not connected yet
    while (direction.queue.length > 0) {
      const wait = direction.queue[0]!.due - Date.now();
      if (wait > 0) {
        direction.timer = setTimeout(() => {
          direction.timer = null;
          this.drain(way);
        }, wait);
        return;
      }
      this.forward(way, direction.queue.shift()!.chunk);
      // A held reply put the link into partition: the rest waits for heal.
      if (this.over || this.link.mode().kind === 'partition') return;
    }
    if (direction.sourceClosed !== null && !direction.passed) {
      this.passClose(way, direction.sourceClosed.hadError);
    }
  }

  private forward(way: Way, chunk: Buffer): void {
    let bytes = chunk;
    if (way === 'up') {
      if (this.election !== null) bytes = this.election.rewrite(bytes);
      this.upFrames?.scan(bytes, (frame) => {
        if (
          this.replyOf === null &&
          !this.framesLost &&
          frame.index > 0 &&
          frame.xid !== null &&
          // A request's own xid, or the one xid every addAuth uses (its reply has it too).
          (frame.xid >= 0 || frame.xid === AUTH_XID) &&
          frame.opType !== null
        ) {
          const action = this.link.claimReply(this, frame.opType);
          if (action !== null) this.replyOf = { xid: frame.xid, opType: frame.opType, action };
        }
        return false;
      });
    } else if (this.downFrames !== null && !this.framesLost) {
      const cutAt = this.downFrames.scan(
        bytes,
        (frame) => this.replyOf !== null && frame.index > 0 && frame.xid === this.replyOf.xid,
      );
      if (cutAt !== null) {
        const before = bytes.subarray(0, Math.max(0, cutAt));
        if (this.replyOf!.action === 'drop') {
          this.dropReply(before);
          return;
        }
        this.holdReply(before, bytes.subarray(Math.max(0, cutAt)));
        return;
      }
    }
    if (bytes.length === 0) return;
    const target = this.target(way)!;
    const direction = this.direction(way);
    if (!target.write(bytes) && !direction.waitingDrain) {
      direction.waitingDrain = true;
      this.updateFlow();
      target.once('drain', () => {
        direction.waitingDrain = false;
        this.updateFlow();
      });
    }
  }

  /**
   * The client gets what came before the reply; the reply and all after it wait at the head
   * of the queue, and the link goes into partition (until heal).
   */
  private holdReply(before: Buffer, rest: Buffer): void {
    const reply = this.replyOf!;
    this.replyOf = null;
    this.framesLost = true;
    if (before.length > 0) this.client.write(before);
    this.down.queue.unshift({ chunk: rest, due: 0 });
    this.link.held(this, { xid: reply.xid, opType: reply.opType });
  }

  /** The client gets what came before the reply, then the connection ends; the server's side is reset. */
  private dropReply(before: Buffer): void {
    const reply = this.replyOf!;
    this.server?.resetAndDestroy();
    this.client.end(before, () => this.client.destroy());
    this.link.dropped(this, reply);
    this.end();
  }

  private onSourceClosed(way: Way, hadError: boolean): void {
    const direction = this.direction(way);
    // A 'close' after an 'end' already seen adds nothing unless it was a reset.
    if (this.over || (direction.sourceClosed !== null && !hadError)) return;
    direction.sourceClosed = { hadError };
    this.drain(way); // passes the close on unless partitioned or bytes still wait
  }

  /**
   * The source of `way` ended: half-close the other side (the connection is over once both
   * ways have ended); if it was reset, reset the other side.
   */
  private passClose(way: Way, hadError: boolean): void {
    const other = way === 'up' ? this.server : this.client;
    this.direction(way).passed = true;
    if (hadError || other === null) {
      if (other !== null && !other.destroyed) other.resetAndDestroy();
      const self = way === 'up' ? this.client : this.server;
      if (self !== null && !self.destroyed) self.destroy();
      this.end();
      return;
    }
    if (!other.destroyed) other.end();
    if (this.up.passed && this.down.passed) this.end();
  }

  private end(): void {
    if (this.over) return;
    this.over = true;
    this.up.stopTimer();
    this.down.stopTimer();
    this.link.ended(this);
  }
}
