import {
  fourLetterWord,
  isNotServing,
  parseMntrReport,
  parseSrvr,
  parseWchc,
  parseWchs,
  parseZxid,
  refusedWord,
} from './four-letter-words';

// Answers captured from this repository's ZooKeeper 3.8 servers (lab zk up; an ensemble with
// `4lw.commands.whitelist=srvr, ruok`; a server whose two peers were killed).
const SRVR_LEADER = `Zookeeper version: 3.8.0-\${mvngit.commit.id}, built on 2024-12-29 17:54 UTC
Latency min/avg/max: 0/0.0/0
Received: 5
Sent: 4
Connections: 1
Outstanding: 0
Zxid: 0x100000000
Mode: leader
Node count: 5
Proposal sizes last/min/max: -1/-1/-1
`;
const MNTR_REFUSED = 'mntr is not executed because it is not in the whitelist.\n';
const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests\n';
/** The first 30 lines of a leader's mntr (it has about 450). */
const MNTR_LEADER = `zk_version\t3.8.0-\${mvngit.commit.id}, built on 2024-12-29 17:54 UTC
zk_server_state\tleader
zk_peer_state\tleading - broadcast
zk_ephemerals_count\t0
zk_num_alive_connections\t1
zk_avg_latency\t0.0
zk_min_proposal_size\t-1
zk_outstanding_requests\t0
zk_znode_count\t5
zk_global_sessions\t0
zk_non_mtls_remote_conn_count\t0
zk_last_client_response_size\t-1
zk_packets_sent\t5
zk_packets_received\t6
zk_max_proposal_size\t-1
zk_max_client_response_size\t-1
zk_synced_followers\t2
zk_connection_drop_probability\t0.0
zk_watch_count\t0
zk_synced_non_voting_followers\t0
zk_synced_observers\t0
zk_auth_failed_count\t0
zk_min_latency\t0
zk_max_file_descriptor_count\t20000
zk_approximate_data_size\t182
zk_open_file_descriptor_count\t45
zk_last_proposal_size\t-1
zk_pending_syncs\t0
zk_leader_uptime\t1667
zk_local_sessions\t0
`;

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

describe("the monitor's parsers, on real answers", () => {
  it('srvr of a leader: mode, zxid, counters', () => {
    expect(parseSrvr(SRVR_LEADER)).toMatchObject({
      mode: 'leader',
      zxid: '0x100000000',
      received: 5,
      sent: 4,
      outstanding: 0,
      znodes: 5,
    });
  });

  it('mntr of a leader: the fields srvr lacks; a field it does not send is null', () => {
    expect(parseMntrReport(MNTR_LEADER)).toEqual({
      state: 'leader',
      outstanding: 0,
      connections: 1,
      watches: 0,
      ephemerals: 0,
      znodes: 5,
      dataSize: 182,
      openFileDescriptors: 45,
      maxFileDescriptors: 20000,
      packetsReceived: 6,
      packetsSent: 5,
      syncedFollowers: 2,
      latency: null, // zk_max_latency is past the 30 lines kept here
    });
  });

  it('a refused word is named; other answers are no refusal', () => {
    expect(refusedWord(MNTR_REFUSED)).toBe('mntr');
    expect(refusedWord(SRVR_LEADER)).toBeNull();
    expect(refusedWord(NOT_SERVING)).toBeNull();
  });

  it('a server without a quorum says it does not serve, to srvr and mntr alike', () => {
    expect(isNotServing(NOT_SERVING)).toBe(true);
    expect(isNotServing(SRVR_LEADER)).toBe(false);
    expect(isNotServing(MNTR_REFUSED)).toBe(false);
    expect(parseMntrReport(NOT_SERVING).state).toBeNull();
  });

  it('a zxid splits into epoch and counter', () => {
    expect(parseZxid('0x100000000')).toEqual({ hex: '0x100000000', epoch: 1, counter: 0 });
    expect(parseZxid('0x200000045')).toEqual({ hex: '0x200000045', epoch: 2, counter: 0x45 });
    expect(parseZxid('0xffffffff00000001')).toMatchObject({ epoch: 0xffffffff, counter: 1 });
    expect(parseZxid('')).toBeNull();
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
