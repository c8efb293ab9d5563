-- orders kept UNIQUE (tenant_id, id) only as the target of composite foreign keys; since 0008
-- the last of them (refunds) is checked per statement too, so every insert and every status
-- change of an order maintains one index less (the primary key already makes id unique).
ALTER TABLE refunds DROP CONSTRAINT IF EXISTS refunds_tenant_id_order_id_fkey,
  DROP CONSTRAINT IF EXISTS refunds_tenant_id_payment_id_fkey;
CREATE TRIGGER refunds_refs AFTER INSERT ON refunds REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION check_tenant_refs('order_id:orders', 'payment_id:payments');
CREATE TRIGGER refunds_fixed BEFORE UPDATE OF tenant_id, order_id, payment_id ON refunds
  FOR EACH ROW EXECUTE FUNCTION refuse_reference_change('refunds.tenant_id, order_id, payment_id');
CREATE TRIGGER payments_kept BEFORE DELETE OR TRUNCATE ON payments
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_reference_change('payments');

ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_tenant_id_id_key;
