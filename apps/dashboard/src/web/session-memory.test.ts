import type { SessionView } from '../protocol';
import { KEEP_GONE_MS, rowStateOf, SessionMemory } from './session-memory';

const session = (id: string, over: Partial<SessionView> = {}): SessionView => ({
  id,
  owner: 'w2',
  server: 1,
  timeoutMs: 4000,
  ephemerals: ['/zk-lab/workers/w2'],
  connected: false,
  expiresBy: 5000,
  expiryApproximate: false,
  expiryHeld: null,
  because: 'client paused',
  ended: null,
  endedAt: null,
  ...over,
});

describe('the sessions panel memory', () => {
  it('keeps a session that vanished without an end, marked gone (not expired: nobody saw it), for a while, then drops it', () => {
    const memory = new SessionMemory();
    memory.update([session('0x1'), session('0x2')], 0);
    const after = memory.update([session('0x1')], 1000);
    expect(after.map((line) => [line.session.id, line.goneAt, rowStateOf(line)])).toEqual([
      ['0x1', null, 'away'],
      ['0x2', 1000, 'gone'],
    ]);
    expect(memory.update([session('0x1')], 2000)[1]?.goneAt).toBe(1000);
    expect(memory.update([session('0x1')], 1000 + KEEP_GONE_MS)).toHaveLength(1);
  });

  it('forgets the mark when the session shows up again', () => {
    const memory = new SessionMemory();
    memory.update([session('0x1')], 0);
    memory.update([], 1);
    expect(memory.update([session('0x1')], 2)).toEqual([{ session: session('0x1'), goneAt: null }]);
  });

  it('shows how the feed says a session ended: a SIGTERMed app closed it, a killed one expired', () => {
    const memory = new SessionMemory();
    memory.update([session('0x1'), session('0x2')], 0);
    const lines = memory.update(
      [
        session('0x1', { ended: 'closed', endedAt: 900, connected: false, expiresBy: null }),
        session('0x2', { ended: 'expired', endedAt: 950, connected: false, expiresBy: null }),
      ],
      1000,
    );
    expect(lines.map(rowStateOf)).toEqual(['closed', 'expired']);
    // Once the feed stops listing an ended session, it is not kept again as "gone".
    expect(memory.update([], 20_000)).toEqual([]);
  });
});
