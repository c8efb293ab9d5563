-- The statement-level reference checks (0008) look up each distinct referenced key once, not
-- once per new row: an import chunk's 18,000 items name ~1,000 products, one tenant and 5,000
-- orders, and every new row named the same tenant. Same refusals, same SQLSTATE.
CREATE OR REPLACE FUNCTION check_tenant_refs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  arg text;
  col text;
  parent text;
  bad text;
BEGIN
  FOREACH arg IN ARRAY TG_ARGV LOOP
    col := split_part(arg, ':', 1);
    parent := split_part(arg, ':', 2);
    EXECUTE format(
      'SELECT r.ref::text FROM (SELECT DISTINCT n.tenant_id, n.%1$I AS ref FROM new_rows n WHERE n.%1$I IS NOT NULL) r '
      'WHERE NOT EXISTS (SELECT 1 FROM %2$I p WHERE p.tenant_id = r.tenant_id AND p.id = r.ref) LIMIT 1', col, parent) INTO bad;
    IF bad IS NOT NULL THEN
      RAISE EXCEPTION '% on % refused: %.% = % is not a row of % in the same tenant', TG_OP, TG_TABLE_NAME, TG_TABLE_NAME, col, bad, parent
        USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = col;
    END IF;
  END LOOP;
  RETURN NULL;
END $$;
