import { zooKeeperContainerSettings } from './zookeeper-containers';

describe('zooKeeperContainerSettings', () => {
  it('gives each server of a 3-node ensemble its id, its peers, the lab tick and a published client port', () => {
    const settings = zooKeeperContainerSettings({ size: 3, tickTimeMs: 200, heapMb: 256 });
    const servers =
      'server.1=zk1:2888:3888;2181 server.2=zk2:2888:3888;2181 server.3=zk3:2888:3888;2181';
    expect(settings).toEqual(
      [1, 2, 3].map((id) => ({
        id,
        alias: `zk${id}`,
        image: 'zookeeper:3.8',
        env: {
          ZOO_MY_ID: String(id),
          ZOO_SERVERS: servers,
          ZOO_TICK_TIME: '200',
          ZOO_INIT_LIMIT: '50',
          ZOO_SYNC_LIMIT: '10',
          ZOO_4LW_COMMANDS_WHITELIST: '*',
          ZOO_ADMINSERVER_ENABLED: 'false',
          ZOO_AUTOPURGE_PURGEINTERVAL: '1',
          ZOO_CFG_EXTRA: 'extendedTypesEnabled=true',
          JVMFLAGS: '-Xmx256m',
        },
        exposedPorts: [2181],
      })),
    );
  });

  it('keeps initLimit and syncLimit at 10 s and 2 s worth of ticks whatever the tick', () => {
    const [one] = zooKeeperContainerSettings({ size: 1, tickTimeMs: 2000 });
    expect(one?.env).toMatchObject({
      ZOO_SERVERS: 'server.1=zk1:2888:3888;2181',
      ZOO_TICK_TIME: '2000',
      ZOO_INIT_LIMIT: '5',
      ZOO_SYNC_LIMIT: '2',
      JVMFLAGS: '-Xmx512m',
    });
  });

  it('refuses an even ensemble', () => {
    expect(() => zooKeeperContainerSettings({ size: 2 })).toThrow(RangeError);
  });
});
