-- Delivery at any backlog: 2,000 webhooks for a CRM endpoint nobody has
-- configured yet are parked by the delivery worker, out of its way; an
-- alert queued behind them goes out in milliseconds; the endpoint, once
-- added, takes them all.
\set QUIET on
SET client_min_messages = warning;
-- waits (at most 30 s) until a query returns true, with a fresh snapshot each time
CREATE FUNCTION pg_temp.wait_for(condition text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    met boolean;
BEGIN
    FOR i IN 1..600 LOOP
        EXECUTE condition INTO met;
        EXIT WHEN met;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN met;
END $$;
\echo
\echo '== Delivery at any backlog: 2,000 webhooks queued for a CRM endpoint that is not configured yet'
INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body)
SELECT t.account_id, t.ticket_id, 'webhook', 'crm', 'ticket.sync', 'sync ' || i
  FROM (SELECT account_id, ticket_id FROM support.tickets ORDER BY ticket_id LIMIT 1) t, generate_series(1, 2000) i;
SELECT pg_temp.wait_for($$SELECT count(*) = 0 FROM support.outbound_messages WHERE target = 'crm' AND state = 'pending'$$) \gset ignored_
SELECT pending_messages, waiting_for_an_endpoint FROM support.delivery_status;
SELECT last_error AS why_they_wait FROM support.outbound_messages WHERE target = 'crm' LIMIT 1;
\echo '   a Slack alert queued now is not held up by them:'
INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body)
SELECT account_id, ticket_id, 'slack', '#support-escalations', 'Backlog check', 'queued behind 2,000 parked webhooks'
  FROM support.tickets ORDER BY ticket_id LIMIT 1;
SELECT pg_temp.wait_for($$SELECT state <> 'pending' FROM support.outbound_messages WHERE subject = 'Backlog check'$$) \gset ignored_
SELECT state, round(extract(epoch FROM delivered_at - created_at)::numeric * 1000) AS ms_from_commit_to_delivered
  FROM support.outbound_messages WHERE subject = 'Backlog check';
\echo '   the CRM endpoint is added: its parked messages are pending again, and delivered'
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret, event_kinds)
SELECT 'crm', 'webhook', replace(url, '/jira/bedrock', '/crm/bedrock'), secret, '{}'
  FROM support.delivery_endpoints WHERE endpoint = 'jira';
SELECT pg_temp.wait_for($$SELECT count(*) = 0 FROM support.outbound_messages WHERE target = 'crm' AND state <> 'delivered'$$) \gset ignored_
SELECT state, count(*) AS messages, max(attempts) AS attempts,
       round(extract(epoch FROM max(delivered_at) - min(delivered_at))::numeric, 1) AS seconds_to_deliver_them
  FROM support.outbound_messages WHERE target = 'crm' GROUP BY state;
