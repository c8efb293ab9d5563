-- CSV imports: a staging table for phase 1 (read), checkpoints that make both phases resumable.
--
-- Phase 1 streams the file into import_lines (accepted lines) and import_errors (rejected
-- lines), one transaction per chunk of ~20,000 lines, each advancing imports.checkpoint_line.
-- Phase 2 materializes orders from import_lines, one transaction per chunk of order codes,
-- each deleting the staged lines it consumed and advancing imports.materialized_through.

ALTER TABLE imports
  ADD COLUMN phase text NOT NULL DEFAULT 'reading' CHECK (phase IN ('reading', 'materializing', 'completed')),
  ADD COLUMN source text NOT NULL DEFAULT 'cli' CHECK (source IN ('cli', 'http')),
  -- Highest file line number whose record is staged or rejected: a resumed read skips up to it.
  ADD COLUMN checkpoint_line bigint NOT NULL DEFAULT 0 CHECK (checkpoint_line >= 0),
  -- Accepted by phase 1 and waiting in import_lines (or already materialized).
  ADD COLUMN lines_staged bigint NOT NULL DEFAULT 0 CHECK (lines_staged >= 0),
  -- Order codes <= this one (COLLATE "C") are materialized.
  ADD COLUMN materialized_through text COLLATE "C",
  ADD COLUMN idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  ADD CONSTRAINT imports_completed_phase CHECK (status <> 'completed' OR phase = 'completed');

-- A re-run of the same file by the CLI finds its unfinished import.
CREATE INDEX imports_unfinished ON imports (tenant_id, file_sha256) WHERE status = 'running';
CREATE INDEX imports_tenant_created ON imports (tenant_id, created_at DESC);
-- POST /imports with the same Idempotency-Key returns the same import.
CREATE UNIQUE INDEX imports_idempotency ON imports (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- scope: 'order' | 'line' as the mapper decided for a line rejected when read; NULL for a good
-- line rejected in phase 2 because its order was. code: the kind, for the summary.
ALTER TABLE import_errors
  ADD COLUMN scope text CHECK (scope IN ('order', 'line')),
  ADD COLUMN code text NOT NULL DEFAULT 'invalid';
CREATE INDEX import_errors_order ON import_errors (import_id, order_code) WHERE order_code IS NOT NULL;

-- Accepted lines of imports still materializing. Rows live minutes; phase 2 deletes them.
-- No foreign key: a million per-row checks would cost more than the COPY itself.
CREATE TABLE import_lines (
  tenant_id       uuid NOT NULL,
  import_id       uuid NOT NULL,
  line_no         bigint NOT NULL,
  order_code      text COLLATE "C" NOT NULL,
  order_date      timestamptz NOT NULL,
  customer_email  text NOT NULL,
  customer_name   text NOT NULL,
  sku             text NOT NULL,
  product_name    text NOT NULL,
  quantity        integer NOT NULL,
  unit_price      bigint NOT NULL,
  currency        char(3) NOT NULL
);
CREATE INDEX import_lines_order ON import_lines (import_id, order_code);
