import { Fifo } from './fifo';

describe('Fifo', () => {
  it('gives items back oldest first, and undefined when empty', () => {
    const fifo = new Fifo<number>();
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.peek()).toBeUndefined();
    fifo.push(1);
    fifo.push(2);
    expect(fifo.peek()).toBe(1);
    expect(fifo.length).toBe(2);
    expect(fifo.shift()).toBe(1);
    fifo.push(3);
    expect([fifo.shift(), fifo.shift(), fifo.shift()]).toEqual([2, 3, undefined]);
    expect(fifo.length).toBe(0);
  });

  it('keeps the order through the compaction of a long pipeline', () => {
    const fifo = new Fifo<number>();
    const taken: number[] = [];
    let next = 0;
    // 5,000 in flight, then 20,000 more each pushed as one is taken, as replies come.
    for (; next < 5_000; next++) fifo.push(next);
    for (; next < 25_000; next++) {
      fifo.push(next);
      taken.push(fifo.shift()!);
    }
    expect(fifo.length).toBe(5_000);
    expect(fifo.peek()).toBe(20_000);
    taken.push(...fifo.drain());
    expect(taken).toEqual(Array.from({ length: 25_000 }, (_, i) => i));
    expect(fifo.length).toBe(0);
    expect(fifo.shift()).toBeUndefined();
  });
});
