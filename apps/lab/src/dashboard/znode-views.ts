/**
 * Znodes as the page sees them (the protocol's NodeSummary, StatView and NodeDetail): their
 * type from the Stat, a preview that is text only when the bytes are UTF-8, and the exact
 * bytes as base64 with a guess of how to show them first.
 */
import type { NodeDetail, NodeSummary, StatView } from '@zk-lab/dashboard';
import type { Stat } from '@zk-lab/zk-client';
import {
  looksSequential,
  ownerSession,
  sessionHex,
  znodeType,
  type ZnodeEntry,
} from '../top/znode-tree';

const PREVIEW_CHARS = 80;
/** Enough bytes for 80 characters of most text (and for the hex of a binary start). */
const PREVIEW_BYTES = 160;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes that are not text even when they decode: controls other than tab, CR and LF. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** `data` as UTF-8 when it decodes without loss, else null. */
export function utf8Text(data: Buffer): string | null {
  try {
    return strictUtf8.decode(data);
  } catch {
    return null;
  }
}

function cut(text: string): string {
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
}

/** The first bytes as one line of text when they are UTF-8 text, else as hex; ≤ 80 chars. */
export function dataPreview(data: Buffer): string {
  if (data.length === 0) return '';
  const head = data.subarray(0, PREVIEW_BYTES);
  let text: string | null;
  try {
    // `stream` tolerates a character cut at the end of the head.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(head, {
      stream: data.length > head.length,
    });
  } catch {
    text = null;
  }
  if (text !== null && !CONTROL.test(text)) {
    const line = text.replace(/\s+/g, ' ').trim();
    return cut(data.length > head.length ? `${line}…` : line);
  }
  const hex = [...data.subarray(0, 26)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return data.length > 26 ? `${hex} …` : hex;
}

export function zxidHex(zxid: bigint): string {
  return `0x${BigInt.asUintN(64, zxid).toString(16)}`;
}

export function statView(stat: Stat): StatView {
  return {
    czxid: zxidHex(stat.czxid),
    mzxid: zxidHex(stat.mzxid),
    pzxid: zxidHex(stat.pzxid),
    ctime: Number(stat.ctime),
    mtime: Number(stat.mtime),
    version: stat.version,
    cversion: stat.cversion,
    aversion: stat.aversion,
    ephemeralOwner: sessionHex(stat.ephemeralOwner),
    dataLength: stat.dataLength,
    numChildren: stat.numChildren,
  };
}

/** A row of the tree, from the mirror's entry. */
export function nodeSummary(entry: ZnodeEntry): NodeSummary {
  const owner = ownerSession(entry.stat);
  return {
    path: entry.path,
    name: entry.name,
    type: znodeType(entry.stat),
    sequential: looksSequential(entry.name),
    owner: owner === null ? null : sessionHex(owner),
    version: entry.stat.version,
    numChildren: entry.stat.numChildren,
    dataLength: entry.stat.dataLength,
    preview: entry.preview,
  };
}

/** How the page shows the data first: JSON for an object or array, text, or bytes. */
export function encodingOf(data: Buffer, text: string | null): NodeDetail['encoding'] {
  if (data.length === 0) return 'empty';
  if (text === null || CONTROL.test(text)) return 'binary';
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      JSON.parse(trimmed);
      return 'json';
    } catch {
      return 'utf8';
    }
  }
  return 'utf8';
}

export function nodeDetail(path: string, data: Buffer, stat: Stat): NodeDetail {
  const text = utf8Text(data);
  return {
    path,
    type: znodeType(stat),
    stat: statView(stat),
    base64: data.toString('base64'),
    encoding: encodingOf(data, text),
    text,
  };
}
