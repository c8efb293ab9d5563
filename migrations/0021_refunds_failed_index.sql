-- The refund sweep looks every minute for cancelled orders whose refund the gateway declined
-- (their money is owed again): those few rows, not every refund.
CREATE INDEX refunds_failed ON refunds (order_id) WHERE status = 'failed';
