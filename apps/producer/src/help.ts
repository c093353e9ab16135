import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_WAIT_S,
  DEFAULT_TYPE,
  DEFAULT_WAIT_TIMEOUT_S,
  USAGE_LINE,
} from './args';

export const HELP = `zk-lab producer: puts jobs in the ZooKeeper job queue (/queue/job-<seq>).

${USAGE_LINE}

What to produce:
  --type T                  the job type: echo, sleep, cpu, fail, flaky (default ${DEFAULT_TYPE})
  --payload JSON            the job's payload, checked against the type's schema:
                              echo   any JSON                     (default {})
                              sleep  {"ms": 250}                  wait ms milliseconds
                              cpu    {"ms": 250}                  keep a CPU busy for ms
                              fail   {"message": "boom"}          always throws (default {})
                              flaky  {"failureRate": 0.3, "ms": 50}  throws with that probability
How many (default: one job, its key printed on stdout):
  --count N                 N jobs at once, pipelined (hundreds of creates in flight)
  --rate R --duration S     a steady stream: R jobs per second for S seconds
Waiting:
  --wait                    then wait until every job has a /results or /dead node and print
                            done, dead and the latency (created -> finished) p50/p95/p99/max
  --wait-timeout S          give up waiting after S seconds: exit 1 (default ${DEFAULT_WAIT_TIMEOUT_S})
Backpressure and record:
  --max-wait S              while the queue holds queueMaxDepth jobs or more, the run holds
                            back (and says so) and reads the depth again; after S seconds
                            held back in a row (or S seconds of ZooKeeper not answering while
                            a create's outcome is unknown) it gives up: exit 75 (default ${DEFAULT_MAX_WAIT_S})
  --record FILE             append one JSON line per job, {"jobId","type","at"}, to FILE
                            before the job's create is sent, and {"jobId","created":true,
                            "key","at"} once the server confirmed it (ZK_LAB_PRODUCER_RECORD;
                            default, into the running lab under its root: the lab's own
                            record, .lab/records/producer.jsonl, which lab chaos judges by)
Output:
  --json                    print the summary as one JSON object on stdout (progress and
                            errors stay on stderr)
Connection (flags override the environment):
  --connect HOST:PORT,...   ZooKeeper servers (ZK_CONNECT; default: the lab's ensemble in
                            $ZK_LAB_STATE/zk or ./.lab/zk)
  --root PATH               the system's root znode (ZK_ROOT; default /zk-lab)
  --session-timeout MS      session timeout (ZK_SESSION_TIMEOUT_MS; default 4000)
  --connect-timeout MS      give up when no server answers within MS (default ${DEFAULT_CONNECT_TIMEOUT_MS})
Credentials (environment only, never logged): ZK_PRODUCER_AUTH=user:password (default: the
lab's producer identity); ZK_MASTER_DIGEST, ZK_WORKER_DIGEST, ZK_ADMIN_DIGEST name the
other roles when theirs are not the lab's.

Limits, from the live /config (defaults when it is absent): maxPayloadBytes (bytes of JSON
per payload; a bigger payload is refused before anything is written) and queueMaxDepth
(jobs waiting in /queue; the run holds back at it, see --max-wait).

Each job is one transaction: its queue node and a marker /produced/<jobId>, so a lost
connection never makes two jobs of one (the marker says whether the create was applied).

Examples:
  npm run produce -- --type echo --payload '{"hello":"world"}'
  npm run produce -- --type sleep --payload '{"ms":200}' --count 1000 --wait
  npm run produce -- --type flaky --payload '{"failureRate":0.3}' --rate 50 --duration 20 --wait
  npm run produce -- --count 500 --wait --json > summary.json

Exit codes: 0 done; 1 failed (ZooKeeper unreachable, a write refused, --wait timed out);
2 bad usage or bad input (nothing written); 75 gave up after --max-wait held back by a
full queue (the jobs written so far stay, whole, and are in the record); 130 interrupted
by Ctrl+C (every job created so far stays in the queue, whole).`;
