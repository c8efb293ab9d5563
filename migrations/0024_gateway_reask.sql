-- Refunds still waiting for the gateway's answer, oldest first: the minutely sweep asks about
-- those pending too long again (their answer was lost with a killed worker). Payments already
-- have payments_pending (0002).
CREATE INDEX refunds_pending ON refunds (created_at) WHERE status = 'pending';
