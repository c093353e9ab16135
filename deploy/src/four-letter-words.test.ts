import { fourLetterWord, parseSrvr, parseWchc, parseWchs } from './four-letter-words';

const SRVR_FOLLOWER = `Zookeeper version: 3.8.0-\${mvngit.commit.id}, built on 2024-12-29 17:54 UTC
Latency min/avg/max: 0/0.4821/12
Received: 2087
Sent: 2086
Connections: 3
Outstanding: 0
Zxid: 0x100000045
Mode: follower
Node count: 42
`;

describe('parseSrvr', () => {
  it('reads the mode, latency, znode count and connections', () => {
    expect(parseSrvr(SRVR_FOLLOWER)).toMatchObject({
      mode: 'follower',
      latency: { min: 0, avg: 0.4821, max: 12 },
      znodes: 42,
      connections: 3,
      zxid: '0x100000045',
    });
  });

  it('says "not serving" (null) for a server without a quorum', () => {
    expect(parseSrvr('This ZooKeeper instance is not currently serving requests\n')).toBeNull();
  });
});

describe('parseWchs', () => {
  it('reads the total watch count, or null when the answer has none', () => {
    expect(parseWchs('3 connections watching 7 paths\nTotal watches:12\n')).toBe(12);
    expect(parseWchs('wchs is not executed because it is not in the whitelist.')).toBeNull();
  });
});

describe('parseWchc', () => {
  it('reads the paths each session watches', () => {
    const text = '0x100000a1b2c0000\n\t/app/locks/a\n\t/app/config\n0x2000000000000001\n\t/x\n\n';
    expect(parseWchc(text)).toEqual(
      new Map([
        [0x100000a1b2c0000n, ['/app/locks/a', '/app/config']],
        [0x2000000000000001n, ['/x']],
      ]),
    );
    expect(parseWchc('')).toEqual(new Map());
  });
});

describe('fourLetterWord', () => {
  it('rejects when nothing listens on the port', async () => {
    await expect(fourLetterWord('127.0.0.1', 1, 'srvr', 500)).rejects.toThrow();
  });
});
