import { z } from 'zod';

/** The JSON bodies of the proxy daemon's control API (see daemon.ts), checked on both ends. */
export const linkNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/);
const port = z.number().int().min(1).max(65535);

export const addLinkRequest = z.object({
  name: linkNameSchema,
  targetPort: port,
  listenPort: port.optional(),
  protocol: z.enum(['zk-client', 'zk-election', 'raw']).optional(),
});

export const modeRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pass') }),
  z.object({ kind: z.literal('partition') }),
  z.object({ kind: z.literal('reset') }),
  z.object({ kind: z.literal('delay'), ms: z.number().int().min(0).max(600_000) }),
]);

/** Several links at once: a partition of a server is set on all its links together. */
export const modesRequest = z.object({ names: z.array(linkNameSchema), mode: modeRequest });

export const dropRequest = z.object({ opTypes: z.array(z.number().int()).optional() });

export const steadyMode = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pass') }),
  z.object({ kind: z.literal('partition') }),
  z.object({ kind: z.literal('delay'), ms: z.number() }),
]);

export const linkInfoSchema = z.object({
  name: z.string(),
  listenPort: z.number(),
  targetPort: z.number(),
  protocol: z.enum(['zk-client', 'zk-election', 'raw']),
  mode: steadyMode,
  connections: z.number(),
  dropArmed: z.boolean(),
});

export const linksResponse = z.object({ links: z.array(linkInfoSchema) });

/** The outcome of the last dropNextReply of a link. */
export const dropStateResponse = z.discriminatedUnion('state', [
  z.object({ state: z.literal('none') }),
  z.object({ state: z.literal('armed') }),
  z.object({ state: z.literal('fired'), xid: z.number(), opType: z.number() }),
  z.object({ state: z.literal('interrupted'), message: z.string() }),
]);

export const errorResponse = z.object({
  error: z.enum(['unknown-link', 'link-exists', 'drop-armed', 'invalid-request', 'internal']),
  message: z.string(),
  /** The link the error is about, for the typed errors that carry one. */
  link: z.string().optional(),
});

/** What the daemon writes to its state file once it listens. */
export const daemonStateSchema = z.object({ pid: z.number().int(), controlPort: port });
export type DaemonState = z.infer<typeof daemonStateSchema>;
