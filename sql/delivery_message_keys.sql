-- Idempotency keys: "bedrock-" and a UUIDv7, stored with the message, so
-- every retry carries the same key and no other database or install ever
-- sends it (receivers de-duplicate by it: Idempotency-Key, Message-ID).
\i sql/include/fixture.sql
SET timezone = 'UTC';
INSERT INTO support.delivery_endpoints (endpoint, destination, url) VALUES
  ('*', 'slack', 'https://hooks.slack.example/services/T0/B0/token');
INSERT INTO support.outbound_messages (account_id, destination, target, subject, body)
SELECT 1 + i % 2, 'slack', '#client-support', 'key', 'message ' || i FROM generate_series(1, 2000) i;
SELECT count(*) AS messages,
       count(DISTINCT idempotency_key) AS distinct_keys,
       count(*) FILTER (WHERE idempotency_key ~ '^bedrock-[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$') AS uuid_v7
  FROM support.outbound_messages;
-- the time in front: the key's first 48 bits are the message's creation, in milliseconds
SELECT bool_and(abs(('x' || lpad(replace(substr(idempotency_key, 9, 13), '-', ''), 16, '0'))::bit(64)::bigint
                    - (extract(epoch FROM created_at) * 1000)::bigint) < 5000) AS time_ordered
  FROM support.outbound_messages;
-- every retry sends the same key: claimed, failed, claimed again
SELECT idempotency_key AS first_key FROM support.outbound_messages ORDER BY message_id LIMIT 1 \gset
CREATE TEMP TABLE first_claim AS SELECT * FROM support.claim_messages(1, 16777216, 60000, '2026-01-01 00:00 UTC');
SELECT idempotency_key = :'first_key' AS same_key FROM first_claim;
SELECT support.record_deliveries(ARRAY[account_id], ARRAY[message_id], '{pending}', '{"HTTP 503"}', ARRAY[now() - interval '1 second'])
  FROM first_claim;
-- (a retry queues again behind its account's messages: a claim of them all reaches it)
SELECT c.idempotency_key = :'first_key' AS same_key_on_retry, c.attempts
  FROM support.claim_messages(2000, 16777216, 60000, '2026-01-01 00:00 UTC') c
 WHERE c.message_id = (SELECT message_id FROM first_claim);
-- the email's Message-ID and the webhook's id are the key
SELECT support.message_content('email', 'ada@acme.example', 's', 'b', '{}', :'first_key', 1, NULL, NULL, now(),
                               'support@bedrockplatform.com') LIKE '%Message-ID: <' || :'first_key' || '@bedrock.support>%' AS message_id;
-- another install of the desk starts with other keys
DROP EXTENSION bedrock_support CASCADE;
CREATE EXTENSION bedrock_support;
INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Acme Ads', 'America/New_York', 2);
INSERT INTO support.outbound_messages (account_id, destination, target, subject, body)
VALUES (1, 'slack', '#client-support', 'key', 'message 1');
SELECT message_id, idempotency_key <> :'first_key' AS new_key, idempotency_key <> 'bedrock-1-' || message_id AS not_derived
  FROM support.outbound_messages;
-- a key is the desk's to make, and so is every message: no group inserts one
SELECT has_column_privilege('support_agent', 'support.outbound_messages', 'idempotency_key', 'INSERT') AS agents_name_keys,
       has_table_privilege('support_agent', 'support.outbound_messages', 'INSERT') AS agents_queue_messages,
       has_any_column_privilege('support_manager', 'support.outbound_messages', 'INSERT') AS managers_queue_messages,
       has_function_privilege('support_agent', 'support.new_message_key()', 'EXECUTE') AS agents_make_keys;
