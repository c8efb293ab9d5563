-- Time-ordered ids (UUID version 7, RFC 9562) for the tables that grow by the million.
--
-- With random (version 4) ids every new order lands on a random leaf of orders' primary key and
-- of every index that starts with an order id (items, events, reservations, payments,
-- notifications): a bulk import touched a different page per row, and after each checkpoint the
-- first touch of a page writes all of it to the WAL. Ids that grow with time append to the right
-- edge of those indexes instead. The 74 random bits keep ids unguessable; the first 48 bits say
-- when the row was made, which the row's created_at says anyway.
-- PostgreSQL 18 has uuidv7() built in; this one runs on 15 and on PGlite alike.
CREATE FUNCTION uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid()) PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
      52, 1), 53, 1),
    'hex')::uuid
$$;

ALTER TABLE orders ALTER COLUMN id SET DEFAULT uuid_v7();
ALTER TABLE customers ALTER COLUMN id SET DEFAULT uuid_v7();
ALTER TABLE payments ALTER COLUMN id SET DEFAULT uuid_v7();
ALTER TABLE refunds ALTER COLUMN id SET DEFAULT uuid_v7();
ALTER TABLE notifications ALTER COLUMN id SET DEFAULT uuid_v7();
ALTER TABLE imports ALTER COLUMN id SET DEFAULT uuid_v7();
