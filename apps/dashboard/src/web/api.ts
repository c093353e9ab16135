/**
 * The page's HTTP side: GETs parsed with the protocol's schemas, POSTs with the lab token.
 * A mismatch between what the server sends and the schema is logged and shown, never drawn.
 */
import type { z } from 'zod';
import { ApiErrorSchema } from '../protocol';

const TOKEN_KEY = 'zk-lab-dashboard-token';

/** Takes `#token=…` from the URL into sessionStorage and out of the address bar. */
export function adoptToken(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match?.[1] === undefined) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** An answer the server refused (4xx/5xx), with its ApiError line. */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the server sent does not match the protocol. */
export class ProtocolMismatch extends Error {
  override readonly name = 'ProtocolMismatch';
}

export function parseWith<S extends z.ZodType>(
  schema: S,
  what: string,
  value: unknown,
): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  console.error(`dashboard: ${what} does not match the protocol`, parsed.error.issues, value);
  const first = parsed.error.issues[0];
  throw new ProtocolMismatch(
    `${what} does not match the protocol${first ? ` (${first.path.join('.') || 'value'}: ${first.message})` : ''}`,
  );
}

async function answer<S extends z.ZodType>(
  response: Response,
  schema: S,
  what: string,
): Promise<z.infer<S>> {
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = ApiErrorSchema.safeParse(body);
    throw new ApiFailure(
      response.status,
      error.success ? error.data.error : `${what}: HTTP ${response.status} ${response.statusText}`,
    );
  }
  return parseWith(schema, what, body);
}

export async function getJson<S extends z.ZodType>(url: string, schema: S): Promise<z.infer<S>> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  return answer(response, schema, `GET ${url.split('?')[0] ?? url}`);
}

export async function postJson<S extends z.ZodType>(
  url: string,
  body: unknown,
  schema: S,
): Promise<z.infer<S>> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
  };
  const bearer = token();
  if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  return answer(response, schema, `POST ${url}`);
}

export const query = (params: Record<string, string | number>): string =>
  new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
