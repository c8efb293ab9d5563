-- Analytics: the KPI ledger is computed from order_events; these indexes cover the five event
-- types it counts. Partial, so the audit trail's other events (created, reserved, shipped ...)
-- cost nothing extra. Queries must repeat the exact type list for the planner to use them.

-- The projector: one tenant's counted events after its checkpoint, in (xid, id) order.
CREATE INDEX order_events_analytics_feed ON order_events (tenant_id, xid, id)
  WHERE type IN ('order.completed', 'order.failed', 'order.payment_failed', 'order.cancelled', 'refund.succeeded');

-- The ledger: one tenant's counted events in a time range (days in the tenant's time zone).
CREATE INDEX order_events_analytics_time ON order_events (tenant_id, created_at)
  WHERE type IN ('order.completed', 'order.failed', 'order.payment_failed', 'order.cancelled', 'refund.succeeded');
