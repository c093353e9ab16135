import { ChangeLog, EventRate, RenderBacklog } from './change-log';

describe('the event log, its rate and its backlog', () => {
  it('keeps the last N entries, oldest first', () => {
    const log = new ChangeLog(3);
    for (let i = 0; i < 5; i++) log.add({ at: i, kind: 'created', path: `/n${i}`, session: null });
    expect(log.last(10).map((e) => e.path)).toEqual(['/n2', '/n3', '/n4']);
    expect(log.last(2).map((e) => e.path)).toEqual(['/n3', '/n4']);
    expect(log.last(0)).toEqual([]);
  });

  it('counts events per second over the last full seconds', () => {
    const clock = { now: 10_000 };
    const rate = new EventRate(() => clock.now, 5);
    for (let s = 0; s < 5; s++) {
      rate.count(200);
      clock.now += 1_000;
    }
    expect(rate.perSecond()).toBe(200);
    clock.now += 10_000;
    expect(rate.perSecond()).toBe(0);
  });

  it('says it falls behind only when an event waits undrawn longer than the lag', () => {
    const clock = { now: 0 };
    const backlog = new RenderBacklog(() => clock.now, 1_000);
    for (let i = 0; i < 300; i++) backlog.arrived();
    expect(backlog.queued).toBe(300);
    expect(backlog.behind()).toBe(0);
    clock.now = 1_001;
    expect(backlog.behind()).toBe(300);
    backlog.drewUpTo(250);
    expect(backlog.queued).toBe(50);
    backlog.drewUpTo(300);
    expect(backlog.behind()).toBe(0);
  });
});
