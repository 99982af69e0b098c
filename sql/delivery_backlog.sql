-- Messages that wait for an endpoint that does not exist are parked: out
-- of the fair queue's index, so finding and claiming the next deliverable
-- message stays one index probe whatever the backlog; an endpoint that
-- appears takes its messages back, into the queue.
\i sql/include/fixture.sql
SET timezone = 'UTC';
INSERT INTO support.delivery_endpoints (endpoint, destination, url) VALUES
  ('*', 'slack', 'https://hooks.slack.example/services/T0/B0/token');
CREATE FUNCTION queue(destination text, target text, n integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO support.outbound_messages (account_id, destination, target, subject, body, next_attempt_at)
    SELECT 1, destination, target, 'backlog', 'message ' || i, now() - interval '1 hour' + i * interval '1 millisecond'
      FROM generate_series(1, n) i
$$;
CREATE FUNCTION states() RETURNS TABLE (destination text, state text, messages bigint) LANGUAGE sql AS $$
    SELECT destination, state, count(*) FROM support.outbound_messages GROUP BY 1, 2 ORDER BY 1, 2
$$;

-- 2,500 webhooks for a CRM nobody configured, then a Slack alert and
-- another Slack message due after them
SELECT queue('webhook', 'crm', 2500);
INSERT INTO support.outbound_messages (account_id, destination, target, subject, body, urgent)
VALUES (1, 'slack', '#client-support', 'deliverable', 'a Slack alert', true),
       (1, 'slack', '#client-support', 'deliverable too', 'a Slack message', false);
-- the alert is urgent: it goes first; each claim parks a bounded batch of
-- what it meets without an endpoint, and claims what it can send: the other
-- message comes out on the third
SELECT count(*) AS claimed, string_agg(destination, ',') AS what FROM support.claim_messages(10, 16777216, 60000, '2026-01-01 00:00 UTC');
SELECT * FROM states();
SELECT count(*) AS claimed, string_agg(destination, ',') AS what FROM support.claim_messages(10, 16777216, 60000, '2026-01-01 00:00 UTC');
SELECT count(*) AS claimed, string_agg(destination, ',') AS what FROM support.claim_messages(10, 16777216, 60000, '2026-01-01 00:00 UTC');
SELECT * FROM states();
SELECT last_error FROM support.outbound_messages WHERE state = 'parked' LIMIT 1;
-- the worker's next wake-up and its claim no longer look at them: a probe
-- of each pending index, the queue's and the waiting messages' (the Slack
-- messages' leases are the next things due)
SELECT support.next_delivery() > now() AS next_is_the_lease;
EXPLAIN (COSTS OFF)
SELECT 1 FROM support.outbound_messages m WHERE m.state = 'pending' AND m.send_order IS NOT NULL
 ORDER BY m.urgent DESC, m.send_order LIMIT 1;
EXPLAIN (COSTS OFF)
SELECT m.next_attempt_at FROM support.outbound_messages m WHERE m.state = 'pending' AND m.send_order IS NULL
 ORDER BY m.next_attempt_at LIMIT 1;
SELECT waiting_for_an_endpoint, pending_messages FROM support.delivery_status;

-- the endpoint appears: its messages are pending again, due now
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret)
VALUES ('crm', 'webhook', 'https://crm.example/hooks', 'a-signing-secret-of-some-length');
SELECT * FROM states();
SELECT count(*) FILTER (WHERE next_attempt_at <= now()) AS due_now, count(*) AS pending
  FROM support.outbound_messages WHERE destination = 'webhook' AND state = 'pending';
SELECT count(*) AS claimed FROM support.claim_messages(500, 16777216, 60000, '2026-01-01 00:00 UTC');
-- switched off, its messages are parked again as claims meet them
UPDATE support.delivery_endpoints SET active = false WHERE endpoint = 'crm';
UPDATE support.outbound_messages SET next_attempt_at = now() - interval '1 minute' WHERE destination = 'webhook';
SELECT count(*) AS claimed FROM support.claim_messages(100, 16777216, 60000, '2026-01-01 00:00 UTC');
SELECT * FROM states();
-- and back on: all pending again
UPDATE support.delivery_endpoints SET active = true WHERE endpoint = 'crm';
SELECT * FROM states();
-- an email endpoint takes every parked email, whatever its address (a
-- claim that meets them all parks them)
SELECT queue('email', 'ada@acme.example', 3);
SELECT count(*) FROM support.claim_messages(5000, 16777216, 60000, '2026-01-01 00:00 UTC');
SELECT * FROM states() WHERE destination = 'email';
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret, sender)
VALUES ('mail', 'email', 'smtps://smtp.example:465', 'smtp-password', 'support@bedrockplatform.com');
SELECT * FROM states() WHERE destination = 'email';
-- a claim that parked a message as its endpoint was being switched on
-- leaves it parked with an active endpoint; the delivery worker unparks
-- again once the change commits, and each active endpoint costs a probe
UPDATE support.outbound_messages SET state = 'parked' WHERE destination IN ('webhook', 'email') AND message_id % 2 = 0;
SELECT queue('webhook', 'erp', 2000);
SELECT count(*) FROM support.claim_messages(10, 16777216, 60000, '2026-01-01 00:00 UTC');
SELECT count(*) FROM support.claim_messages(10, 16777216, 60000, '2026-01-01 00:00 UTC');
SELECT * FROM states();
SELECT support.unpark_deliverable_messages() AS unparked;
SELECT * FROM states();
-- (the sweep's search: a probe of the parked index an active endpoint)
EXPLAIN (COSTS OFF)
SELECT p.ctid FROM (SELECT DISTINCT e.destination, e.endpoint FROM support.delivery_endpoints e
                     WHERE e.active AND e.destination <> 'email' AND e.endpoint <> '*') e
 CROSS JOIN LATERAL (SELECT p.ctid FROM support.outbound_messages p
                      WHERE p.state = 'parked' AND p.destination = e.destination AND p.target = e.endpoint OFFSET 0) p;
-- the trigger function serves support.delivery_endpoints only
CREATE TABLE my_endpoints (endpoint text, destination text, active boolean);
CREATE TRIGGER borrowed AFTER INSERT ON my_endpoints REFERENCING NEW TABLE AS endpoints
    FOR EACH STATEMENT EXECUTE FUNCTION support.unpark_messages();
\set VERBOSITY terse
INSERT INTO my_endpoints VALUES ('crm', 'webhook', true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
