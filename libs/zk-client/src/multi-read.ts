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
import { errorFromCode, MarshallingError, type ZkError, type ZkErrorContext } from './errors';
import { JuteDecodeError, type JuteReader, JuteWriter } from './jute';
import { toServerPath, validatePath } from './paths';
import { OpCode, readStat, type Stat } from './protocol';
import {
  readErrorResponse,
  readMultiHeader,
  writeMultiHeader,
  writePathWatchRequest,
} from './records';

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

/** MultiResponse of reads: a MultiHeader before each result, up to a header with done set. */
function readMultiReadResponse(r: JuteReader): RawRead[] {
  const results: RawRead[] = [];
  for (;;) {
    const header = readMultiHeader(r);
    if (header.done) return results;
    switch (header.type) {
      case OpCode.getData: {
        const data = r.readBuffer();
        results.push({ type: 'getData', data, stat: readStat(r) });
        break;
      }
      case OpCode.getChildren:
        results.push({ type: 'getChildren', children: r.readStringVector() });
        break;
      case OpCode.error:
        results.push({ type: 'error', err: readErrorResponse(r) });
        break;
      default:
        throw new JuteDecodeError(`unknown result type ${header.type} in a multiRead reply`);
    }
  }
}
