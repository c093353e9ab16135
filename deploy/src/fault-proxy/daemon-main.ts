/**
 * Entry of the proxy daemon: `node daemon-main.js STATE_FILE [OWNER_PID]`. Started by
 * spawnFaultProxyDaemon (control.ts); see daemon.ts.
 */
import { runFaultProxyDaemon } from './daemon';

const [stateFile, owner] = process.argv.slice(2);
if (stateFile === undefined) {
  process.stderr.write('usage: daemon-main.js STATE_FILE [OWNER_PID]\n');
  process.exit(2);
}
runFaultProxyDaemon(stateFile, owner === undefined ? null : Number(owner)).catch((err: unknown) => {
  process.stderr.write(`fault proxy daemon: ${String(err)}\n`);
  process.exit(1);
});
