/**
 * DispatchOrder on its own: what a caller sees when replies, events and state changes are
 * handed to it in one turn (event-order.test.ts shows it with a server and a proxy).
 */
import { DispatchOrder } from './dispatch-order';

/** A call whose caller records `name` once its `await` went on (a few microtasks later). */
function pendingCall(seen: string[], name: string): { settle: () => void; done: Promise<void> } {
  let settle: () => void = () => undefined;
  const reply = new Promise<void>((resolve) => (settle = resolve));
  const done = (async () => {
    await reply;
    await Promise.resolve();
    await Promise.resolve();
    seen.push(name);
  })();
  return { settle: () => settle(), done };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('DispatchOrder', () => {
  it('shows replies, events and state changes read in one turn in that order', async () => {
    const order = new DispatchOrder();
    const seen: string[] = [];
    const [r1, r2, r3] = ['r1', 'r2', 'r3'].map((name) => pendingCall(seen, name));
    order.reply(r1!.settle);
    order.event(() => seen.push('e1'));
    order.reply(r2!.settle);
    order.event(() => seen.push('e2'));
    order.state(() => seen.push('s'));
    order.reply(r3!.settle);
    expect(seen).toEqual([]);
    await Promise.all([r1!.done, r2!.done, r3!.done]);
    expect(seen).toEqual(['r1', 'e1', 'r2', 'e2', 's', 'r3']);
  });

  it('runs at once an event with no reply before it in the turn, and a state change', async () => {
    const order = new DispatchOrder();
    const seen: string[] = [];
    const r1 = pendingCall(seen, 'r1');
    order.event(() => seen.push('e1'));
    order.reply(r1.settle);
    order.state(() => seen.push('s'));
    expect(seen).toEqual(['e1', 's']);
    await r1.done;
    await nextTurn();
    // A later turn: the reply was seen, so the next event needs no wait.
    order.event(() => seen.push('e2'));
    expect(seen).toEqual(['e1', 's', 'r1', 'e2']);
  });
});
