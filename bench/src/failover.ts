/**
 * `npm run bench -- failover`: how long after the ensemble leader is SIGKILLed a client's
 * write succeeds again, for @zk-lab/zk-client at a 4 s session timeout.
 *
 * One freshly started 3-server loopback ensemble; per trial: find the leader (srvr), kill
 * it, write in a loop until a write is accepted (a failed write is retried after 5 ms),
 * record the time from the kill to that acceptance and the client's state events, then
 * restart the killed server and wait until all three serve before the next trial.
 * Reported: median, min, p90 and max over the trials, and each trial.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Ensemble } from '@zk-lab/deploy';
import { ZkClient, type ZkStateEvent, LAN_RECONNECT_BACKOFF } from '@zk-lab/zk-client';

export const FAILOVER_HELP = `Usage: npm run bench -- failover [options]

Kills the leader of a fresh 3-server ZooKeeper ensemble on 127.0.0.1 again and again, and
measures how long after each kill a @zk-lab/zk-client write is accepted again (the client
connected to all three servers, session timeout 4 s). Reports the median, min, p90 and max,
and writes bench/results/failover-<date>.md and .json.

Options:
  --trials N     leader kills (default 15)
  --tick MS      ZooKeeper tickTime (default 200)
  --session MS   the client's session timeout (default 4000)
  --out DIR      where the report goes (default bench/results)
  --no-save      print the report only
  -h, --help     this text`;

interface Trial {
  leader: number;
  acceptedAfterMs: number;
  failedWrites: number;
  events: string;
}

const say = (line: string): void => void process.stderr.write(`[failover] ${line}\n`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function failoverMain(argv: string[], benchDir: string): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        trials: { type: 'string', default: '15' },
        tick: { type: 'string', default: '200' },
        session: { type: 'string', default: '4000' },
        out: { type: 'string', default: join(benchDir, 'results') },
        'no-save': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${FAILOVER_HELP}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${FAILOVER_HELP}\n`);
    return 0;
  }
  const trials = Number(values.trials);
  const tick = Number(values.tick);
  const session = Number(values.session);
  for (const [name, n] of [
    ['trials', trials],
    ['tick', tick],
    ['session', session],
  ] as const) {
    if (!Number.isInteger(n) || n < 1) {
      process.stderr.write(`bench: --${name} must be a positive integer\n\n${FAILOVER_HELP}\n`);
      return 2;
    }
  }

  const stateDir = mkdtempSync(join(tmpdir(), 'zk-lab-bench-failover-'));
  let ensemble: Ensemble | null = null;
  let client: ZkClient | null = null;
  const stop = async (): Promise<void> => {
    await client?.close();
    await ensemble?.stop();
  };
  const onSignal = (): void => void stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    say('starting a 3-server ensemble');
    ensemble = await Ensemble.start({ stateDir, size: 3, tickTimeMs: tick, heapMb: 512 });
    client = await ZkClient.connect({
      connectString: ensemble.connectString(),
      sessionTimeoutMs: session,
      reconnectBackoff: LAN_RECONNECT_BACKOFF,
    });
    say(`client connected, negotiated session timeout ${client.negotiatedTimeoutMs} ms`);
    await client.create('/failover-bench', '0');
    const events: [ZkStateEvent, number][] = [];
    client.on('state', (event) => events.push([event, Date.now()]));

    const results: Trial[] = [];
    for (let i = 1; i <= trials; i++) {
      const leader = await ensemble.leaderId();
      if (leader === null) throw new Error('no leader before a trial');
      events.length = 0;
      const killedAt = Date.now();
      await ensemble.killNode(leader);
      let failedWrites = 0;
      for (;;) {
        try {
          await client.setData('/failover-bench', String(i));
          break;
        } catch {
          failedWrites++;
          if (Date.now() - killedAt > 30_000) throw new Error('no write accepted within 30 s');
          await sleep(5);
        }
      }
      const trial: Trial = {
        leader,
        acceptedAfterMs: Date.now() - killedAt,
        failedWrites,
        events: events.map(([e, t]) => `${e}@${t - killedAt}`).join(' '),
      };
      results.push(trial);
      say(
        `trial ${i}/${trials}: write accepted ${trial.acceptedAfterMs} ms after the kill (${trial.events})`,
      );
      await ensemble.startNode(leader);
      await ensemble.waitForQuorum();
      await sleep(300);
    }

    const sorted = results.map((r) => r.acceptedAfterMs).sort((a, b) => a - b);
    const summary = {
      median: percentile(sorted, 50),
      min: sorted[0]!,
      p90: percentile(sorted, 90),
      max: sorted[sorted.length - 1]!,
    };
    const command = `npm run bench -- failover ${argv.join(' ')}`.trim();
    const date = new Date().toISOString();
    const lines = [
      `# Leader failover: time until a write is accepted again`,
      '',
      `- command: \`${command}\``,
      `- date: ${date}`,
      `- machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}`,
      `- ensemble: 3 servers on 127.0.0.1, tickTime ${tick} ms; client session timeout ${client.negotiatedTimeoutMs} ms`,
      '',
      `| trials | median | min | p90 | max |`,
      `| --- | --- | --- | --- | --- |`,
      `| ${trials} | ${summary.median} ms | ${summary.min} ms | ${summary.p90} ms | ${summary.max} ms |`,
      '',
      '| trial | killed leader | accepted after | failed writes | client events (ms after the kill) |',
      '| --- | --- | --- | --- | --- |',
      ...results.map(
        (r, i) =>
          `| ${i + 1} | ${r.leader} | ${r.acceptedAfterMs} ms | ${r.failedWrites} | ${r.events} |`,
      ),
    ];
    const report = `${lines.join('\n')}\n`;
    process.stdout.write(report);
    if (!values['no-save']) {
      mkdirSync(values.out, { recursive: true });
      const base = join(values.out, `failover-${date.slice(0, 10)}`);
      writeFileSync(`${base}.md`, report);
      writeFileSync(
        `${base}.json`,
        `${JSON.stringify({ command, date, tick, summary, results }, null, 2)}\n`,
      );
      say(`written: ${relative(process.cwd(), base)}.md and .json`);
    }
    return 0;
  } finally {
    await stop();
  }
}
