-- The retention job (src/modules/maintenance/retention.ts) deletes rows older than a window, a
-- batch at a time: each batch must find its old rows through an index, not scan the table.
-- Indexed columns never change after the insert, so updates of these rows stay HOT.
-- notifications needs none: notifications_tenant_created (tenant_id, created_at) serves it per
-- tenant. import_errors and import_chunks are found through their import (import_id indexes).
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
CREATE INDEX gateway_events_received ON gateway_events (received_at);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);

-- When the retention job deleted an import's error report (RETAIN_IMPORT_ERRORS_DAYS): its counts
-- stay, its report is gone, and verify no longer expects one rejected line per report row.
ALTER TABLE imports ADD COLUMN errors_pruned_at timestamptz;
