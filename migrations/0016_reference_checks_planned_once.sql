-- Reference checks planned once per session, not once per statement.
--
-- check_tenant_refs (0008, 0012) built its anti-join as dynamic SQL, planned on every statement:
-- nothing beside an import chunk's 18,000 items, but most of the cost of the small statements the
-- API and the workflow write (14 orders and their events: 2.3 ms a transaction with the checks,
-- 1.3 ms without). Static SQL in a trigger function is planned once per session, but a plan made
-- while a table is tiny must not outlive that: 0012 found cached anti-joins still hashing a parent
-- table that had grown by the million. So each table gets its own function, generated below,
-- whose every check can only be planned one way: each distinct reference looks its parent row up
-- by id (the primary key, the one index whose first column it names; sequential scans off), and
-- compares the tenant afterwards. 14 orders and their events: 1.5 ms; 5,000 events: no slower
-- than the dynamic check. Same refusals, same messages, same SQLSTATE.

-- refs: 'column:parent' pairs; the parent is matched on id, then tenant_id (tenants has a
-- generated tenant_id = id, so 'tenant_id:tenants' checks the tenant itself). For later tables too.
CREATE FUNCTION install_tenant_ref_checks(tbl text, refs text[]) RETURNS void LANGUAGE plpgsql AS $install$
DECLARE
  checks text := '';
  arg text;
  col text;
  parent text;
BEGIN
  FOREACH arg IN ARRAY refs LOOP
    col := split_part(arg, ':', 1);
    parent := split_part(arg, ':', 2);
    checks := checks || format($check$
  SELECT r.ref::text INTO bad FROM (SELECT DISTINCT n.tenant_id, n.%1$I AS ref FROM new_rows n WHERE n.%1$I IS NOT NULL) r
  WHERE (SELECT p.tenant_id FROM %2$I p WHERE p.id = r.ref) IS DISTINCT FROM r.tenant_id LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION '%% on %% refused: %%.%% = %% is not a row of %% in the same tenant', TG_OP, TG_TABLE_NAME, TG_TABLE_NAME, %3$L, bad, %4$L
      USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = %3$L;
  END IF;$check$, col, parent, col, parent);
  END LOOP;
  EXECUTE format($fn$CREATE OR REPLACE FUNCTION %1$I() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $body$
DECLARE
  bad text;
BEGIN%2$s
  RETURN NULL;
END $body$$fn$, tbl || '_check_refs', checks);
  EXECUTE format('DROP TRIGGER IF EXISTS %1$I ON %2$I', tbl || '_refs', tbl);
  EXECUTE format('CREATE TRIGGER %1$I AFTER INSERT ON %2$I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %3$I()',
    tbl || '_refs', tbl, tbl || '_check_refs');
END $install$;

SELECT install_tenant_ref_checks('customers', ARRAY['tenant_id:tenants']);
SELECT install_tenant_ref_checks('orders', ARRAY['tenant_id:tenants', 'customer_id:customers', 'import_id:imports']);
SELECT install_tenant_ref_checks('order_items', ARRAY['order_id:orders', 'product_id:products']);
SELECT install_tenant_ref_checks('stock_reservations', ARRAY['order_id:orders', 'product_id:products']);
SELECT install_tenant_ref_checks('payments', ARRAY['order_id:orders']);
SELECT install_tenant_ref_checks('refunds', ARRAY['order_id:orders', 'payment_id:payments']);
SELECT install_tenant_ref_checks('notifications', ARRAY['tenant_id:tenants', 'order_id:orders']);
SELECT install_tenant_ref_checks('order_events', ARRAY['tenant_id:tenants', 'order_id:orders']);
SELECT install_tenant_ref_checks('gateway_events', ARRAY['tenant_id:tenants']);

DROP FUNCTION check_tenant_refs();
