import { usePrivateEnsemble } from '@zk-lab/test';
import { monitor, monitorJson } from './__tests__/monitor-process';

// One server that answers srvr and ruok only: mntr is not in its 4lw.commands.whitelist.
describe('lab monitor on a server that refuses a four-letter word', () => {
  const zk = usePrivateEnsemble({ size: 1, fourLetterWords: ['srvr', 'ruok'] });

  it('names the word and the config line that allows it; exit warning', async () => {
    const { code, doc } = await monitorJson(['--connect', zk.connectString]);
    expect(code).toBe(1);
    expect(doc.status).toBe('warning');
    expect(doc.leader).toBe(zk.connectString); // standalone: it leads alone
    expect(doc.servers[0]).toMatchObject({ refused: ['mntr'], mode: 'standalone', watches: null });
    expect(doc.allowLine).toBe('4lw.commands.whitelist=srvr, mntr');

    const table = await monitor(['--connect', zk.connectString]);
    expect(table.code).toBe(1);
    expect(table.stdout).toContain(
      `warning: ${zk.connectString}: refuses mntr (not in its whitelist); allow it with: 4lw.commands.whitelist=srvr, mntr`,
    );
  });
});
