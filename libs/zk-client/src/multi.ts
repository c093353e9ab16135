/**
 * `multi`: several writes applied as one transaction, all or none.
 *
 * The server checks every op against the state the earlier ops of the same transaction
 * leave, then commits them together under one zxid; if any op fails, nothing is applied
 * and the reply says which op failed (its error), which would have succeeded (OK) and
 * which were never tried (RuntimeInconsistency). That is what makes a transaction a fence:
 * `check` of a version that has moved on fails the whole transaction.
 *
 * Like every write, a commit that fails with ConnectionLossError may or may not have been
 * applied; it is never repeated behind the caller's back.
 */
import type { CreateOptions } from './client';
import type { OutgoingRequest } from './connection';
import {
  BadArgumentsError,
  errorFromCode,
  MarshallingError,
  ZkError,
  type ZkErrorContext,
} from './errors';
import { JuteDecodeError, type JuteReader, JuteWriter } from './jute';
import { toClientPath, toServerPath, validatePath } from './paths';
import {
  CreateMode,
  isSequential,
  isTtl,
  OPEN_ACL_UNSAFE,
  OpCode,
  readStat,
  type Stat,
} from './protocol';
import {
  readMultiResults,
  writeCreateRequest,
  writeCreateTtlRequest,
  writeMultiHeader,
  writePathVersionRequest,
  writeSetDataRequest,
} from './records';

export type MultiOpType = 'create' | 'delete' | 'setData' | 'check';

/** What one op of a committed transaction did; paths are relative to the client's chroot. */
export type MultiResult =
  /**
   * `stat` is there when the server sends it: ZooKeeper 3.8 does for container and TTL
   * nodes, but answers other creates inside a multi with the path alone.
   */
  | { op: 'create'; path: string; stat?: Stat }
  | { op: 'delete' }
  | { op: 'setData'; stat: Stat }
  | { op: 'check' };

/** Options of a create inside a transaction: those of `create()` but `protected`. */
export type MultiCreateOptions = Omit<CreateOptions, 'protected'>;

/** How one op of a failed transaction fared, as the server reports it. */
export interface MultiOutcome {
  op: MultiOpType;
  /** The path as given to the builder. */
  path: string;
  /**
   * null: this op would have succeeded (and was rolled back with the rest). Otherwise the
   * failing op's error, or RuntimeInconsistencyError for the ops after it, never tried.
   */
  error: ZkError | null;
}

/**
 * A transaction was rejected as a whole: nothing of it was applied. `code`, `op` and
 * `path` are those of the op that failed; `index` is its position in the transaction.
 */
export class MultiError extends ZkError {
  override name = 'MultiError';
  /** Position of the failing op in the transaction, from 0. */
  readonly index: number;
  /** The failing op's own error, e.g. a BadVersionError for a check. */
  readonly opError: ZkError;
  /** One entry per op of the transaction, in order. */
  readonly outcomes: readonly MultiOutcome[];

  constructor(index: number, opError: ZkError, outcomes: readonly MultiOutcome[]) {
    super(
      opError.code,
      `transaction rolled back: op ${index} of ${outcomes.length} failed with ${opError.name}`,
      { op: opError.op, path: opError.path },
    );
    this.index = index;
    this.opError = opError;
    this.outcomes = outcomes;
    this.cause = opError;
  }
}

/** What a transaction needs from the client that commits it. */
export interface TransactionTarget {
  readonly chroot: string;
  /** Sends a request; an error code in the reply header is thrown as a ZkError. */
  call<T>(request: OutgoingRequest, decode: (reader: JuteReader) => T): Promise<T>;
}

interface PendingOp {
  op: MultiOpType;
  path: string;
  opCode: number;
  write(w: JuteWriter): void;
}

/** One result of a multi reply, before it is matched to its op. */
type RawResult =
  | { type: 'create'; path: string; stat?: Stat }
  | { type: 'delete' }
  | { type: 'setData'; stat: Stat }
  | { type: 'check' }
  | { type: 'error'; err: number };

const MULTI_CONTEXT: ZkErrorContext = { op: 'multi' };

/**
 * Builds a transaction: `client.multi().check(...).create(...).delete(...).commit()`.
 * Each builder call validates its arguments at once (InvalidPathError, BadArgumentsError);
 * nothing is sent before `commit()`. A transaction commits once.
 */
export class Transaction {
  private readonly ops: PendingOp[] = [];
  private committed = false;

  constructor(private readonly target: TransactionTarget) {}

  /** Number of ops added so far. */
  get size(): number {
    return this.ops.length;
  }

  /** Creates a node; its result holds the created path (with the sequence suffix, if any). */
  create(path: string, data?: Buffer | string, options: MultiCreateOptions = {}): this {
    const mode = options.mode ?? CreateMode.PERSISTENT;
    const context = { op: 'create', path };
    validatePath(path, { sequential: isSequential(mode), op: 'create' });
    if ((options as CreateOptions).protected === true) {
      throw new BadArgumentsError(context, 'a protected create cannot be part of a transaction');
    }
    const acl = options.acl ?? OPEN_ACL_UNSAFE;
    if (acl.length === 0) throw new BadArgumentsError(context, 'an empty ACL is not allowed');
    const serverPath = this.serverPath(path);
    const bytes = toBuffer(data);
    const ttl = options.ttlMs;
    if (isTtl(mode)) {
      if (ttl === undefined || !Number.isInteger(ttl) || ttl <= 0) {
        throw new BadArgumentsError(context, 'a TTL mode needs a positive integer ttlMs');
      }
      return this.add('create', path, OpCode.createTTL, (w) =>
        writeCreateTtlRequest(w, serverPath, bytes, acl, mode, ttl),
      );
    }
    if (ttl !== undefined) {
      throw new BadArgumentsError(context, 'ttlMs is only valid with a TTL mode');
    }
    const opCode = mode === CreateMode.CONTAINER ? OpCode.createContainer : OpCode.create2;
    return this.add('create', path, opCode, (w) =>
      writeCreateRequest(w, serverPath, bytes, acl, mode),
    );
  }

  /** Deletes a node; `version` -1 matches any version. */
  delete(path: string, version = -1): this {
    validatePath(path, { op: 'delete' });
    const serverPath = this.serverPath(path);
    return this.add('delete', path, OpCode.delete, (w) =>
      writePathVersionRequest(w, serverPath, version),
    );
  }

  /** Replaces a node's data; `version` -1 matches any version. */
  setData(path: string, data: Buffer | string, version = -1): this {
    validatePath(path, { op: 'setData' });
    const serverPath = this.serverPath(path);
    const bytes = toBuffer(data);
    return this.add('setData', path, OpCode.setData, (w) =>
      writeSetDataRequest(w, serverPath, bytes, version),
    );
  }

  /** Fails the transaction unless the node exists at `version` (-1: exists at all). */
  check(path: string, version: number): this {
    validatePath(path, { op: 'check' });
    const serverPath = this.serverPath(path);
    return this.add('check', path, OpCode.check, (w) =>
      writePathVersionRequest(w, serverPath, version),
    );
  }

  /**
   * Sends the transaction. Resolves with one result per op, in order, once all were
   * applied; rejects with MultiError when the server rejected it (nothing applied), or
   * with the error of the whole request (ConnectionLossError, SessionExpiredError, …).
   */
  async commit(): Promise<MultiResult[]> {
    if (this.committed) {
      throw new BadArgumentsError(MULTI_CONTEXT, 'this transaction was committed already');
    }
    this.committed = true;
    const body = new JuteWriter();
    for (const op of this.ops) {
      writeMultiHeader(body, { type: op.opCode, done: false, err: -1 });
      op.write(body);
    }
    writeMultiHeader(body, { type: -1, done: true, err: -1 });
    const raw = await this.target.call(
      { opCode: OpCode.multi, body: body.view(), context: MULTI_CONTEXT },
      readMultiResponse,
    );
    return this.interpret(raw);
  }

  private interpret(raw: RawResult[]): MultiResult[] {
    if (raw.length !== this.ops.length) throw new MarshallingError(MULTI_CONTEXT);
    const failed = raw.findIndex((r) => r.type === 'error' && r.err !== 0);
    if (failed >= 0) throw this.failure(raw, failed);

    return raw.map((result, i): MultiResult => {
      const op = this.ops[i];
      if (op === undefined || result.type !== op.op) throw new MarshallingError(MULTI_CONTEXT);
      if (result.type === 'create') {
        const path = toClientPath(this.target.chroot, result.path);
        return result.stat === undefined
          ? { op: 'create', path }
          : { op: 'create', path, stat: result.stat };
      }
      if (result.type === 'setData') return { op: 'setData', stat: result.stat };
      return { op: result.type };
    });
  }

  private failure(raw: RawResult[], failed: number): MultiError {
    const outcomes = this.ops.map((op, i): MultiOutcome => {
      const result = raw[i];
      const code = result?.type === 'error' ? result.err : 0;
      return {
        op: op.op,
        path: op.path,
        error: code === 0 ? null : errorFromCode(code, { op: op.op, path: op.path }),
      };
    });
    const opError = outcomes[failed]?.error;
    if (opError === undefined || opError === null) throw new MarshallingError(MULTI_CONTEXT);
    return new MultiError(failed, opError, outcomes);
  }

  private add(op: MultiOpType, path: string, opCode: number, write: (w: JuteWriter) => void): this {
    if (this.committed) {
      throw new BadArgumentsError(MULTI_CONTEXT, 'this transaction was committed already');
    }
    this.ops.push({ op, path, opCode, write });
    return this;
  }

  private serverPath(path: string): string {
    return toServerPath(this.target.chroot, path);
  }
}

/** A multi's MultiResponse: one result per op (multi results by type, errors by code). */
function readMultiResponse(r: JuteReader): RawResult[] {
  return readMultiResults(r, (type): RawResult => {
    switch (type) {
      case OpCode.create:
        return { type: 'create', path: r.readString() };
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL: {
        const path = r.readString();
        return { type: 'create', path, stat: readStat(r) };
      }
      case OpCode.delete:
      case OpCode.deleteContainer:
        return { type: 'delete' };
      case OpCode.setData:
        return { type: 'setData', stat: readStat(r) };
      case OpCode.check:
        return { type: 'check' };
      default:
        throw new JuteDecodeError(`unknown result type ${type} in a multi reply`);
    }
  });
}

function toBuffer(data: Buffer | string | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}
