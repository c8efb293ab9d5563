-- Notifications: per-tenant channels, delivery bookkeeping on the outbox rows, every attempt on record.

-- NULL: the tenant uses NOTIFY_CHANNELS.
ALTER TABLE tenants ADD COLUMN notification_channels text[]
  CHECK (notification_channels <@ ARRAY['email', 'sms', 'push', 'log']::text[]);

ALTER TABLE notifications
  -- When the next attempt may run (retries back off by moving it forward).
  ADD COLUMN due_at timestamptz NOT NULL DEFAULT now(),
  -- A worker that claimed the row owns it until then; after a crash the lease runs out and the
  -- sweeper hands the row to a new job.
  ADD COLUMN locked_until timestamptz,
  -- Last time a delivery job was enqueued for the row; NULL: none yet (the sweeper will).
  ADD COLUMN dispatched_at timestamptz,
  -- Attempts made before the last resend: the retry budget counts from here.
  ADD COLUMN attempt_base integer NOT NULL DEFAULT 0 CHECK (attempt_base >= 0),
  ADD CONSTRAINT notifications_attempt_base CHECK (attempt_base <= attempts);

CREATE INDEX notifications_queued_due ON notifications (due_at) WHERE status = 'queued';
CREATE INDEX notifications_order ON notifications (order_id) WHERE order_id IS NOT NULL;

-- One row per delivery attempt, written with the attempt's outcome.
CREATE TABLE notification_attempts (
  id               bigserial PRIMARY KEY,
  tenant_id        uuid NOT NULL REFERENCES tenants (id),
  notification_id  uuid NOT NULL REFERENCES notifications (id),
  attempt          integer NOT NULL CHECK (attempt >= 1),
  outcome          text NOT NULL CHECK (outcome IN ('sent', 'error')),
  error            text,
  -- The provider's id for what it accepted (SMTP message id, webhook response id, .eml path).
  provider_ref     text,
  started_at       timestamptz NOT NULL,
  finished_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (outcome <> 'error' OR error IS NOT NULL)
);
CREATE INDEX notification_attempts_notification ON notification_attempts (notification_id, id);
