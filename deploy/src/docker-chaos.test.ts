import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', 'docker-chaos.sh');

function chaos(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('bash', [SCRIPT, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The docker commands a dry run prints (leader lookups are explained on stderr). */
function dryRun(...args: string[]): string[] {
  const result = chaos('--dry-run', ...args);
  expect(result).toMatchObject({ status: 0 });
  return result.stdout.trim().split('\n');
}

describe('docker-chaos.sh --dry-run', () => {
  it('kills, terminates and starts apps by their lab names', () => {
    expect(dryRun('kill', 'm1')).toEqual(['docker kill --signal SIGKILL zk-lab-master1']);
    expect(dryRun('kill', 'w2', '--signal', 'SIGINT')).toEqual([
      'docker kill --signal SIGINT zk-lab-worker2',
    ]);
    expect(dryRun('term', 'producer')).toEqual(['docker kill --signal SIGTERM zk-lab-producer']);
    expect(dryRun('stop', 'm2')).toEqual(['docker stop zk-lab-master2']);
    expect(dryRun('start', 'w3')).toEqual(['docker start zk-lab-worker3']);
  });

  it('pauses for a while, then resumes', () => {
    expect(dryRun('pause', 'w1', '3')).toEqual([
      'docker pause zk-lab-worker1',
      'sleep 3',
      'docker unpause zk-lab-worker1',
    ]);
    expect(dryRun('resume', 'm2')).toEqual(['docker unpause zk-lab-master2']);
  });

  it('partitions with a network disconnect and heals with a connect under the service name', () => {
    expect(dryRun('partition', 'w2')).toEqual(['docker network disconnect zk-lab zk-lab-worker2']);
    expect(dryRun('heal', 'w2')).toEqual([
      'docker network connect --alias worker2 zk-lab zk-lab-worker2',
    ]);
    expect(dryRun('heal', 'zk')).toEqual(
      [1, 2, 3].map((n) => `docker network connect --alias zk${n} zk-lab zk-lab-zk${n}`),
    );
    expect(dryRun('heal')).toHaveLength(9);
  });

  it('acts on ZooKeeper servers, the leader resolved through srvr', () => {
    expect(dryRun('zk', 'kill', '2')).toEqual(['docker kill --signal SIGKILL zk-lab-zk2']);
    expect(dryRun('zk', 'stop', '3')).toEqual(['docker stop zk-lab-zk3']);
    expect(dryRun('zk', 'partition', '1')).toEqual(['docker network disconnect zk-lab zk-lab-zk1']);
    const leader = chaos('--dry-run', 'zk', 'pause', 'leader');
    expect(leader.stdout).toBe('docker pause zk-lab-LEADER\n');
    expect(leader.stderr).toContain('srvr');
  });

  it('says in one line what is wrong with a bad action, and exits 2', () => {
    for (const [args, message] of [
      [['explode', 'm1'], "unknown command 'explode'"],
      [['kill', 'm9'], "unknown app 'm9'"],
      [['zk', 'melt', '1'], "unknown zk action 'melt'"],
      [['zk', 'kill', '7'], "unknown server '7'"],
      [['pause', 'w1', 'soon'], "bad SECONDS 'soon'"],
      [[], 'no command'],
    ] as const) {
      const result = chaos('--dry-run', ...args);
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^docker-chaos: [^\n]+\n$/);
      expect(result.stderr).toContain(message);
    }
  });

  it('prints its usage with --help', () => {
    const result = chaos('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: deploy/docker-chaos.sh [--dry-run] COMMAND');
  });
});
