-- POST /keys with an Idempotency-Key stored its whole 201 answer for replays, the new key's
-- secret included: in plain text, and shown again to any admin who replayed the key. Replays now
-- answer without it (it is never stored); secrets stored before are removed here.
UPDATE idempotency_keys SET response = response - 'key'
WHERE scope = 'POST /keys' AND response ? 'key';
