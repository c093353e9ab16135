/**
 * What the ensemble's servers did for a stretch of the bench, per job: the client requests
 * they took (`zk_packets_received` of `mntr`, summed over the servers), the packets they
 * sent clients (replies and watch notifications: `zk_packets_sent`), and the CPU time of
 * their processes. Put beside the ceiling's figures, it says what the pipeline costs the
 * ensemble beyond the transactions of its design. Client pings are in both counts: a few
 * per second from all clients together, against thousands of requests.
 */
import { fourLetterWord, parseMntr, type Ensemble } from '@zk-lab/deploy';
import { processSeconds } from './cpu-use';

export interface ServerSample {
  received: number;
  sent: number;
  /** CPU seconds of the server processes; null when one could not be read. */
  cpuSeconds: number | null;
}

export interface ServerWork {
  requestsPerJob: number;
  packetsSentPerJob: number;
  /** Milliseconds of server CPU (all servers) per job. */
  cpuMsPerJob: number | null;
}

export async function sampleServers(ensemble: Ensemble): Promise<ServerSample> {
  const sample: ServerSample = { received: 0, sent: 0, cpuSeconds: 0 };
  for (const node of ensemble.nodes) {
    const mntr = parseMntr(await fourLetterWord('127.0.0.1', node.clientPort, 'mntr'));
    sample.received += Number(mntr.get('zk_packets_received') ?? NaN);
    sample.sent += Number(mntr.get('zk_packets_sent') ?? NaN);
    const seconds = node.pid === null ? null : processSeconds(node.pid);
    sample.cpuSeconds =
      seconds === null || sample.cpuSeconds === null ? null : sample.cpuSeconds + seconds;
  }
  return sample;
}

export function serverWork(from: ServerSample, to: ServerSample, jobs: number): ServerWork {
  const per = (delta: number, scale = 1): number => Math.round((delta / jobs) * scale * 100) / 100;
  return {
    requestsPerJob: per(to.received - from.received),
    packetsSentPerJob: per(to.sent - from.sent),
    cpuMsPerJob:
      from.cpuSeconds === null || to.cpuSeconds === null
        ? null
        : per(to.cpuSeconds - from.cpuSeconds, 1000),
  };
}
