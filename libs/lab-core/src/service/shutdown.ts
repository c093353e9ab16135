/**
 * SIGTERM and SIGINT close the session at once (followers take over in well under a
 * second) and exit 0; a second signal exits at once. Closing is bounded: with ZooKeeper
 * unreachable, a close that cannot reach a server would otherwise wait for the session
 * timeout, and a stop must not.
 */
export const CLOSE_BUDGET_MS = 1_500;

export function exitOnTermination(
  close: () => Promise<void>,
  onError: (error: unknown) => void,
  /** How long `close` may take (a worker drains first); default CLOSE_BUDGET_MS. */
  budgetMs: number = CLOSE_BUDGET_MS,
): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (closing) process.exit(signal === 'SIGINT' ? 130 : 143);
    closing = true;
    let budget: NodeJS.Timeout | undefined;
    Promise.race([
      close(),
      new Promise<void>((done) => {
        budget = setTimeout(done, budgetMs);
      }),
    ])
      .finally(() => clearTimeout(budget))
      .then(
        () => process.exit(0),
        (error: unknown) => {
          onError(error);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
