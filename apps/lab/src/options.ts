import { join } from 'node:path';
import { z } from 'zod';

/** Thrown for bad command-line input: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const oddSize = z.coerce
  .number()
  .int()
  .min(1)
  .max(9)
  .refine((n) => n % 2 === 1, 'must be odd (1, 3, 5, 7 or 9)');

export const EnsembleFlags = z.object({
  size: oddSize.default(3),
  tick: z.coerce.number().int().min(50).max(10_000).default(200),
  heap: z.coerce.number().int().min(64).max(16_384).default(512),
});

export const ServerId = z.coerce.number().int().min(1);

/** Parses with a schema and turns its complaints into one UsageError. */
export function parseOrUsage<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues
    .map((i) => `${i.path.length > 0 ? `--${i.path.join('.')}` : what}: ${i.message}`)
    .join('; ');
  throw new UsageError(`bad ${what}: ${problems}`);
}

/** The lab's state folder: ZK_LAB_STATE, or .lab/ under the current folder. */
export function stateDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.ZK_LAB_STATE ?? join(process.cwd(), '.lab');
}

/** `lab up`'s apps: how many of each, and what the producer streams. */
export const AppFlags = z.object({
  masters: z.coerce.number().int().min(1).max(9).default(2),
  workers: z.coerce.number().int().min(0).max(32).default(3),
  /** Jobs per second; 0 runs no producer. */
  rate: z.coerce.number().min(0).max(1_000).default(2),
  /** The apps' session timeout. */
  sessionTimeout: z.coerce.number().int().min(1_000).max(60_000).default(4_000),
});

export const DelayMs = z.coerce.number().int().min(0).max(60_000);

/** `lab chaos`: the schedule and its own lab's apps. */
export const ChaosFlags = z.object({
  seed: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(() => Math.floor(Math.random() * 1_000_000)),
  duration: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 3600)
    .default(300),
  rounds: z.coerce.number().int().min(1).max(1_000).optional(),
  freshJobs: z.coerce.number().int().min(1).max(10_000).default(20),
  rate: z.coerce.number().min(0).max(1_000).default(20),
});
