import type { SessionView } from '../protocol';
import { KEEP_EXPIRED_MS, SessionMemory } from './session-memory';

const session = (id: string): SessionView => ({
  id,
  owner: 'w2',
  server: 1,
  timeoutMs: 4000,
  ephemerals: ['/zk-lab/workers/w2'],
  connected: false,
  expiresBy: 5000,
  because: 'client paused',
});

describe('the sessions panel memory', () => {
  it('keeps a session that vanished, marked gone, for a while, then drops it', () => {
    const memory = new SessionMemory();
    memory.update([session('0x1'), session('0x2')], 0);
    const after = memory.update([session('0x1')], 1000);
    expect(after.map((line) => [line.session.id, line.goneAt])).toEqual([
      ['0x1', null],
      ['0x2', 1000],
    ]);
    expect(memory.update([session('0x1')], 2000)[1]?.goneAt).toBe(1000);
    expect(memory.update([session('0x1')], 1000 + KEEP_EXPIRED_MS)).toHaveLength(1);
  });

  it('forgets the mark when the session shows up again', () => {
    const memory = new SessionMemory();
    memory.update([session('0x1')], 0);
    memory.update([], 1);
    expect(memory.update([session('0x1')], 2)).toEqual([{ session: session('0x1'), goneAt: null }]);
  });
});
