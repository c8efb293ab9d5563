-- Phase 2 of an import in planned chunks of order codes that several connections (or workers)
-- materialize at once. A chunk's transaction does its codes and marks it done, so a crash loses
-- at most the chunks in flight, and those are claimed again (FOR UPDATE SKIP LOCKED) on resume.
-- Replaces the single materialized_through watermark, which allowed one chunk at a time; it is
-- kept as the lower bound of the plan for an import that was materializing during the upgrade.

-- Chunks planned for phase 2; NULL until the plan is made (at the start of phase 2). How many
-- are done is counted from import_chunks, where each chunk's transaction marks its own.
ALTER TABLE imports ADD COLUMN chunks_total integer CHECK (chunks_total >= 0);

-- Order codes in (lo, hi], COLLATE "C" like import_lines.order_code.
CREATE TABLE import_chunks (
  import_id  uuid NOT NULL REFERENCES imports (id),
  chunk_no   integer NOT NULL CHECK (chunk_no >= 1),
  lo         text COLLATE "C" NOT NULL,
  hi         text COLLATE "C" NOT NULL CHECK (hi > lo),
  done       boolean NOT NULL DEFAULT false,
  PRIMARY KEY (import_id, chunk_no)
);
