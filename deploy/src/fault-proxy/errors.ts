/** No link of that name on the proxy. */
export class UnknownLinkError extends Error {
  override readonly name = 'UnknownLinkError';
  constructor(readonly link: string) {
    super(`no fault proxy link named "${link}"`);
  }
}

/** A link of that name already exists. */
export class LinkExistsError extends Error {
  override readonly name = 'LinkExistsError';
  constructor(readonly link: string) {
    super(`a fault proxy link named "${link}" already exists`);
  }
}

/** The proxy was closed (or stopped) while the operation was pending, or before it. */
export class ProxyClosedError extends Error {
  override readonly name = 'ProxyClosedError';
}

/** A `dropNextReply` is already armed on that link: one at a time per link. */
export class DropAlreadyArmedError extends Error {
  override readonly name = 'DropAlreadyArmedError';
  constructor(readonly link: string) {
    super(`a dropNextReply is already armed on link "${link}"`);
  }
}

/**
 * The connection carrying the request ended (or was cut) before the server's reply came,
 * so no reply was dropped: the server may or may not have applied the request.
 */
export class DropInterruptedError extends Error {
  override readonly name = 'DropInterruptedError';
}

/** A `dropNextReply` did not fire within the time the caller waited. */
export class DropTimeoutError extends Error {
  override readonly name = 'DropTimeoutError';
}

/** The proxy daemon did not start, or its state file names no live daemon. */
export class FaultProxyDaemonError extends Error {
  override readonly name = 'FaultProxyDaemonError';
}

/** The control server refused a request (bad input) or answered something unexpected. */
export class FaultProxyControlError extends Error {
  override readonly name = 'FaultProxyControlError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
