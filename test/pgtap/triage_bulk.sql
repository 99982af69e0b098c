-- One INSERT ... SELECT larger than triage's batch of 1000, where every
-- ticket makes the most history a ticket can at creation: created,
-- escalated (phoned in: straight to tier 3) and assigned, plus a Slack alert
-- and an acknowledgment. Every row must be there, once (before 1.6 such a
-- batch overran its buffer, and a spilled transition table was read into
-- memory reset under it: both crashed the backend).
BEGIN;
SELECT plan(6);
SET LOCAL support.auto_assign = on;
-- a small work_mem spills the statement's transition table to disk, the path a
-- large INSERT takes (each tuple is then read into memory the trigger must not reset)
SET LOCAL work_mem = '64kB';

INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Bulk Co', 'UTC', 2);
INSERT INTO support.account_users (account_id, email, full_name, role)
SELECT account_id, 'bulk@bulk.example', 'Bulk Buyer', 'campaign_manager' FROM support.accounts WHERE name = 'Bulk Co';
INSERT INTO support.agents (email, full_name, tier, skills, on_shift)
SELECT 'bulk' || i || '@bedrock.example', 'Bulk Agent ' || i, 3, '{campaign_management}', true
  FROM generate_series(1, 3) i;

INSERT INTO support.tickets (account_id, requester_id, subject, channel, category)
SELECT u.account_id, u.user_id, 'Campaign stopped ' || i, 'phone', 'campaign_performance'
  FROM support.account_users u, generate_series(1, 2500) i
 WHERE u.email = 'bulk@bulk.example';

CREATE TEMP TABLE bulk_tickets AS
SELECT t.* FROM support.tickets t JOIN support.accounts a USING (account_id) WHERE a.name = 'Bulk Co';
SELECT is((SELECT count(*)::int FROM bulk_tickets WHERE tier = 3 AND priority::text = 'P1' AND assignee_id IS NOT NULL),
          2500, 'all 2500 tickets were escalated to tier 3 as P1 and assigned');
SELECT results_eq(
    $$SELECT e.kind::text, count(*)::int FROM support.ticket_events e JOIN bulk_tickets USING (account_id, ticket_id)
       GROUP BY e.kind ORDER BY e.kind::text$$,
    $$VALUES ('assignee_change', 2500), ('created', 2500), ('escalation', 2500)$$,
    'each has its created, escalation and assignment event, once');
SELECT is((SELECT count(DISTINCT (account_id, ticket_id))::int FROM support.ticket_events e
            JOIN bulk_tickets USING (account_id, ticket_id) WHERE e.kind = 'created'),
          2500, 'no ticket''s created event is missing or doubled');
SELECT results_eq(
    $$SELECT m.destination, count(*)::int FROM support.outbound_messages m JOIN bulk_tickets USING (account_id, ticket_id)
       GROUP BY m.destination ORDER BY m.destination$$,
    $$VALUES ('email', 2500), ('slack', 2500)$$,
    'each has its acknowledgment and its #critical-issues alert');
-- (the changes to the agents' loads, folded as the worker folds them)
SELECT support.fold_agent_loads();
SELECT is((SELECT sum(open_tickets)::int FROM support.agents WHERE email LIKE 'bulk%@bedrock.example'), 2500,
          'the agents'' loads count every ticket');
SELECT cmp_ok((SELECT max(open_tickets) - min(open_tickets) FROM support.agents WHERE email LIKE 'bulk%@bedrock.example'),
              '<=', 1, 'and stay balanced');

SELECT * FROM finish();
ROLLBACK;
