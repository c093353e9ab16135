import { Server, Socket } from 'node:net';

/**
 * Stops the shared ensemble started by global-setup, whatever the tests' outcome; then
 * names any socket or server still open in jest's own process (only global setup and this
 * teardown run here: one left open is a leak of theirs).
 */
export default async function globalTeardown(): Promise<void> {
  const ensemble = globalThis.__zkLabSharedEnsemble;
  globalThis.__zkLabSharedEnsemble = undefined;
  if (ensemble) await ensemble.stop();
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  for (const handle of handles) {
    if (handle instanceof Socket && !handle.destroyed && handle.remotePort !== undefined) {
      process.stderr.write(
        `warning: a socket to ${handle.remoteAddress}:${handle.remotePort} is still open in jest's process after the teardown\n`,
      );
    } else if (handle instanceof Server && handle.listening) {
      process.stderr.write(
        `warning: a server on ${JSON.stringify(handle.address())} still listens in jest's process after the teardown\n`,
      );
    }
  }
}
