/**
 * The order in which a client's caller sees what the server sent: replies, watch events and
 * what the session says of them (a lost connection, the end of the session), in arrival
 * order, as the Java client's single event thread dispatches them.
 *
 * A reply settles a promise; its caller's `await` goes on only after several microtasks,
 * while an event's listeners run at once. So an event read right behind a reply, run at
 * once, would be seen before the reply's older data. Such an event goes into a queue and
 * runs on the next macrotask (setImmediate), when the continuations of the replies before
 * it have run; everything that arrives behind it waits in the queue for it. The common
 * path costs nothing more: a reply with nothing queued settles at once, and so does an
 * event with no reply before it in the same turn.
 */
import { Fifo } from './fifo';

interface Item {
  /** `reply`: settles a promise; `event`: runs listeners; `state`: runs listeners, in order. */
  kind: 'reply' | 'event' | 'state';
  run: () => void;
}

export class DispatchOrder {
  private readonly queue = new Fifo<Item>();
  private scheduled = false;
  /** A reply settled in this turn: its caller's continuation may not have run yet. */
  private replySettled = false;

  /** Settles a reply (its promise), now unless something waits before it. */
  reply(settle: () => void): void {
    if (this.queue.length > 0) {
      this.queue.push({ kind: 'reply', run: settle });
      return;
    }
    settle();
    if (!this.replySettled) {
      this.replySettled = true;
      // Microtasks run to the end once started, and an event comes only from a socket
      // read (a macrotask): by the next one, the continuations queued before this have run.
      queueMicrotask(this.endTurn);
    }
  }

  /**
   * Runs a watch event's listeners: now if no reply settled in this turn and nothing waits,
   * else on a later macrotask, after the replies before it were seen.
   */
  event(emit: () => void): void {
    if (this.queue.length === 0 && !this.replySettled) {
      emit();
      return;
    }
    this.queue.push({ kind: 'event', run: emit });
    this.schedule();
  }

  /**
   * Runs what the session tells its listeners (a state change, None events, the requests
   * failed with a connection): now unless something waits before it. As today, a state
   * event that follows replies runs before their continuations.
   */
  state(run: () => void): void {
    if (this.queue.length === 0) {
      run();
      return;
    }
    this.queue.push({ kind: 'state', run });
  }

  private readonly endTurn = (): void => {
    this.replySettled = false;
  };

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    let settled = false;
    for (;;) {
      const item = this.queue.peek();
      if (item === undefined) return;
      // An event behind a reply settled in this turn waits for the next one.
      if (item.kind === 'event' && settled) {
        this.schedule();
        return;
      }
      this.queue.shift();
      try {
        item.run();
      } catch (error) {
        // The items run here catch their listeners' errors; this would be a bug: keep order.
        if (this.queue.length > 0) this.schedule();
        throw error;
      }
      if (item.kind === 'reply') settled = true;
    }
  };
}
