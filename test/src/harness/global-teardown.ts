/** Stops the shared ensemble started by global-setup, whatever the tests' outcome. */
export default async function globalTeardown(): Promise<void> {
  const ensemble = globalThis.__zkLabSharedEnsemble;
  globalThis.__zkLabSharedEnsemble = undefined;
  if (ensemble) await ensemble.stop();
}
