-- Outbound events: the relay's checkpoints, webhook subscriptions and every delivery attempt.
-- order_events is the outbox: written in the transaction of each state change, read here after commit.

-- One row per sink ('webhooks', 'nats'): the last (xid, id) of order_events it published. The
-- relay locks its row for the whole batch, so one relay per sink runs at a time across processes.
CREATE TABLE outbound_checkpoints (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z_]+$'),
  xid         xid8 NOT NULL DEFAULT '0',
  id          bigint NOT NULL DEFAULT 0 CHECK (id >= 0),
  published   bigint NOT NULL DEFAULT 0 CHECK (published >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO outbound_checkpoints (name) VALUES ('webhooks'), ('nats');

CREATE TABLE webhook_subscriptions (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  url          text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
  -- Public event types, or '*' for all of them.
  events       text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 100),
  -- The signing secret is HMAC(ORDERSYS_SECRET, id || salt): derivable when signing, stored nowhere.
  secret_salt  text NOT NULL CHECK (length(secret_salt) >= 16),
  created_at   timestamptz NOT NULL DEFAULT now(),
  deleted_at   timestamptz,
  UNIQUE (tenant_id, id)
);
CREATE INDEX webhook_subscriptions_tenant ON webhook_subscriptions (tenant_id) WHERE deleted_at IS NULL;

-- One row per (subscription, event), inserted by the relay in its batch transaction.
CREATE TABLE webhook_deliveries (
  id                bigserial PRIMARY KEY,
  tenant_id         uuid NOT NULL,
  subscription_id   uuid NOT NULL,
  event_id          bigint NOT NULL,
  event_type        text NOT NULL,
  order_id          uuid,
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- For a pending delivery: when it is due (a claimed one is leased until then).
  next_attempt_at   timestamptz NOT NULL DEFAULT now(),
  give_up_at        timestamptz NOT NULL,
  last_status_code  integer,
  last_error        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  delivered_at      timestamptz,
  CHECK (status <> 'delivered' OR delivered_at IS NOT NULL),
  UNIQUE (subscription_id, event_id),
  FOREIGN KEY (tenant_id, subscription_id) REFERENCES webhook_subscriptions (tenant_id, id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- Events of one order go out one at a time, in id order: "is an earlier one still pending?"
CREATE INDEX webhook_deliveries_order_pending ON webhook_deliveries (subscription_id, order_id, event_id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);

CREATE TABLE webhook_delivery_attempts (
  id            bigserial PRIMARY KEY,
  delivery_id   bigint NOT NULL REFERENCES webhook_deliveries (id),
  attempt       integer NOT NULL CHECK (attempt >= 1),
  status_code   integer,
  latency_ms    integer NOT NULL CHECK (latency_ms >= 0),
  error         text,
  attempted_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (status_code IS NOT NULL OR error IS NOT NULL)
);
CREATE INDEX webhook_delivery_attempts_delivery ON webhook_delivery_attempts (delivery_id, attempt);
