-- A tenant's time zone used to be checked by Node's Intl only, which takes names PostgreSQL does
-- not know (US/Pacific-New). Such a zone never worked: every analytics read of
-- the tenant failed, and the KPI projector stopped at it, for the tenants after it too. A zone
-- PostgreSQL knows in another case is stored in its spelling; one it does not know becomes UTC
-- (no figure was ever served in it).
UPDATE tenants t SET time_zone = coalesce(
  (SELECT z.name FROM pg_timezone_names z WHERE lower(z.name) = lower(t.time_zone) ORDER BY z.name LIMIT 1),
  'UTC')
WHERE NOT EXISTS (SELECT 1 FROM pg_timezone_names z WHERE z.name = t.time_zone);
