import { FaultProxy } from '@zk-lab/deploy';

export { ZkOpType } from '@zk-lab/deploy';

/**
 * A fault proxy of this test file's own (in the test process), closed after the file: links
 * put between an app and one ZooKeeper server so the test can partition, delay, drop or
 * hold what passes.
 */
export function useFaultProxy(): { proxy: () => FaultProxy } {
  let proxy: FaultProxy | null = null;
  afterAll(async () => {
    await proxy?.close();
  });
  return {
    proxy: () => (proxy ??= new FaultProxy()),
  };
}
