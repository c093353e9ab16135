/**
 * GroupMember: three members, each on a client (a session) of its own, on the shared
 * ensemble. They see each other; one whose session the server ends rejoins in its new
 * session, and the others see it leave and come back, never twice; one that closes leaves.
 */
import type { ZkClient } from '@zk-lab/zk-client';
import { waitFor } from '@zk-lab/test';
import { Waitable } from '../cache/__tests__/event-log';
import { useNodeFixture } from './__tests__/node-fixture';
import { RecipeStateError } from '../common/lifecycle';
import { InvalidMemberIdError, NodeConflictError } from './errors';
import { GroupMember } from './group-member';

type Change = [event: 'joined' | 'updated' | 'left', id: string, payload: string, size: number];

describe('GroupMember', () => {
  const { root, opened, checker: checkerOf, connect, expire } = useNodeFixture();
  let checker: ZkClient;
  beforeAll(() => {
    checker = checkerOf();
  });

  /** A member on a client of its own; its changes record the group's size as it saw it. */
  async function join(group: string, id: string, payload: string) {
    const client = await connect();
    const member = new GroupMember(client, group, id, payload);
    opened.unshift(member);
    const changes = new Waitable<Change>();
    const record = (event: Change[0]) => (memberId: string, data?: Buffer) =>
      changes.push([event, memberId, data?.toString() ?? '', member.members().size]);
    member.on('joined', record('joined'));
    member.on('updated', record('updated'));
    member.on('left', record('left'));
    await member.start();
    return { client, member, changes };
  }

  function payloads(member: GroupMember): Record<string, string> {
    return Object.fromEntries([...member.members()].map(([id, data]) => [id, data.toString()]));
  }

  it('three members in separate sessions see each other, and a new payload', async () => {
    const group = `${root}/see`;
    const a = await join(group, 'a', 'pa');
    const b = await join(group, 'b', 'pb');
    const c = await join(group, 'c', 'pc');
    const all = { a: 'pa', b: 'pb', c: 'pc' };
    for (const m of [a, b, c]) {
      await m.changes.until('all three', () => m.member.members().size === 3);
      expect(payloads(m.member)).toEqual(all);
    }
    expect(new Set([a.client.sessionId, b.client.sessionId, c.client.sessionId]).size).toBe(3);

    await b.member.setPayload('pb2');
    for (const m of [a, c]) {
      await m.changes.until('b updated', (s) => s.some(([e, id]) => e === 'updated' && id === 'b'));
      expect(payloads(m.member)).toEqual({ ...all, b: 'pb2' });
    }
  });

  it('a member whose session expires rejoins in its new session, never seen twice', async () => {
    const group = `${root}/expiry`;
    const a = await join(group, 'a', 'pa');
    const b = await join(group, 'b', 'pb');
    const c = await join(group, 'c', 'pc');
    for (const m of [a, b]) await m.changes.until('all three', () => m.member.members().size === 3);
    const before = c.client.sessionId;
    const seenBefore = [a, b].map((m) => m.changes.items.length);

    await expire(c.client);
    for (const [i, m] of [a, b].entries()) {
      await m.changes.until('c left and joined again', (s) =>
        s.slice(seenBefore[i]).some(([e, id]) => e === 'joined' && id === 'c'),
      );
    }
    expect(c.client.sessionId).not.toBe(before);
    await checker.sync(`${group}/c`);
    const stat = await checker.exists(`${group}/c`);
    expect(stat?.ephemeralOwner).toBe(c.client.sessionId);
    expect((await checker.getChildren(group)).sort()).toEqual(['a', 'b', 'c']);

    [a, b].forEach((m, i) => {
      const after = m.changes.items.slice(seenBefore[i]);
      // c left (the group one smaller), then came back (three again): nothing else.
      expect(after).toEqual([
        ['left', 'c', '', 2],
        ['joined', 'c', 'pc', 3],
      ]);
      expect(payloads(m.member)).toEqual({ a: 'pa', b: 'pb', c: 'pc' });
    });
  });

  it('a member that closes leaves, and the others see it go', async () => {
    const group = `${root}/close`;
    const a = await join(group, 'a', 'pa');
    const b = await join(group, 'b', 'pb');
    const c = await join(group, 'c', 'pc');
    for (const m of [a, b]) await m.changes.until('all three', () => m.member.members().size === 3);

    await c.member.close();
    await checker.sync(group);
    expect((await checker.getChildren(group)).sort()).toEqual(['a', 'b']);
    for (const m of [a, b]) {
      await m.changes.until('c left', (s) => s.some(([e, id]) => e === 'left' && id === 'c'));
      expect(payloads(m.member)).toEqual({ a: 'pa', b: 'pb' });
    }
  });

  it('a second live member with the same id waits until the first one leaves', async () => {
    const group = `${root}/same-id`;
    const a = await join(group, 'a', 'first');
    const client = await connect();
    const twin = new GroupMember(client, group, 'a', 'second');
    opened.unshift(twin);
    const errors: Error[] = [];
    twin.on('error', (error) => errors.push(error));
    let joined = false;
    const starting = twin.start().then(() => (joined = true));
    await waitFor('the conflict reported', () => errors.length > 0);
    expect(errors).toEqual([expect.any(NodeConflictError)]);
    expect(joined).toBe(false);
    expect(payloads(a.member)).toEqual({ a: 'first' });

    await a.member.close();
    await starting;
    expect(payloads(twin)).toEqual({ a: 'second' });
    await checker.sync(`${group}/a`);
    const stat = await checker.exists(`${group}/a`);
    expect(stat?.ephemeralOwner).toBe(client.sessionId);
  });

  it('refuses a member id that is not a node name, and a payload before start()', async () => {
    const client = await connect();
    for (const id of ['', 'a/b', '.', '..']) {
      expect(() => new GroupMember(client, `${root}/bad`, id)).toThrow(InvalidMemberIdError);
    }
    const latent = new GroupMember(client, `${root}/latent`, 'a');
    await expect(latent.setPayload('early')).rejects.toThrow(RecipeStateError);
  });
});
