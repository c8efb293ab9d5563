-- ordersys schema, version 1.
-- Every table carries tenant_id; child rows reference (tenant_id, parent id) so a row can never
-- point into another tenant. Money is bigint minor units beside an ISO 4217 currency.

CREATE TABLE tenants (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid GENERATED ALWAYS AS (id) STORED,
  slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  time_zone   text NOT NULL DEFAULT 'UTC',
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  name         text NOT NULL,
  role         text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  key_prefix   text NOT NULL,
  key_hash     text NOT NULL UNIQUE CHECK (length(key_hash) = 64),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE customers (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  email       text NOT NULL CHECK (email = lower(email) AND email ~ '^[^@\s]+@[^@\s]+$'),
  name        text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, email),
  UNIQUE (tenant_id, id)
);

CREATE TABLE products (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id           uuid NOT NULL REFERENCES tenants (id),
  sku                 text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
  name                text NOT NULL DEFAULT '',
  price               bigint NOT NULL CHECK (price >= 0),
  currency            char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  stock_on_hand       integer NOT NULL CHECK (stock_on_hand >= 0),
  -- Never oversell: reserved units always exist on the shelf.
  stock_reserved      integer NOT NULL DEFAULT 0 CHECK (stock_reserved >= 0 AND stock_reserved <= stock_on_hand),
  low_stock_threshold integer NOT NULL DEFAULT 10 CHECK (low_stock_threshold >= 0),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, sku),
  UNIQUE (tenant_id, id)
);

-- Stock ledger: initial stock, restocks and corrections. With sales it explains stock_on_hand.
CREATE TABLE inventory_adjustments (
  id          bigserial PRIMARY KEY,
  tenant_id   uuid NOT NULL,
  product_id  uuid NOT NULL,
  delta       integer NOT NULL CHECK (delta <> 0),
  kind        text NOT NULL CHECK (kind IN ('initial', 'restock', 'correction', 'refund_restock')),
  reason      text NOT NULL CHECK (length(reason) > 0),
  order_id    uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);
CREATE INDEX inventory_adjustments_product ON inventory_adjustments (tenant_id, product_id);

CREATE TABLE imports (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id       uuid NOT NULL REFERENCES tenants (id),
  file_name       text NOT NULL,
  file_sha256     text,
  format          text NOT NULL DEFAULT 'native',
  options         jsonb NOT NULL DEFAULT '{}',
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'completed', 'failed')),
  bytes_total     bigint,
  bytes_read      bigint NOT NULL DEFAULT 0 CHECK (bytes_read >= 0),
  lines_read      bigint NOT NULL DEFAULT 0 CHECK (lines_read >= 0),
  lines_accepted  bigint NOT NULL DEFAULT 0 CHECK (lines_accepted >= 0),
  lines_rejected  bigint NOT NULL DEFAULT 0 CHECK (lines_rejected >= 0),
  orders_created  bigint NOT NULL DEFAULT 0 CHECK (orders_created >= 0),
  orders_existing bigint NOT NULL DEFAULT 0 CHECK (orders_existing >= 0),
  orders_rejected bigint NOT NULL DEFAULT 0 CHECK (orders_rejected >= 0),
  error           text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  finished_at     timestamptz,
  -- A finished import has accounted for every line it read.
  CHECK (status <> 'completed' OR lines_accepted + lines_rejected = lines_read),
  UNIQUE (tenant_id, id)
);

CREATE TABLE import_errors (
  id          bigserial PRIMARY KEY,
  tenant_id   uuid NOT NULL,
  import_id   uuid NOT NULL,
  line_no     bigint NOT NULL CHECK (line_no >= 1),
  field       text,
  reason      text NOT NULL CHECK (length(reason) > 0),
  raw_line    text NOT NULL DEFAULT '',
  order_code  text,
  FOREIGN KEY (tenant_id, import_id) REFERENCES imports (tenant_id, id)
);
CREATE INDEX import_errors_import ON import_errors (import_id, line_no);

CREATE TABLE orders (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id       uuid NOT NULL REFERENCES tenants (id),
  order_code      text NOT NULL CHECK (length(order_code) BETWEEN 1 AND 100),
  customer_id     uuid NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN
                  ('pending', 'reserved', 'completed', 'shipped', 'delivered', 'failed', 'payment_failed', 'cancelled')),
  refund_status   text NOT NULL DEFAULT 'none' CHECK (refund_status IN ('none', 'partial', 'full')),
  currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  total           bigint NOT NULL CHECK (total >= 0),
  items_count     integer NOT NULL CHECK (items_count > 0),
  refunded_total  bigint NOT NULL DEFAULT 0 CHECK (refunded_total >= 0 AND refunded_total <= total),
  placed_at       timestamptz NOT NULL,
  source          text NOT NULL CHECK (source IN ('api', 'import', 'seed')),
  import_id       uuid,
  failure_reason  text,
  reserved_until  timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, order_code),
  UNIQUE (tenant_id, id),
  CHECK (status NOT IN ('failed', 'payment_failed') OR failure_reason IS NOT NULL),
  CHECK (source <> 'import' OR import_id IS NOT NULL),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
  FOREIGN KEY (tenant_id, import_id) REFERENCES imports (tenant_id, id)
);
CREATE INDEX orders_tenant_status ON orders (tenant_id, status);
CREATE INDEX orders_tenant_placed ON orders (tenant_id, placed_at, id);
CREATE INDEX orders_customer ON orders (tenant_id, customer_id);
CREATE INDEX orders_import ON orders (import_id) WHERE import_id IS NOT NULL;
CREATE INDEX orders_reserved_until ON orders (reserved_until) WHERE status = 'reserved';

CREATE TABLE order_items (
  id          bigserial PRIMARY KEY,
  tenant_id   uuid NOT NULL,
  order_id    uuid NOT NULL,
  product_id  uuid NOT NULL,
  sku         text NOT NULL,
  name        text NOT NULL DEFAULT '',
  quantity    integer NOT NULL CHECK (quantity > 0),
  unit_price  bigint NOT NULL CHECK (unit_price >= 0),
  line_total  bigint NOT NULL,
  CHECK (line_total = quantity * unit_price),
  UNIQUE (order_id, product_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);
CREATE INDEX order_items_product ON order_items (product_id);

CREATE TABLE stock_reservations (
  id          bigserial PRIMARY KEY,
  tenant_id   uuid NOT NULL,
  order_id    uuid NOT NULL,
  product_id  uuid NOT NULL,
  quantity    integer NOT NULL CHECK (quantity > 0),
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'committed', 'released')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (order_id, product_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);
CREATE INDEX stock_reservations_active ON stock_reservations (product_id) WHERE status = 'active';

CREATE TABLE payments (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL,
  order_id     uuid NOT NULL,
  amount       bigint NOT NULL CHECK (amount >= 0),
  currency     char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  decline_code text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (status <> 'failed' OR decline_code IS NOT NULL),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
-- An order is captured at most once.
CREATE UNIQUE INDEX payments_one_capture ON payments (order_id) WHERE status = 'succeeded';
CREATE INDEX payments_order ON payments (order_id);

CREATE TABLE refunds (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id       uuid NOT NULL,
  order_id        uuid NOT NULL,
  payment_id      uuid NOT NULL,
  amount          bigint NOT NULL CHECK (amount > 0),
  currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  reason          text NOT NULL CHECK (length(reason) > 0),
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  restock         jsonb NOT NULL DEFAULT '[]',
  failure_reason  text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (status <> 'failed' OR failure_reason IS NOT NULL),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id)
);
CREATE INDEX refunds_order ON refunds (order_id);

CREATE TABLE notifications (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  order_id    uuid,
  -- One notification per (subject, type, channel) however often the cause is retried.
  dedupe_key  text NOT NULL,
  type        text NOT NULL CHECK (type IN ('order_confirmation', 'payment_failed', 'order_cancelled',
                'order_shipped', 'order_delivered', 'refund_processed', 'import_finished')),
  channel     text NOT NULL CHECK (channel IN ('email', 'sms', 'push', 'log')),
  recipient   text NOT NULL,
  status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
  attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error  text,
  payload     jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  sent_at     timestamptz,
  CHECK (status <> 'sent' OR sent_at IS NOT NULL),
  UNIQUE (tenant_id, dedupe_key)
);
CREATE INDEX notifications_tenant_created ON notifications (tenant_id, created_at DESC);

-- The audit trail: one row per state change, written in the transaction that made it.
CREATE TABLE order_events (
  id           bigserial PRIMARY KEY,
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  order_id     uuid,
  type         text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
  from_status  text,
  to_status    text,
  data         jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order ON order_events (order_id, id);
CREATE INDEX order_events_tenant ON order_events (tenant_id, id);

CREATE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'order_events is append-only: % refused', TG_OP;
END $$;
CREATE TRIGGER order_events_no_update BEFORE UPDATE OR DELETE ON order_events
  FOR EACH ROW EXECUTE FUNCTION order_events_append_only();

-- Replayed POSTs return the stored response instead of acting twice.
CREATE TABLE idempotency_keys (
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  scope         text NOT NULL,
  key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_hash  text NOT NULL,
  status_code   integer,
  response      jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, scope, key)
);
