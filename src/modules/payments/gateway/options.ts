import { z } from 'zod';
import { DECLINE_CODES } from './events.js';

/*
 * How the simulated gateway behaves. A schema rather than an interface so the config module can
 * build it from environment variables and get field-named errors for free.
 */

const rate = z.number().min(0).max(1);
const ms = z.number().int().nonnegative();

export const gatewayBehaviourSchema = z.object({
  /** Same seed + same payment id => same outcome, latency, lateness and duplication. */
  seed: z.number().int().default(1),
  successRate: rate.default(0.95),
  refundSuccessRate: rate.default(1),
  latencyMs: z
    .object({ min: ms, max: ms })
    .refine((l) => l.min <= l.max, 'latencyMs.min must not exceed latencyMs.max')
    .default({ min: 20, max: 200 }),
  /** Codes for payment.failed; a bare code has weight 1. */
  declineReasons: z
    .array(z.union([z.string().min(1), z.object({ code: z.string().min(1), weight: z.number().positive() })]))
    .min(1)
    .default([...DECLINE_CODES]),
  /** Share of events delivered a second time, with the same id and bytes. */
  duplicateRate: rate.default(0),
  /** Share of events held back by an extra 0..maxDelayMs. */
  lateRate: rate.default(0),
  maxDelayMs: ms.default(5_000),
  /** Deliveries due within the same window go out together in shuffled order. */
  outOfOrder: z.union([z.literal(false), z.object({ windowMs: z.number().int().positive() })]).default(false),
  /** attempts counts the first try; a failed try waits baseDelayMs * 2^(n-1), at most maxDelayMs. */
  retry: z
    .object({
      attempts: z.number().int().min(1).default(4),
      baseDelayMs: ms.default(100),
      maxDelayMs: ms.default(5_000),
    })
    .prefault({}),
  /** Largest group handed to deliverBatch in one call. */
  batchSize: z.number().int().positive().default(500),
  /** Parallel single deliveries (HTTP transport). */
  concurrency: z.number().int().positive().default(8),
});

export type GatewayBehaviourInput = z.input<typeof gatewayBehaviourSchema>;
export type GatewayBehaviour = z.output<typeof gatewayBehaviourSchema>;

export function parseGatewayBehaviour(input: GatewayBehaviourInput): GatewayBehaviour {
  const result = gatewayBehaviourSchema.safeParse(input);
  if (result.success) return result.data;
  throw new Error(`invalid payment gateway simulator options: ${z.prettifyError(result.error)}`);
}
