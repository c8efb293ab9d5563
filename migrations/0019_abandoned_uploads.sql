-- An upload cut short by a crash of the server reading it stayed 'running' in phase 'reading'
-- for ever: its Idempotency-Key answered 409 to every retry, and its staged lines were never
-- deleted (nor were those of any failed import). progressed_at is when its last chunk of lines
-- committed; an HTTP upload idle for longer than the reaper's limit is failed, its key given
-- back and its staged lines deleted (imports_reap_uploads).
ALTER TABLE imports ADD COLUMN progressed_at timestamptz;

-- Staged lines of imports that had already failed: no run will ever read them.
DELETE FROM import_lines l USING imports i WHERE i.id = l.import_id AND i.status = 'failed';
