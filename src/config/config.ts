import path from 'node:path';
import { envSchema } from './config.schema.js';

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly database: { readonly kind: 'pglite'; readonly dataDir: string } | { readonly kind: 'postgres'; readonly url: string; readonly poolMax: number };
  readonly redisUrl: string | undefined;
  readonly dataDir: string;
  /** Undefined in embedded mode until resolveSecret() reads or creates it in the data directory. */
  readonly secret: string | undefined;
  readonly defaultTenant: string;
  readonly http: { readonly host: string; readonly port: number };
  readonly logLevel: string;
  readonly metricsToken: string | undefined;
  readonly reservationHoldMinutes: number;
  readonly shutdownTimeoutMs: number;
  /** Largest CSV upload POST /imports accepts (IMPORT_MAX_BYTES). */
  readonly importMaxBytes: number;
  /** The queue monitor shows a queue in red when its oldest waiting job waited longer (QUEUE_WAIT_ALERT_SECONDS). */
  readonly queueWaitAlertSeconds: number;
  /** Requests per API key per minute; 0 turns rate limiting off. */
  readonly rateLimitPerMinute: number;
  readonly gateway: {
    readonly successRate: number;
    readonly refundSuccessRate: number;
    readonly latencyMs: { readonly min: number; readonly max: number };
    readonly duplicateRate: number;
    readonly lateRate: number;
    readonly outOfOrderMs: number;
    readonly seed: number;
    /** 'inprocess' hands signed events to the webhook handler directly; 'http' POSTs them. */
    readonly delivery: 'inprocess' | 'http';
    readonly webhookUrl: string | undefined;
  };
  readonly notify: {
    /** Unset: email is written as .eml files under <dataDir>/outbox/. */
    readonly smtpUrl: string | undefined;
    readonly from: string;
    /** Channels of tenants that have not chosen their own. */
    readonly channels: readonly ('email' | 'sms' | 'push' | 'log')[];
    readonly smsWebhookUrl: string | undefined;
    readonly pushWebhookUrl: string | undefined;
    readonly maxAttempts: number;
    /** First retry delay; doubles with each attempt. */
    readonly retryBaseMs: number;
    /** Where operator notifications (import finished) are emailed; unset: the NOTIFY_FROM address. */
    readonly operatorEmail: string | undefined;
  };
  readonly outbound: {
    /** Unset: events go to webhook subscribers only. */
    readonly natsUrl: string | undefined;
    readonly natsStream: string;
    /** Events are published on `<prefix>.<tenant slug>.<type>`. */
    readonly natsSubjectPrefix: string;
    /** Events the relay reads and publishes per transaction. */
    readonly relayBatch: number;
    /** How often a worker process looks for new events between cron runs. */
    readonly relayIntervalMs: number;
    readonly webhookTimeoutMs: number;
    /** Webhook requests in flight at once per worker process. */
    readonly webhookConcurrency: number;
    /** First retry delay; doubles with each attempt up to retryMaxMs. */
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
    /** A delivery still failing this long after its event is marked failed. */
    readonly retryForMs: number;
  };
  /** How long operational rows are kept (src/modules/maintenance/retention.ts); 0: for ever. */
  readonly retention: RetentionWindows;
}

export interface RetentionWindows {
  /** Idempotency-Key records; a replay after this is a new request. */
  readonly idempotencyHours: number;
  /** The payment gateway's webhook dedupe ledger. */
  readonly gatewayEventsDays: number;
  /** Sent and failed notifications with their attempts, and .eml files of the file outbox. */
  readonly notificationsDays: number;
  /** Delivered and failed webhook deliveries with their attempts. */
  readonly webhookDeliveriesDays: number;
  /** Rejected lines and phase-2 chunks of finished imports (the imports rows stay). */
  readonly importErrorsDays: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; names every bad variable, not just the first. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const value = typeof issue.path[0] === 'string' ? source[issue.path[0]] : undefined;
      const shown = value === undefined || /SECRET|TOKEN|URL/.test(name) ? '' : ` (got "${value}")`;
      return `${name} ${issue.message}${shown}`;
    });
    throw new ConfigError(problems);
  }
  const env = result.data;
  const dataDir = path.resolve(env.ORDERSYS_DATA_DIR);
  return Object.freeze({
    env: env.NODE_ENV,
    database: env.DATABASE_URL
      ? { kind: 'postgres' as const, url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX }
      : { kind: 'pglite' as const, dataDir: path.join(dataDir, 'pglite') },
    redisUrl: env.REDIS_URL,
    dataDir,
    secret: env.ORDERSYS_SECRET,
    defaultTenant: env.ORDERSYS_DEFAULT_TENANT,
    http: { host: env.HOST, port: env.PORT },
    logLevel: env.LOG_LEVEL,
    metricsToken: env.METRICS_TOKEN,
    reservationHoldMinutes: env.RESERVATION_HOLD_MINUTES,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    importMaxBytes: env.IMPORT_MAX_BYTES,
    queueWaitAlertSeconds: env.QUEUE_WAIT_ALERT_SECONDS,
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    gateway: {
      successRate: env.GATEWAY_SUCCESS_RATE,
      refundSuccessRate: env.GATEWAY_REFUND_SUCCESS_RATE,
      latencyMs: env.GATEWAY_LATENCY_MS,
      duplicateRate: env.GATEWAY_DUPLICATE_RATE,
      lateRate: env.GATEWAY_LATE_RATE,
      outOfOrderMs: env.GATEWAY_OUT_OF_ORDER_MS,
      seed: env.GATEWAY_SEED,
      delivery: env.GATEWAY_DELIVERY,
      webhookUrl: env.GATEWAY_WEBHOOK_URL,
    },
    notify: {
      smtpUrl: env.SMTP_URL,
      from: env.NOTIFY_FROM,
      channels: env.NOTIFY_CHANNELS,
      smsWebhookUrl: env.NOTIFY_SMS_WEBHOOK_URL,
      pushWebhookUrl: env.NOTIFY_PUSH_WEBHOOK_URL,
      maxAttempts: env.NOTIFY_MAX_ATTEMPTS,
      retryBaseMs: env.NOTIFY_RETRY_BASE_MS,
      operatorEmail: env.NOTIFY_OPERATOR_EMAIL,
    },
    outbound: {
      natsUrl: env.NATS_URL,
      natsStream: env.NATS_STREAM,
      natsSubjectPrefix: env.NATS_SUBJECT_PREFIX,
      relayBatch: env.OUTBOUND_RELAY_BATCH,
      relayIntervalMs: env.OUTBOUND_RELAY_INTERVAL_MS,
      webhookTimeoutMs: env.OUTBOUND_WEBHOOK_TIMEOUT_MS,
      webhookConcurrency: env.OUTBOUND_WEBHOOK_CONCURRENCY,
      retryBaseMs: env.OUTBOUND_RETRY_BASE_MS,
      retryMaxMs: env.OUTBOUND_RETRY_MAX_MS,
      retryForMs: env.OUTBOUND_RETRY_FOR_MS,
    },
    retention: {
      idempotencyHours: env.RETAIN_IDEMPOTENCY_HOURS,
      gatewayEventsDays: env.RETAIN_GATEWAY_EVENTS_DAYS,
      notificationsDays: env.RETAIN_NOTIFICATIONS_DAYS,
      webhookDeliveriesDays: env.RETAIN_WEBHOOK_DELIVERIES_DAYS,
      importErrorsDays: env.RETAIN_IMPORT_ERRORS_DAYS,
    },
  });
}
