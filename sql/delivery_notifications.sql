-- Notifications (1.5): what the outbox holds and how it goes over the
-- wire, driven by hand: endpoints and their constraints, Slack routes,
-- enterprise channels, webhook events, the client emails, the signature
-- against an independent HMAC, and the delivery worker's claim and record.
\i sql/include/fixture.sql
SET timezone = 'UTC';
SET support.auto_assign = off;
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- endpoints: the URL must fit the destination, webhooks must be signed
INSERT INTO support.delivery_endpoints (endpoint, destination, url) VALUES ('x', 'slack', 'smtp://mail.example');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret) VALUES ('x', 'webhook', 'https://hooks.example/x', 'short');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO support.delivery_endpoints (endpoint, destination, url) VALUES ('x', 'email', 'smtp://mail.example');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret, sender) VALUES
  ('*', 'slack', 'https://hooks.slack.example/services/T0/B0/token', NULL, NULL),
  ('mail', 'email', 'smtps://smtp.example:465', 'smtp-password', 'support@bedrockplatform.com');

-- a ticket: its acknowledgment and alert wait for delivery
SELECT ticket_id AS t FROM support.open_ticket(1, :ada, 'Ad serving down', channel => 'email',
       category => 'service_outage', service_outage => true, revenue_impact => true) \gset
SELECT destination, target, subject, state, support.has_endpoint(destination, target) AS deliverable
  FROM support.outbound_messages WHERE ticket_id = :t ORDER BY message_id;

-- what goes over the wire
SELECT support.message_content(m.destination, m.target, m.subject, m.body, m.payload, m.idempotency_key,
                               m.account_id, m.ticket_id, m.template, m.created_at, NULL)::jsonb - 'metadata' AS slack
  FROM support.outbound_messages m WHERE m.ticket_id = :t AND m.destination = 'slack';
-- (the key is random: sql/delivery_message_keys.sql)
SELECT regexp_replace(regexp_replace(split_part(support.message_content(m.destination, m.target, m.subject, m.body, m.payload,
                               m.idempotency_key, m.account_id, m.ticket_id, m.template, m.created_at,
                               'support@bedrockplatform.com'), E'\r\n\r\n', 1), '^Date: [^\r]*', 'Date: (now)'),
                      'bedrock-[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}', 'bedrock-<UUIDv7>', 'g') AS email_headers
  FROM support.outbound_messages m WHERE m.ticket_id = :t AND m.destination = 'email';
-- a subject cannot smuggle a header in
SELECT support.message_content('email', 'ada@acme.example', E'Hello\r\nBcc: everyone@example.com', 'body', '{}',
                               'bedrock-1-999', 1, NULL, NULL, now(), 'support@bedrockplatform.com')
       LIKE E'%\r\nSubject: Hello Bcc: everyone@example.com\r\n%' AS header_stays_in_the_subject;

-- the signature: HMAC-SHA256 over "<timestamp>.<body>", checked against pgcrypto's (OpenSSL's)
SELECT support.webhook_signature('webhook-signing-secret', '1795766792', '{"id": "bedrock-1-1"}')
     = encode(hmac('1795766792.{"id": "bedrock-1-1"}', 'webhook-signing-secret', 'sha256'), 'hex') AS signature_matches;
SELECT support.webhook_signature('', '1', 'x');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

------------------------------------------------------------------------------
-- Webhook events, Slack routes, enterprise channels, feedback
------------------------------------------------------------------------------

INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret, event_kinds)
VALUES ('jira', 'webhook', 'https://jira.example/hooks/bedrock', 'jira-signing-secret-1', '{internal_note,status_change}');
SELECT support.add_internal_note(:t, :tess, 'Looking at the ad servers') > 0 AS noted;
SELECT (support.change_status(:t, 'triaged', :tess)).status;
SELECT support.reply_publicly(:t, :tess, 'We are on it.') > 0 AS replied;   -- not a subscribed kind
SELECT target, subject, body, payload->>'kind' AS kind, payload->>'new_value' AS new_value
  FROM support.outbound_messages WHERE destination = 'webhook' ORDER BY message_id;
SELECT jsonb_set(support.message_content(m.destination, m.target, m.subject, m.body, m.payload, m.idempotency_key,
                               m.account_id, m.ticket_id, m.template, m.created_at, NULL)::jsonb
       - 'created_at' - 'data', '{id}', to_jsonb(m.idempotency_key ~ '^bedrock-[0-9a-f-]{36}$')) AS webhook
  FROM support.outbound_messages m WHERE m.destination = 'webhook' ORDER BY message_id LIMIT 1;

-- routes are data: a manager moves the critical alerts
SELECT route, channel FROM support.slack_routes ORDER BY route;
UPDATE support.slack_routes SET channel = '#war-room' WHERE route = 'critical';
SELECT support.alert_channel(t) FROM support.tickets t WHERE ticket_id = :t;
DELETE FROM support.slack_routes WHERE route = 'feedback';
\set VERBOSITY terse
SELECT support.slack_channel('feedback');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default
INSERT INTO support.slack_routes VALUES ('feedback', '#client-feedback', 'ratings');

-- an enterprise client's own channel hears, of the team's alerts, only the
-- kinds a client should, in a text written for the client
UPDATE support.accounts SET enterprise = true, slack_channel = '#acme-ads' WHERE account_id = 1;
SELECT support.alert(t, support.alert_channel(t), NULL, 'test alert', 'body') FROM support.tickets t WHERE ticket_id = :t;
SELECT support.alert(t, support.alert_channel(t), NULL, 'escalated', 'Escalated: the client''s dev team is slow',
                     '{"kind": "escalation"}') FROM support.tickets t WHERE ticket_id = :t;
SELECT target, subject, body FROM support.outbound_messages
 WHERE subject IN ('test alert', 'escalated') OR target = '#acme-ads' ORDER BY message_id;
-- triage's escalation on creation reaches the client's channel too, in the
-- same words for the client as support.alert's (src/client_texts.c)
SELECT ticket_id AS esc FROM support.open_ticket(1, :ada, 'Ads stopped serving', 'revenue lost',
                                                 category => 'service_outage', service_outage => true,
                                                 revenue_impact => true) \gset
SELECT target, subject, body, payload - 'ticket' AS payload FROM support.outbound_messages
 WHERE ticket_id = :esc AND destination = 'slack' ORDER BY message_id;
-- the variables every client email is filled with, the acknowledgment's and
-- the workflow's alike, with their fallbacks (no engineer yet)
SELECT key, CASE WHEN key IN ('timeframe', 'expected_timeline') THEN regexp_replace(value, ' [A-Z][a-z]{2} \d.*\d', ' <due>')
                 ELSE value END AS value
  FROM support.tickets t, jsonb_each_text(support.template_variables(t))
 WHERE t.ticket_id = :esc ORDER BY key;

------------------------------------------------------------------------------
-- The client emails: progress update, resolution confirmation, feedback
------------------------------------------------------------------------------

SELECT (support.change_status(:t, 'in_progress', :tess)).status;
SELECT support.send_progress_update(:t, :tess, 'Two of three ad servers are back', 'A full disk stopped the third',
                                    'Freeing space and adding an alert', 'within the hour') > 0 AS updated;
SELECT subject, body FROM support.outbound_messages WHERE template = 'progress_update';
SELECT kind, body FROM support.ticket_events WHERE ticket_id = :t AND kind = 'public_reply' ORDER BY event_id DESC LIMIT 1;
SELECT (support.resolve_ticket(:t, :tess, 'Disk full on one ad server', 'Freed space, added disk alerting',
                               prevention_measures => 'Disk usage alert at 80 %')).status;
SELECT subject, body FROM support.outbound_messages WHERE template = 'resolution_confirmation';
SELECT (support.rate_ticket(:t, :ada, 4, 'Quick fix')).satisfaction_rating;
SELECT target, subject, body FROM support.outbound_messages WHERE payload->>'kind' = 'feedback' ORDER BY message_id;

------------------------------------------------------------------------------
-- The delivery worker's claim and record, by hand
------------------------------------------------------------------------------

-- a Slack message to a channel without an endpoint would wait; '*' covers every channel
SELECT count(*) FILTER (WHERE support.has_endpoint(destination, target)) AS deliverable, count(*) AS pending
  FROM support.outbound_messages WHERE state = 'pending';
-- which endpoint serves a message is one rule (support.endpoint_for): the one
-- named for the target, else the catch-all; none for a webhook nobody named
BEGIN;
INSERT INTO support.delivery_endpoints (endpoint, destination, url) VALUES
  ('#critical-issues', 'slack', 'https://hooks.slack.example/services/T0/B1/critical');
SELECT t.destination, t.target, (SELECT e.endpoint FROM support.endpoint_for(t.destination, t.target) e) AS served_by,
       support.has_endpoint(t.destination, t.target) AS has_endpoint
  FROM (VALUES ('slack', '#critical-issues'), ('slack', '#anything-else'), ('email', 'ada@acme.example'),
               ('webhook', 'nobody')) AS t (destination, target);
ROLLBACK;
-- the claim takes the fair queue in order: the urgent messages (Slack
-- alerts, staff's escalation emails) first, then the rest
CREATE TEMP TABLE claimed AS
SELECT row_number() OVER () AS n, c.* FROM support.claim_messages(100, 16777216, 60000, '2026-01-01 00:00 UTC') c;
SELECT destination, urgent, count(*) AS claimed, min(n) AS first, max(n) AS last,
       bool_and(attempts = 1) AS first_attempts, bool_and(url IS NOT NULL) AS have_url,
       bool_and(content IS NOT NULL) AS have_content
  FROM claimed GROUP BY destination, urgent ORDER BY min(n);
-- claimed messages are leased: another claim does not see them
SELECT count(*) AS claimed_again FROM support.claim_messages(100, 16777216, 60000, '2026-01-01 00:00 UTC') c
 WHERE c.message_id IN (SELECT message_id FROM claimed);
SELECT support.record_deliveries(array_agg(account_id), array_agg(message_id),
                                 array_agg(CASE WHEN destination = 'email' THEN 'dead' ELSE 'delivered' END),
                                 array_agg(CASE WHEN destination = 'email' THEN 'SMTP server replied 550' END),
                                 array_agg(now()))
  FROM claimed;
SELECT destination, state, attempts, last_error, count(*) AS messages, bool_and(delivered_at IS NOT NULL) AS delivered
  FROM support.outbound_messages WHERE message_id IN (SELECT message_id FROM claimed)
 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2;
-- a dead letter can be sent again; anything else cannot be requeued
SELECT state, attempts FROM support.requeue_message(1, (SELECT message_id FROM claimed WHERE destination = 'email' LIMIT 1));
\set VERBOSITY terse
SELECT support.requeue_message(1, (SELECT min(message_id) FROM claimed WHERE destination <> 'email'));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- secrets: not readable by a role the extension did not grant them to
SET client_min_messages = warning;
DROP ROLE IF EXISTS notifications_reader;
RESET client_min_messages;
CREATE ROLE notifications_reader;
GRANT USAGE ON SCHEMA support TO notifications_reader;
SET ROLE notifications_reader;
SELECT url, secret FROM support.delivery_endpoints;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE USAGE ON SCHEMA support FROM notifications_reader;
DROP ROLE notifications_reader;

-- Slack reads <...> as links and mentions: a client's words cannot ping a
-- channel or disguise a link in the desk's own alerts
SELECT support.message_content('slack', '#support-escalations', 'Reason: <!here>',
       'The client wrote: <!channel> <https://evil.example/login|Bedrock SSO> & more', '{}', 'k', 1, 10001, NULL, now(), NULL)::jsonb->>'text' AS slack_text;
