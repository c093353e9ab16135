import { RecipeClosedError } from '../common/errors';

/** The node's path is held by a node of a session that is not this client's: it waits for it to go. */
export class NodeConflictError extends Error {
  override readonly name = 'NodeConflictError';

  constructor(
    readonly path: string,
    readonly owner: bigint,
  ) {
    super(`${path} is held by session 0x${owner.toString(16)}, not ours: waiting for it to go`);
  }
}

/** close() came before the node was first created: start() rejects with this (a RecipeClosedError). */
export class NodeClosedError extends RecipeClosedError {
  override readonly name: string = 'NodeClosedError';
}

/** A mode a kept node cannot have (TTL and container nodes are the server's to delete). */
export class UnsupportedNodeModeError extends Error {
  override readonly name = 'UnsupportedNodeModeError';
}

/** A group member's id is not a single node name. */
export class InvalidMemberIdError extends Error {
  override readonly name = 'InvalidMemberIdError';
}
