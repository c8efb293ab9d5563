import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process role; modules register their own metrics on it. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ordersys_' });
  const httpDuration = new Histogram({
    name: 'ordersys_http_request_duration_seconds',
    help: 'HTTP request duration by route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const jobsProcessed = new Counter({
    name: 'ordersys_jobs_processed_total',
    help: 'Jobs processed by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    registers: [registry],
  });
  const reservationRetries = new Counter({
    name: 'ordersys_reservation_retries_total',
    help: 'Reservation batches decided on stock that moved before booking, run again with products locked first',
    registers: [registry],
  });
  return { registry, httpDuration, jobsProcessed, reservationRetries };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * A module's own counter on the process registry, made on first use and found again after: a
 * module's functions run in every context of a process (tests open several), and prom-client
 * refuses a second metric of one name.
 */
export function counterIn<L extends string = never>(registry: Registry, config: { name: string; help: string; labelNames?: readonly L[] }): Counter<L> {
  return (registry.getSingleMetric(config.name) as Counter<L> | undefined) ?? new Counter<L>({ ...config, registers: [registry] });
}
