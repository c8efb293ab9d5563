import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs for machines; pretty lines when a person watches a terminal. */
export function createLogger(level: string, name = 'ordersys'): Logger {
  const pretty = process.stdout.isTTY && process.env.NODE_ENV !== 'production';
  return pino({
    name,
    level,
    redact: { paths: ['req.headers.authorization', 'req.headers["stripe-signature"]', '*.secret', '*.apiKey'], censor: '[redacted]' },
    ...(pretty && { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }),
  });
}
