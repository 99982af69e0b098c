-- A claim is leased to the delivery worker's life: the next worker, at its
-- start, sends again what earlier ones had in flight (a crash costs
-- seconds, not the lease), and gives up on a message that has used its
-- attempts. Bodies and endpoint URLs are bounded, with clear errors.
\i sql/include/fixture.sql
SET timezone = 'UTC';
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret) VALUES
  ('crm', 'webhook', 'https://crm.example/hooks', 'crm-signing-secret-0123');
INSERT INTO support.outbound_messages (account_id, destination, target, subject, body, next_attempt_at)
SELECT 1, 'webhook', 'crm', 'lease ' || i, 'message ' || i, now() - interval '1 minute' + i * interval '1 second'
  FROM generate_series(1, 6) i;
CREATE FUNCTION outbox() RETURNS TABLE (subject text, state text, attempts integer, claimed_by text, due text, last_error text)
LANGUAGE sql AS $$
    SELECT subject, state, attempts, to_char(claiming_worker_started_at, 'HH24:MI'),
           CASE WHEN next_attempt_at <= now() THEN 'now' ELSE 'leased' END, last_error
      FROM support.outbound_messages ORDER BY subject
$$;

-- the worker started at 08:00 claims four, with a lease of an hour
SELECT count(*) AS claimed FROM support.claim_messages(4, 16777216, 3600000, '2026-03-09 08:00 UTC');
-- it records two outcomes: the lease ends with them
SELECT support.record_deliveries(ARRAY[1, 1], array_agg(message_id), '{delivered,pending}', '{NULL,"HTTP 503"}',
                                 ARRAY[now(), now() + interval '1 hour'])
  FROM (SELECT message_id FROM support.outbound_messages WHERE subject IN ('lease 1', 'lease 2') ORDER BY subject) m;
SELECT * FROM outbox();
-- it stops mid-send; the worker started at 08:05 releases the two in
-- flight before its first claim: due now, their attempt counted, their key kept
CREATE TEMP TABLE keys_before AS SELECT message_id, idempotency_key FROM support.outbound_messages;
SELECT support.release_earlier_claims('2026-03-09 08:05 UTC', 8) AS sent_again;
SELECT * FROM outbox();
SELECT count(*) AS same_keys FROM keys_before b JOIN support.outbound_messages m USING (message_id)
 WHERE m.idempotency_key = b.idempotency_key;
-- its own claims are its own: releasing again changes nothing
SELECT count(*) AS claimed FROM support.claim_messages(10, 16777216, 3600000, '2026-03-09 08:05 UTC');
SELECT support.release_earlier_claims('2026-03-09 08:05 UTC', 8) AS sent_again;
SELECT * FROM outbox();
-- a message that stopped a worker on each of its attempts is not sent to
-- the next one again: past support.delivery_max_attempts it is dead
UPDATE support.outbound_messages SET attempts = 8 WHERE subject = 'lease 3';
SELECT support.release_earlier_claims('2026-03-09 08:10 UTC', 8) AS sent_again;
SELECT * FROM outbox();
-- a claim stops at max_bytes of messages, but takes one whatever its size
-- (what the worker holds in flight stays bounded)
UPDATE support.outbound_messages SET next_attempt_at = now() - interval '1 second' WHERE state = 'pending';
SELECT count(*) AS claimed, sum(size) AS bytes FROM support.claim_messages(10, 1, 3600000, '2026-03-09 08:10 UTC');
SELECT count(*) AS claimed, sum(size) AS bytes FROM support.claim_messages(10, 46, 3600000, '2026-03-09 08:10 UTC');
-- parking ends a stale lease too, and a requeued dead letter is nobody's
UPDATE support.delivery_endpoints SET active = false;
SELECT count(*) AS claimed FROM support.claim_messages(10, 16777216, 3600000, '2026-03-09 08:15 UTC');
SELECT state, count(*), count(claiming_worker_started_at) AS claimed FROM support.outbound_messages GROUP BY 1 ORDER BY 1;
SELECT (support.requeue_message(account_id, message_id)).claiming_worker_started_at
  FROM support.outbound_messages WHERE subject = 'lease 3';
-- only the owner runs them
SELECT has_function_privilege('support_manager', 'support.release_earlier_claims(timestamptz, integer)', 'EXECUTE') AS managers_release,
       has_function_privilege('support_manager', 'support.claim_messages(integer, bigint, bigint, timestamptz)', 'EXECUTE') AS managers_claim;

-- bounds: a message over 1 MB (body, subject, target, template and payload
-- together: all the worker reads), a ticket's history entry over 1 MB, and
-- an endpoint URL over 8 kB are refused
\set VERBOSITY terse
INSERT INTO support.outbound_messages (account_id, destination, target, subject, body)
VALUES (1, 'webhook', 'crm', 'too big', repeat('x', 1048577));
INSERT INTO support.outbound_messages (account_id, destination, target, subject, body)
VALUES (1, 'slack', '#general', repeat('&', 1048576), 'a subject escaped fivefold');
INSERT INTO support.outbound_messages (account_id, destination, target, subject, body, payload)
VALUES (1, 'webhook', 'crm', 'big payload', 'x', jsonb_build_object('data', repeat('y', 1048576)));
-- counted uncompressed: a payload that compresses well is no smaller
CREATE TEMP TABLE compressed AS SELECT jsonb_build_object('data', repeat(chr(1), 20000000)) AS payload;
INSERT INTO support.outbound_messages (account_id, destination, target, subject, body, payload)
SELECT 1, 'webhook', 'crm', 'compressed payload', 'x', payload FROM compressed;
SELECT pg_column_size(payload) < 1048576 AS stored_under_1_mb, support.message_size('', NULL, '', NULL, payload) AS counted FROM compressed;
-- counted as the JSON text it is sent as: a number of a few stored bytes
-- is 131,072 digits of text (8,200 of them made every claim run out of memory)
SELECT support.message_size('', NULL, '', NULL, to_jsonb(('1' || repeat('0', 131071))::numeric)) AS one_long_number,
       support.message_size('', NULL, '', NULL, '{"a": [1, "x\u0001"], "b": null, "c": true}') AS small_payload,
       octet_length('{"a": [1, "x\u0001"], "b": null, "c": true}'::jsonb::text) AS as_text;
INSERT INTO support.outbound_messages (account_id, destination, target, subject, body, payload)
SELECT 1, 'webhook', 'crm', 'long numbers', 'x', jsonb_agg(('1' || repeat('0', 131071))::numeric) FROM generate_series(1, 9);
-- a manager queues what an agent may, and cancels or resends; the worker's
-- own columns are the worker's (an attempt count near the integer's end
-- made every claim fail)
SELECT c.column_name, has_column_privilege('support_manager', 'support.outbound_messages', c.column_name, 'INSERT') AS manager_inserts,
       has_column_privilege('support_manager', 'support.outbound_messages', c.column_name, 'UPDATE') AS manager_updates
  FROM information_schema.columns c
 WHERE c.table_schema = 'support' AND c.table_name = 'outbound_messages' ORDER BY c.ordinal_position;
INSERT INTO support.outbound_messages (account_id, destination, target, subject, body)
VALUES (1, 'webhook', 'crm', 'just fits', repeat('é', 524270));
SELECT ticket_id AS t FROM support.open_ticket(1, :ada, 'Campaign paused', 'Spend stopped') \gset
SELECT support.post_client_message(:t, :ada, repeat('long story ', 100000));
SELECT support.post_client_message(:t, :ada, repeat('long story ', 90000)) IS NOT NULL AS posted;
UPDATE support.delivery_endpoints SET url = 'https://crm.example/hooks?token=' || repeat('a', 8192) WHERE endpoint = 'crm';
SELECT octet_length(url) FROM support.delivery_endpoints;
-- a webhook endpoint without a signing secret is refused (1.0's check let
-- NULL through, and such webhooks went out unsigned)
INSERT INTO support.delivery_endpoints (endpoint, destination, url) VALUES ('unsigned', 'webhook', 'https://unsigned.example/hooks');
UPDATE support.delivery_endpoints SET secret = NULL WHERE endpoint = 'crm';
-- a support manager reads the delivery status (next_delivery() was
-- refused to managers, and so the whole view)
SET ROLE support_manager;
SELECT state IS NOT NULL AS managers_read_the_delivery_status FROM support.delivery_status;
RESET ROLE;
-- a webhook endpoint named '*' serves no other webhook target (only Slack's
-- '*' serves every channel): nothing to unpark, and nothing counted as
-- skipped (which made the worker sweep again at every claim)
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret)
VALUES ('*', 'webhook', 'https://any.example/hooks', 'a-signing-secret-of-some-length');
INSERT INTO support.outbound_messages (account_id, destination, target, subject, body, state)
VALUES (1, 'webhook', 'nowhere', 'for nobody', 'x', 'parked');
SELECT * FROM support.unpark_deliverable_messages();
