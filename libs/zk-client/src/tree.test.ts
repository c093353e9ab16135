import { sharedConnectString, testRoot } from '@zk-lab/test';
import { ZkClient } from './client';
import { digestAcl } from './auth';
import { InvalidPathError, NoAuthError } from './errors';
import { ANYONE_ID_UNSAFE, CreateMode, Perms } from './protocol';

const root = testRoot();
const clients: ZkClient[] = [];
let plain: ZkClient;

async function connect(options: { root?: string } = {}): Promise<ZkClient> {
  const client = await ZkClient.connect({ connectString: sharedConnectString(), ...options });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  plain = await connect();
  await plain.create(root);
});
afterAll(async () => {
  await plain.deleteRecursive(root);
  await Promise.all(clients.map((c) => c.close()));
});

describe('the root namespace option', () => {
  it('creates the namespace on connect and keeps every path under it', async () => {
    const scoped = await connect({ root: `${root}/ns/app` });
    expect(await plain.exists(`${root}/ns/app`)).not.toBeNull();
    expect(await scoped.create('/x', 'inside')).toBe('/x');
    expect((await plain.getData(`${root}/ns/app/x`)).data.toString()).toBe('inside');
    expect(await scoped.getChildren('/')).toEqual(['x']);
  });

  it('a second client with the same root sees the same nodes', async () => {
    const a = await connect({ root: `${root}/shared-ns` });
    const b = await connect({ root: `${root}/shared-ns` });
    await a.create('/seen');
    expect(await b.exists('/seen')).not.toBeNull();
  });

  it('proves `auth` before it creates the root with `rootAcl`, and others can join it', async () => {
    const ownerAcl = [
      digestAcl('owner', 'owner-secret'),
      { perms: Perms.READ, id: ANYONE_ID_UNSAFE },
    ];
    const owner = await ZkClient.connect({
      connectString: sharedConnectString(),
      root: `${root}/guarded`,
      rootAcl: ownerAcl,
      auth: [{ scheme: 'digest', credentials: 'owner:owner-secret' }],
    });
    clients.push(owner);
    expect((await owner.getACL('/')).acl).toEqual(ownerAcl);
    await owner.create('/mine');
    // A client that may not create in the root joins it all the same, read-only.
    const reader = await connect({ root: `${root}/guarded` });
    expect(await reader.getChildren('/')).toEqual(['mine']);
    await expect(reader.create('/theirs')).rejects.toBeInstanceOf(NoAuthError);
    await owner.delete('/mine');
  });

  it('rejects an invalid root before connecting', async () => {
    await expect(connect({ root: 'no-slash' })).rejects.toBeInstanceOf(InvalidPathError);
  });
});

describe('deleteGuaranteed', () => {
  it('deletes a node, counts a missing one as deleted, and does nothing once not needed', async () => {
    await plain.create(`${root}/g1`);
    await plain.create(`${root}/g2`);
    await plain.deleteGuaranteed(`${root}/g1`);
    expect(await plain.exists(`${root}/g1`)).toBeNull();
    await expect(plain.deleteGuaranteed(`${root}/g1`)).resolves.toBeUndefined();
    await plain.deleteGuaranteed(`${root}/g2`, { stillNeeded: () => false });
    expect(await plain.exists(`${root}/g2`)).not.toBeNull();
  });
});

describe('ensurePath and deleteRecursive', () => {
  it('ensurePath creates every missing ancestor and keeps what exists', async () => {
    await plain.create(`${root}/e`, 'kept');
    await plain.ensurePath(`${root}/e/f/g`);
    await plain.ensurePath(`${root}/e/f/g`);
    expect(await plain.exists(`${root}/e/f/g`)).not.toBeNull();
    expect((await plain.getData(`${root}/e`)).data.toString()).toBe('kept');
  });

  it('ensurePath works under an existing parent the caller may not create in (review 1.7)', async () => {
    // An admin's node, readable by all, with a folder under it that anyone may use.
    const admin = await connect();
    await admin.addAuth('digest', 'admin:secret');
    const owned = `${root}/owned`;
    await admin.create(owned, '', {
      acl: [digestAcl('admin', 'secret'), { perms: Perms.READ, id: ANYONE_ID_UNSAFE }],
    });
    await admin.create(`${owned}/locks`);
    await expect(plain.create(`${owned}/mine`)).rejects.toBeInstanceOf(NoAuthError);

    await plain.ensurePath(`${owned}/locks/job-7/part`);
    expect(await plain.exists(`${owned}/locks/job-7/part`)).not.toBeNull();
    // Where the caller may really not create, the error is still NoAuth.
    await expect(plain.ensurePath(`${owned}/mine/deeper`)).rejects.toBeInstanceOf(NoAuthError);
    await admin.deleteRecursive(owned);
  });

  it('concurrent ensurePath calls of the same path all succeed', async () => {
    await Promise.all(Array.from({ length: 20 }, () => plain.ensurePath(`${root}/c/d/e`)));
    expect(await plain.exists(`${root}/c/d/e`)).not.toBeNull();
  });

  it('deleteRecursive removes a whole subtree, and a missing path is fine', async () => {
    for (let i = 0; i < 10; i++) {
      await plain.ensurePath(`${root}/tree/branch-${i}/leaf`);
      await plain.create(`${root}/tree/branch-${i}/seq-`, '', {
        mode: CreateMode.PERSISTENT_SEQUENTIAL,
      });
    }
    await plain.deleteRecursive(`${root}/tree`);
    expect(await plain.exists(`${root}/tree`)).toBeNull();
    await plain.deleteRecursive(`${root}/tree`);
  });

  it('deleteRecursive keeps at most 1,000 requests in flight (review 1.17)', async () => {
    const wide = `${root}/wide`;
    await plain.create(wide);
    await Promise.all(Array.from({ length: 3_000 }, (_, i) => plain.create(`${wide}/leaf-${i}`)));
    let inFlight = 0;
    let most = 0;
    for (const name of ['getChildren', 'delete'] as const) {
      const original = plain[name].bind(plain) as (...args: unknown[]) => Promise<unknown>;
      jest.spyOn(plain, name).mockImplementation(((...args: unknown[]) => {
        inFlight++;
        most = Math.max(most, inFlight);
        return original(...args).finally(() => inFlight--);
      }) as never);
    }
    try {
      await plain.deleteRecursive(wide);
    } finally {
      jest.restoreAllMocks();
    }
    expect(await plain.exists(wide)).toBeNull();
    expect(most).toBe(1_000);
  });

  it('deleteRecursive refuses the root of the tree', async () => {
    await expect(plain.deleteRecursive('/')).rejects.toThrow(/would delete everything/);
  });
});

describe('protected create', () => {
  it('names the node with a unique _c_<uuid>- prefix before the given name', async () => {
    await plain.create(`${root}/p`);
    const a = await plain.create(`${root}/p/lock-`, '', {
      mode: CreateMode.EPHEMERAL_SEQUENTIAL,
      protected: true,
    });
    const b = await plain.create(`${root}/p/lock-`, '', {
      mode: CreateMode.EPHEMERAL_SEQUENTIAL,
      protected: true,
    });
    expect(a).toMatch(new RegExp(`^${root}/p/_c_[0-9a-f-]{36}-lock-\\d{10}$`));
    expect(b).not.toBe(a);
    expect((await plain.getChildren(`${root}/p`)).sort()).toEqual(
      [a, b].map((p) => p.slice(`${root}/p/`.length)).sort(),
    );
  });
});
