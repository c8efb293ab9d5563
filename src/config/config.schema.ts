import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

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
  })
  .superRefine((env, ctx) => {
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
