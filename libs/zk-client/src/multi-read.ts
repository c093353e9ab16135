/**
 * `multiRead` (ZooKeeper 3.6+): several getData and getChildren reads in one request,
 * answered by the connected server in one reply. Unlike a transaction it is not atomic and
 * not all or none: each read succeeds or fails on its own (NoNode, NoAuth), and its result
 * says which. What fails the whole request (ConnectionLoss, SessionExpired) rejects it.
 *
 * It saves requests, not consistency: the reads see the server's state at one point in its
 * order, as the same reads pipelined one after another would (a server handles a session's
 * requests in order). It sets no watches.
 */
import type { OutgoingRequest } from './connection';
import {
  errorFromCode,
  MarshallingError,
  NoNodeError,
  type ZkError,
  type ZkErrorContext,
} from './errors';
import { JuteDecodeError, type JuteReader, JuteWriter } from './jute';
import { toServerPath, validatePath } from './paths';
import { OpCode, readStat, type Stat } from './protocol';
import { readMultiResults, writeMultiHeader, writePathWatchRequest } from './records';

/** One read of a multiRead. */
export type ReadOp = { op: 'getData'; path: string } | { op: 'getChildren'; path: string };

/** How one read of a multiRead ended, in the order of the ops. */
export type ReadResult =
  | { op: 'getData'; path: string; data: Buffer; stat: Stat }
  | { op: 'getChildren'; path: string; children: string[] }
  /** This read failed on its own (NoNodeError, NoAuthError, …); the others are unaffected. */
  | { op: ReadOp['op']; path: string; error: ZkError };

const CONTEXT: ZkErrorContext = { op: 'multiRead' };

type RawRead =
  | { type: 'getData'; data: Buffer; stat: Stat }
  | { type: 'getChildren'; children: string[] }
  | { type: 'error'; err: number };

/**
 * What a getData read of a multiRead found, as getData answers it: the data and Stat, or
 * null when the node does not exist (where getData throws NoNodeError). Any other failure
 * of the read (NoAuth, …) is thrown.
 */
export function dataOf(result: ReadResult): { data: Buffer; stat: Stat } | null {
  if ('error' in result) {
    if (result.error instanceof NoNodeError) return null;
    throw result.error;
  }
  if (result.op !== 'getData') throw new TypeError(`dataOf: a ${result.op} result`);
  return { data: result.data, stat: result.stat };
}

/** The request of a multiRead of `ops`; each op's path is validated first (InvalidPathError). */
export function multiReadRequest(chroot: string, ops: readonly ReadOp[]): OutgoingRequest {
  const body = new JuteWriter();
  for (const { op, path } of ops) {
    validatePath(path, { op });
    const opCode = op === 'getData' ? OpCode.getData : OpCode.getChildren;
    writeMultiHeader(body, { type: opCode, done: false, err: -1 });
    writePathWatchRequest(body, toServerPath(chroot, path), false);
  }
  writeMultiHeader(body, { type: -1, done: true, err: -1 });
  return { opCode: OpCode.multiRead, body: body.view(), context: CONTEXT };
}

/** The reply's decoder for `ops`: one result per op, matched to it. */
export function multiReadDecoder(ops: readonly ReadOp[]): (r: JuteReader) => ReadResult[] {
  return (r) => {
    const raw = readMultiReadResponse(r);
    if (raw.length !== ops.length) throw new MarshallingError(CONTEXT);
    return raw.map((result, i): ReadResult => {
      const { op, path } = ops[i] as ReadOp;
      if (result.type === 'error') {
        return { op, path, error: errorFromCode(result.err, { op, path }) };
      }
      if (result.type !== op) throw new MarshallingError(CONTEXT);
      return result.type === 'getData'
        ? { op: 'getData', path, data: result.data, stat: result.stat }
        : { op: 'getChildren', path, children: result.children };
    });
  };
}

/** A multiRead's MultiResponse: one result per read (its data, its children, or its error). */
function readMultiReadResponse(r: JuteReader): RawRead[] {
  return readMultiResults(r, (type): RawRead => {
    switch (type) {
      case OpCode.getData: {
        const data = r.readBuffer();
        return { type: 'getData', data, stat: readStat(r) };
      }
      case OpCode.getChildren:
        return { type: 'getChildren', children: r.readStringVector() };
      default:
        throw new JuteDecodeError(`unknown result type ${type} in a multiRead reply`);
    }
  });
}
