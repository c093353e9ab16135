/**
 * SIGTERM and SIGINT close the session at once (followers take over in well under a
 * second) and exit 0; a second signal exits at once.
 */
export function exitOnTermination(close: () => Promise<void>, onError: (error: unknown) => void) {
  let closing = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (closing) process.exit(signal === 'SIGINT' ? 130 : 143);
    closing = true;
    close().then(
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
