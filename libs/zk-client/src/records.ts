/**
 * Request bodies and reply bodies of each operation (zookeeper.jute, package
 * org.apache.zookeeper.proto). Kept apart from the client so `multi` can
 * reuse the same encoders for its sub-operations.
 */
import { type JuteReader, type JuteWriter } from './jute';
import { type ACL, OpCode, readAcl, readStat, type Stat, writeAcl } from './protocol';

export interface ConnectRequest {
  protocolVersion: number;
  lastZxidSeen: bigint;
  timeOutMs: number;
  sessionId: bigint;
  password: Buffer;
  readOnly: boolean;
}

export interface ConnectResponse {
  protocolVersion: number;
  /** The negotiated session timeout; zero or less means the session has expired. */
  timeOutMs: number;
  sessionId: bigint;
  password: Buffer;
  readOnly: boolean;
}

export function writeConnectRequest(w: JuteWriter, r: ConnectRequest): void {
  w.writeInt(r.protocolVersion)
    .writeLong(r.lastZxidSeen)
    .writeInt(r.timeOutMs)
    .writeLong(r.sessionId)
    .writeBuffer(r.password)
    .writeBool(r.readOnly);
}

export function readConnectResponse(r: JuteReader): ConnectResponse {
  const protocolVersion = r.readInt();
  const timeOutMs = r.readInt();
  const sessionId = r.readLong();
  const password = r.readBuffer();
  // Servers before 3.3 do not send the readOnly flag.
  const readOnly = r.remaining > 0 ? r.readBool() : false;
  return { protocolVersion, timeOutMs, sessionId, password, readOnly };
}

export function writeRequestHeader(w: JuteWriter, xid: number, type: number): void {
  w.writeInt(xid).writeInt(type);
}

/** CreateRequest (create, create2, createContainer). */
export function writeCreateRequest(
  w: JuteWriter,
  path: string,
  data: Buffer | null,
  acl: readonly ACL[],
  flags: number,
): void {
  w.writeString(path).writeBuffer(data).writeVector(acl, writeAcl).writeInt(flags);
}

/** CreateTTLRequest (createTTL). */
export function writeCreateTtlRequest(
  w: JuteWriter,
  path: string,
  data: Buffer | null,
  acl: readonly ACL[],
  flags: number,
  ttlMs: number,
): void {
  writeCreateRequest(w, path, data, acl, flags);
  w.writeLong(BigInt(ttlMs));
}

/** CreateResponse (create). */
export function readCreateResponse(r: JuteReader): string {
  return r.readString();
}

/** Create2Response (create2, createContainer, createTTL). */
export function readCreate2Response(r: JuteReader): { path: string; stat: Stat } {
  const path = r.readString();
  const stat = readStat(r);
  return { path, stat };
}

/** DeleteRequest, also CheckVersionRequest (check): a path and an expected version. */
export function writePathVersionRequest(w: JuteWriter, path: string, version: number): void {
  w.writeString(path).writeInt(version);
}

/** ExistsRequest, GetDataRequest, GetChildrenRequest, GetChildren2Request: a path and a watch flag. */
export function writePathWatchRequest(w: JuteWriter, path: string, watch: boolean): void {
  w.writeString(path).writeBool(watch);
}

/** SetDataRequest. */
export function writeSetDataRequest(
  w: JuteWriter,
  path: string,
  data: Buffer | null,
  version: number,
): void {
  w.writeString(path).writeBuffer(data).writeInt(version);
}

/** GetDataResponse. */
export function readGetDataResponse(r: JuteReader): { data: Buffer; stat: Stat } {
  const data = r.readBuffer();
  const stat = readStat(r);
  return { data, stat };
}

/** GetChildrenResponse. */
export function readGetChildrenResponse(r: JuteReader): string[] {
  return r.readStringVector();
}

/** GetChildren2Response. */
export function readGetChildren2Response(r: JuteReader): { children: string[]; stat: Stat } {
  const children = r.readStringVector();
  const stat = readStat(r);
  return { children, stat };
}

/** MultiHeader: precedes each op of a multi request and each result of its reply. */
export interface MultiHeader {
  type: number;
  done: boolean;
  err: number;
}

export function writeMultiHeader(w: JuteWriter, h: MultiHeader): void {
  w.writeInt(h.type).writeBool(h.done).writeInt(h.err);
}

export function readMultiHeader(r: JuteReader): MultiHeader {
  return { type: r.readInt(), done: r.readBool(), err: r.readInt() };
}

/** ErrorResponse: the result of a failed (or rolled back) op inside a multi reply. */
export function readErrorResponse(r: JuteReader): number {
  return r.readInt();
}

/** An op's failure inside a MultiResponse: its error code. */
export interface MultiErrorResult {
  type: 'error';
  err: number;
}

/**
 * A MultiResponse (of `multi` and of `multiRead`): a MultiHeader before each result, up to
 * a header with done set. An error result is read here; `readResult` reads every other by
 * its header's type (and throws JuteDecodeError on a type it does not expect).
 */
export function readMultiResults<T>(
  r: JuteReader,
  readResult: (type: number) => T,
): (T | MultiErrorResult)[] {
  const results: (T | MultiErrorResult)[] = [];
  for (;;) {
    const header = readMultiHeader(r);
    if (header.done) return results;
    results.push(
      header.type === OpCode.error
        ? { type: 'error', err: readErrorResponse(r) }
        : readResult(header.type),
    );
  }
}

/** AuthPacket (addAuth); `type` is always 0. */
export function writeAuthPacket(w: JuteWriter, scheme: string, auth: Buffer): void {
  w.writeInt(0).writeString(scheme).writeBuffer(auth);
}

/** GetACLRequest, SyncRequest: a path alone. */
export function writePathRequest(w: JuteWriter, path: string): void {
  w.writeString(path);
}

/** GetACLResponse. */
export function readGetAclResponse(r: JuteReader): { acl: ACL[]; stat: Stat } {
  const acl = r.readVector(readAcl);
  const stat = readStat(r);
  return { acl, stat };
}

/** SetACLRequest. */
export function writeSetAclRequest(
  w: JuteWriter,
  path: string,
  acl: readonly ACL[],
  version: number,
): void {
  w.writeString(path).writeVector(acl, writeAcl).writeInt(version);
}

/** Watches re-registered on a new connection of the same session; all paths are server paths. */
export interface SetWatches2 {
  /** Changes after this zxid fire the one-shot watches at once instead of registering them. */
  relativeZxid: bigint;
  dataWatches: readonly string[];
  existWatches: readonly string[];
  childWatches: readonly string[];
  persistentWatches: readonly string[];
  persistentRecursiveWatches: readonly string[];
}

/**
 * SetWatches (op setWatches, xid setWatches): the one-shot lists only. Sent when a batch
 * holds no persistent watch, as the Java client does: a 3.5 server knows no SetWatches2
 * and closes the connection on it.
 */
export function writeSetWatches(w: JuteWriter, r: SetWatches2): void {
  w.writeLong(r.relativeZxid)
    .writeStringVector(r.dataWatches)
    .writeStringVector(r.existWatches)
    .writeStringVector(r.childWatches);
}

/** SetWatches2 (op setWatches2, sent with xid setWatches). */
export function writeSetWatches2(w: JuteWriter, r: SetWatches2): void {
  w.writeLong(r.relativeZxid)
    .writeStringVector(r.dataWatches)
    .writeStringVector(r.existWatches)
    .writeStringVector(r.childWatches)
    .writeStringVector(r.persistentWatches)
    .writeStringVector(r.persistentRecursiveWatches);
}

/** AddWatchRequest. */
export function writeAddWatchRequest(w: JuteWriter, path: string, mode: number): void {
  w.writeString(path).writeInt(mode);
}

/** RemoveWatchesRequest: a path and a WatcherType. */
export function writeRemoveWatchesRequest(w: JuteWriter, path: string, type: number): void {
  w.writeString(path).writeInt(type);
}
