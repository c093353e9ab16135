import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ensureProgram } from './debian-packages';

const COMPOSE_FILE = join(__dirname, '..', 'docker-compose.yml');

interface ComposeConfig {
  services: Record<
    string,
    {
      container_name?: string;
      command?: string[];
      environment?: Record<string, string>;
      networks?: Record<string, unknown>;
    }
  >;
  networks: Record<string, { name?: string }>;
}

describe('deploy/docker-compose.yml', () => {
  let config: ComposeConfig;

  beforeAll(() => {
    // Debian's docker-compose 1.29 validates a file without an engine.
    ensureProgram('docker-compose', 'docker-compose');
    const result = spawnSync('docker-compose', ['-f', COMPOSE_FILE, 'config'], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    config = parse(result.stdout) as ComposeConfig;
  }, 300_000);

  it('holds the lab topology: 3 servers, 2 masters, 3 workers and a producer', () => {
    expect(Object.keys(config.services).sort()).toEqual(
      [
        'master1',
        'master2',
        'producer',
        'worker1',
        'worker2',
        'worker3',
        'zk1',
        'zk2',
        'zk3',
      ].sort(),
    );
    for (const id of ['1', '2', '3']) {
      expect(config.services[`zk${id}`]?.environment).toMatchObject({
        ZOO_MY_ID: id,
        ZOO_TICK_TIME: '200',
        ZOO_4LW_COMMANDS_WHITELIST: '*',
      });
    }
    expect(config.services.master2?.command).toEqual([
      'node',
      'apps/master/dist/main.js',
      '--id',
      'm2',
    ]);
    expect(config.services.worker3?.command).toEqual([
      'node',
      'apps/worker/dist/main.js',
      '--id',
      'w3',
    ]);
    expect(config.services.producer?.command?.slice(0, 2)).toEqual([
      'node',
      'apps/producer/dist/main.js',
    ]);
    expect(config.services.producer?.environment).toMatchObject({
      ZK_CONNECT: 'zk1:2181,zk2:2181,zk3:2181',
    });
  });

  it('puts every service on the named network zk-lab as the container zk-lab-<service>, as docker-chaos.sh expects', () => {
    expect(config.networks['zk-lab']).toMatchObject({ name: 'zk-lab' });
    for (const [name, service] of Object.entries(config.services)) {
      expect(service.container_name).toBe(`zk-lab-${name}`);
      expect(Object.keys(service.networks ?? {})).toEqual(['zk-lab']);
    }
  });
});
