-- The outbox is delivered fairly: urgent messages (alerts, staff's
-- escalation emails) before the rest, and within each class in fair turns
-- across accounts (src/send_order.c): one account's flood of 2,000
-- webhooks, or of 300 urgent alerts, does not hold up another account's
-- alert or acknowledgment beyond the first claim.
\i sql/include/fixture.sql
SET timezone = 'UTC';
SET support.auto_assign = off;
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret) VALUES
  ('*', 'slack', 'https://hooks.slack.example/services/T0/B0/token', NULL),
  ('crm', 'webhook', 'https://crm.example/hooks', 'crm-signing-secret-0123');
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret, sender)
VALUES ('mail', 'email', 'smtps://smtp.example:465', 'smtp-password', 'support@bedrockplatform.com');
-- what went before: nothing waits yet
SELECT count(*) AS claimed FROM support.claim_messages(1000, 16777216, 60000, '2026-01-01 00:00 UTC');

-- Acme floods: one statement of 2,000 client messages, each a webhook (bulk)
SELECT ticket_id AS acme_ticket FROM support.open_ticket(1, :ada, 'Flood', 'x', 'portal', 'reporting') \gset
INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body)
SELECT 1, :acme_ticket, 'client_message', :ada, 'client', 'public', 'message ' || i FROM generate_series(1, 2000) i;
SELECT urgent, destination, count(*) FROM support.outbound_messages WHERE account_id = 1 AND state = 'pending'
 GROUP BY 1, 2 ORDER BY 1, 2;

-- then Globex opens a ticket: its acknowledgment (bulk) is queued behind
-- 2,000 of Acme's, and is in the next claim all the same
SELECT ticket_id AS globex_ticket FROM support.open_ticket(2, :gil, 'Report totals', '', 'portal', 'reporting') \gset
CREATE TEMP TABLE first_claim AS
SELECT row_number() OVER () AS n, c.* FROM support.claim_messages(10, 16777216, 60000, '2026-01-01 00:00 UTC') c;
SELECT account_id, destination, urgent, count(*) AS claimed, min(n) AS first FROM first_claim
 GROUP BY 1, 2, 3 ORDER BY min(n);

-- Acme floods urgent alerts: 300 hotline tickets in one statement (P1,
-- tier 3, each a #critical-issues alert); then Globex's P1: its alert is
-- in the next claim, right after Acme's first
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category)
SELECT 1, :ada, 'Hotline call ' || i, 'phone', 'campaign_performance' FROM generate_series(1, 300) i;
SELECT ticket_id AS globex_p1 FROM support.open_ticket(2, :gil, 'Everything stopped', '', 'phone', 'campaign_performance') \gset
SELECT count(*) FILTER (WHERE account_id = 1) AS acme_alerts, count(*) FILTER (WHERE account_id = 2) AS globex_alerts
  FROM support.outbound_messages WHERE urgent AND state = 'pending';
CREATE TEMP TABLE second_claim AS
SELECT row_number() OVER () AS n, c.* FROM support.claim_messages(4, 16777216, 60000, '2026-01-01 00:00 UTC') c;
SELECT n, account_id, destination, urgent FROM second_claim ORDER BY n;

-- without fairness Globex's alert would have been the 301st urgent
-- message; first-come order within an account is kept
SELECT bool_and(ordered) AS each_account_in_its_order FROM (
    SELECT send_order > lag(send_order) OVER (PARTITION BY account_id, urgent ORDER BY message_id) IS NOT FALSE AS ordered
      FROM support.outbound_messages WHERE state = 'pending' AND send_order IS NOT NULL) o;
-- a retry joins the queue when it comes due, behind its account's messages
UPDATE support.outbound_messages SET state = 'pending', send_order = NULL, next_attempt_at = now() - interval '1 second'
 WHERE message_id = (SELECT message_id FROM second_claim WHERE n = 1);
SELECT support.queue_due_messages() AS queued;
SELECT send_order > (SELECT min(send_order) FROM support.outbound_messages m
                      WHERE m.account_id = 1 AND m.urgent AND m.state = 'pending' AND m.send_order IS NOT NULL) AS behind_its_account
  FROM support.outbound_messages WHERE message_id = (SELECT message_id FROM second_claim WHERE n = 1);
SELECT support.next_send_order(NULL, true);
