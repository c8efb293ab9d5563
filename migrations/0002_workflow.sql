-- Order workflow: payments dedupe, event ordering for projections, and stock ledger queries.

-- The transaction that wrote each event. Projections read only events whose transaction is older
-- than every transaction still running (pg_snapshot_xmin), so a slow transaction's events can
-- never be skipped by a reader that already moved past its bigserial id.
ALTER TABLE order_events ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX order_events_xid ON order_events (xid, id);

-- One open (pending or captured) payment per order: a retried payment job cannot charge twice.
CREATE UNIQUE INDEX payments_one_open ON payments (order_id) WHERE status <> 'failed';
CREATE INDEX payments_pending ON payments (created_at) WHERE status = 'pending';

-- Gateway events already applied, written in the transaction that applied them: a webhook
-- delivered twice, late or replayed changes nothing the second time.
CREATE TABLE gateway_events (
  event_id     text PRIMARY KEY,
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  type         text NOT NULL,
  outcome      text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX stock_reservations_order ON stock_reservations (order_id);
