-- Refunds: what the refund paths read on every booking and every gateway answer.

-- A booking sums the order's succeeded and pending refunds under the order lock; (order_id,
-- status) serves that sum and every per-order listing, so it replaces the plain order index.
CREATE INDEX refunds_order_status ON refunds (order_id, status);
DROP INDEX refunds_order;

-- Money captured for an order already cancelled is rare: a tiny partial index lets the sweep that
-- refunds it find those orders without scanning the event log.
CREATE INDEX order_events_captured_late ON order_events (order_id) WHERE type = 'payment.captured_late';
