import { renderZooConfig, type NodePorts } from './zoo-config';

const nodes: NodePorts[] = [1, 2, 3].map((id) => ({
  id,
  clientPort: 2000 + id,
  quorumPort: 3000 + id,
  electionPort: 4000 + id,
}));

function parse(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((l) => l.includes('=') && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('renderZooConfig', () => {
  it('lists every server of a 3-node ensemble and listens on loopback only', () => {
    const cfg = parse(
      renderZooConfig(nodes[1]!, nodes, { tickTimeMs: 200, dataDir: '/d', host: '127.0.0.1' }),
    );
    expect(cfg.get('clientPort')).toBe('2002');
    expect(cfg.get('clientPortAddress')).toBe('127.0.0.1');
    expect(cfg.get('server.1')).toBe('127.0.0.1:3001:4001');
    expect(cfg.get('server.3')).toBe('127.0.0.1:3003:4003');
    expect(cfg.get('4lw.commands.whitelist')).toBe('*');
  });

  it('allows only the four-letter words it is given', () => {
    const cfg = parse(
      renderZooConfig(nodes[0]!, nodes, {
        tickTimeMs: 200,
        dataDir: '/d',
        host: '127.0.0.1',
        fourLetterWords: ['srvr', 'ruok'],
      }),
    );
    expect(cfg.get('4lw.commands.whitelist')).toBe('srvr, ruok');
  });

  it('runs a single node standalone (no server lines)', () => {
    const text = renderZooConfig(nodes[0]!, [nodes[0]!], {
      tickTimeMs: 200,
      dataDir: '/d',
      host: '127.0.0.1',
    });
    expect(text).not.toMatch(/^server\./m);
  });

  it('keeps the init and sync limits near 10 s and 2 s whatever the tick', () => {
    const short = parse(
      renderZooConfig(nodes[0]!, nodes, { tickTimeMs: 200, dataDir: '/d', host: 'h' }),
    );
    const long = parse(
      renderZooConfig(nodes[0]!, nodes, { tickTimeMs: 2000, dataDir: '/d', host: 'h' }),
    );
    expect(Number(short.get('initLimit')) * 200).toBe(10_000);
    expect(Number(short.get('syncLimit')) * 200).toBe(2_000);
    expect(Number(long.get('initLimit')) * 2000).toBe(10_000);
    expect(Number(long.get('syncLimit'))).toBe(2);
  });
});
