import { Counter, type Registry } from 'prom-client';

const SWEEP = 'ordersys_refund_sweep_orders_total';

/** Cancelled orders the refund sweep booked a refund for, or gave up on (outcome="abandoned"). */
export function sweepCounter(registry: Registry): Counter<'outcome'> {
  return (
    (registry.getSingleMetric(SWEEP) as Counter<'outcome'> | undefined) ??
    new Counter({
      name: SWEEP,
      help: 'Cancelled orders still owed money: refund booked by the sweep, or abandoned after too many declined refunds',
      labelNames: ['outcome'] as const,
      registers: [registry],
    })
  );
}
