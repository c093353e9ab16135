/**
 * multiRead against the run's shared ensemble (real ZooKeeper servers): several reads in one
 * request, each answering or failing on its own.
 */
import { sharedConnectString, testRoot } from '@zk-lab/test';
import { digestAcl } from './auth';
import { ZkClient } from './client';
import { InvalidPathError, NoAuthError, NoNodeError } from './errors';

describe('multiRead on a live ensemble', () => {
  const root = testRoot();
  let zk: ZkClient;

  beforeAll(async () => {
    zk = await ZkClient.connect({ connectString: sharedConnectString(), sessionTimeoutMs: 4_000 });
    await zk.create(root);
    await zk.create(`${root}/a`, 'alpha');
    await zk.create(`${root}/a/child-1`);
    await zk.create(`${root}/a/child-2`);
    await zk.create(`${root}/b`, Buffer.from([0, 255, 7]));
    await zk.create(`${root}/secret`, 'hidden', { acl: [digestAcl('alice', 'pw')] });
  });

  afterAll(async () => {
    await zk.close();
  });

  it('answers each read in order with what getData and getChildren give', async () => {
    const results = await zk.multiRead([
      { op: 'getData', path: `${root}/a` },
      { op: 'getChildren', path: `${root}/a` },
      { op: 'getData', path: `${root}/b` },
    ]);
    const alone = await zk.getData(`${root}/a`);
    expect(results).toEqual([
      { op: 'getData', path: `${root}/a`, data: Buffer.from('alpha'), stat: alone.stat },
      {
        op: 'getChildren',
        path: `${root}/a`,
        children: expect.arrayContaining(['child-1', 'child-2']) as unknown,
      },
      {
        op: 'getData',
        path: `${root}/b`,
        data: Buffer.from([0, 255, 7]),
        stat: expect.anything() as unknown,
      },
    ]);
  });

  it('a read that fails (no node, no permission) fails alone; the others answer', async () => {
    const [missing, secret, present] = await zk.multiRead([
      { op: 'getData', path: `${root}/missing` },
      { op: 'getData', path: `${root}/secret` },
      { op: 'getChildren', path: `${root}/a` },
    ]);
    expect(missing).toMatchObject({ op: 'getData', path: `${root}/missing` });
    expect(missing !== undefined && 'error' in missing && missing.error).toBeInstanceOf(
      NoNodeError,
    );
    expect(secret !== undefined && 'error' in secret && secret.error).toBeInstanceOf(NoAuthError);
    expect(present).toMatchObject({ op: 'getChildren', children: expect.any(Array) as unknown });
  });

  it('reads under a chroot are given and answered in the chroot’s paths', async () => {
    const chrooted = await ZkClient.connect({
      connectString: `${sharedConnectString()}${root}`,
      sessionTimeoutMs: 4_000,
    });
    try {
      const [a] = await chrooted.multiRead([{ op: 'getData', path: '/a' }]);
      expect(a).toMatchObject({ op: 'getData', path: '/a', data: Buffer.from('alpha') });
    } finally {
      await chrooted.close();
    }
  });

  it('an invalid path is refused before anything is sent; no reads are no request', async () => {
    await expect(zk.multiRead([{ op: 'getData', path: 'relative' }])).rejects.toBeInstanceOf(
      InvalidPathError,
    );
    expect(await zk.multiRead([])).toEqual([]);
  });
});
