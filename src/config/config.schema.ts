import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
/** A retention window; 0 keeps the rows for ever. */
const retention = z.coerce.number().int().min(0, 'must be 0 (keep for ever) or a positive whole number');
/**
 * The gateway dedupe ledger must outlive every redelivery of an event: the simulator's are over
 * within seconds, but Stripe-style gateways retry a webhook for up to 3 days.
 */
export const MIN_GATEWAY_EVENTS_DAYS = 3;
const rate = z.coerce.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
/** "20-200" (milliseconds) or a single number. */
const range = z
  .string()
  .regex(/^\d+(-\d+)?$/, 'must be "MIN-MAX" milliseconds, e.g. 20-200')
  .transform((v) => {
    const [min, max = min] = v.split('-').map(Number) as [number, number?];
    return { min, max };
  })
  .refine((r) => r.min <= r.max, 'must have MIN <= MAX');
export const NOTIFY_CHANNEL_NAMES = ['email', 'sms', 'push', 'log'] as const;
export const DEFAULT_NOTIFY_CHANNELS: readonly (typeof NOTIFY_CHANNEL_NAMES)[number][] = ['email', 'log'];
/** "email,log": a comma-separated, non-empty subset of the notification channels. */
const channelList = z
  .string()
  .transform((v) => [...new Set(v.split(',').map((c) => c.trim()).filter(Boolean))])
  .pipe(z.array(z.enum(NOTIFY_CHANNEL_NAMES, { error: `must list channels among ${NOTIFY_CHANNEL_NAMES.join(', ')}, comma-separated` })).min(1, 'must name at least one channel'));

/** Every environment variable ordersys reads. The only schema over process.env. */
export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
      .optional(),
    DATABASE_POOL_MAX: positiveInt.default(10),
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
    ORDERSYS_DATA_DIR: z.string().min(1).default('./data'),
    ORDERSYS_SECRET: z
      .string()
      .min(32, 'must be at least 32 characters (generate one with `openssl rand -hex 32`)')
      .optional(),
    ORDERSYS_DEFAULT_TENANT: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lowercase slug (letters, digits, dashes)')
      .default('demo'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: port.default(3000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    RESERVATION_HOLD_MINUTES: positiveInt.default(15),
    SHUTDOWN_TIMEOUT_MS: positiveInt.default(15_000),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(60_000),
    GATEWAY_SUCCESS_RATE: rate.default(0.95),
    GATEWAY_REFUND_SUCCESS_RATE: rate.default(1),
    GATEWAY_LATENCY_MS: range.default({ min: 20, max: 200 }),
    GATEWAY_DUPLICATE_RATE: rate.default(0),
    GATEWAY_LATE_RATE: rate.default(0),
    GATEWAY_OUT_OF_ORDER_MS: z.coerce.number().int().min(0).default(0),
    GATEWAY_SEED: z.coerce.number().int().default(1),
    GATEWAY_DELIVERY: z.enum(['inprocess', 'http']).default('inprocess'),
    GATEWAY_WEBHOOK_URL: z.url().optional(),
    SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
    NOTIFY_FROM: z.string().trim().min(3).default('ordersys <no-reply@localhost>'),
    NOTIFY_CHANNELS: channelList.default([...DEFAULT_NOTIFY_CHANNELS]),
    NOTIFY_SMS_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }).optional(),
    NOTIFY_PUSH_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }).optional(),
    NOTIFY_MAX_ATTEMPTS: positiveInt.max(100).default(5),
    NOTIFY_RETRY_BASE_MS: positiveInt.default(30_000),
    NOTIFY_OPERATOR_EMAIL: z.email().optional(),
    IMPORT_MAX_BYTES: positiveInt.default(2 * 1024 ** 3),
    QUEUE_WAIT_ALERT_SECONDS: positiveInt.default(60),
    NATS_URL: z.url({ protocol: /^(nats|tls)$/, error: 'must be a nats:// or tls:// URL' }).optional(),
    NATS_STREAM: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a JetStream stream name (letters, digits, _ and -)').default('ORDERSYS'),
    NATS_SUBJECT_PREFIX: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'must be one subject token (lowercase letters, digits, _ and -)').default('ordersys'),
    OUTBOUND_RELAY_BATCH: positiveInt.max(10_000).default(500),
    OUTBOUND_RELAY_INTERVAL_MS: positiveInt.default(500),
    OUTBOUND_WEBHOOK_TIMEOUT_MS: positiveInt.default(5_000),
    OUTBOUND_WEBHOOK_CONCURRENCY: positiveInt.max(256).default(8),
    OUTBOUND_RETRY_BASE_MS: positiveInt.default(10_000),
    OUTBOUND_RETRY_MAX_MS: positiveInt.default(3_600_000),
    OUTBOUND_RETRY_FOR_MS: positiveInt.default(24 * 3_600_000),
    RETAIN_IDEMPOTENCY_HOURS: retention.default(72),
    RETAIN_GATEWAY_EVENTS_DAYS: retention
      .refine((d) => d === 0 || d >= MIN_GATEWAY_EVENTS_DAYS, `must be 0 (keep for ever) or at least ${MIN_GATEWAY_EVENTS_DAYS} days, longer than a gateway redelivers a webhook`)
      .default(30),
    RETAIN_NOTIFICATIONS_DAYS: retention.default(90),
    RETAIN_WEBHOOK_DELIVERIES_DAYS: retention.default(30),
    RETAIN_IMPORT_ERRORS_DAYS: retention.default(90),
  })
  .superRefine((env, ctx) => {
    if (env.GATEWAY_DELIVERY === 'http' && !env.GATEWAY_WEBHOOK_URL) {
      ctx.addIssue({ code: 'custom', path: ['GATEWAY_WEBHOOK_URL'], message: 'is required when GATEWAY_DELIVERY=http' });
    }
    // Scale-out processes on several machines must agree on one secret: never generate it there.
    if (env.DATABASE_URL && !env.ORDERSYS_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['ORDERSYS_SECRET'],
        message: 'is required when DATABASE_URL is set (every process must share it)',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;
