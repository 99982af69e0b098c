-- The escalation worker, live: a P1 ticket is brought in eleven minutes
-- and fifty-five seconds old, so its "breach imminent" mark (80 % of the
-- 15-minute response target) is five seconds away. The worker sleeps until
-- exactly then (support.max_sleep is far longer) and escalates it.
\set QUIET on
SET client_min_messages = warning;
SET row_security = off;
INSERT INTO support.tickets (account_id, ticket_id, requester_id, subject, description, channel, category,
                             priority, tier, created_at, updated_at)
SELECT a.account_id, 9003, u.user_id, 'Live dashboard shows zero spend', 'Since 09:00 every campaign shows 0.',
       'slack', 'reporting', 'P1', 1, now() - interval '11 minutes 55 seconds', now()
  FROM support.accounts a JOIN support.account_users u USING (account_id)
 WHERE u.email = 'leo.campaigns@northwind.example';
RESET row_security;
UPDATE support.tickets SET sla_paused = sla_paused WHERE ticket_id = 9003;

\echo
\echo '== Live: ticket #9003 (P1, tier 1, nobody on it) reaches its escalation mark in 5 seconds'
SELECT '#' || ticket_id AS ticket, priority, tier, COALESCE(assignee_id::text, '-') AS assignee,
       to_char(escalation_due, 'HH24:MI:SS.MS') AS escalation_mark, to_char(now(), 'HH24:MI:SS.MS') AS now,
       current_setting('support.max_sleep') AS worker_max_sleep
  FROM support.tickets WHERE ticket_id = 9003;
\echo '   ...waiting for the worker'
SELECT pg_sleep_until(escalation_due + interval '1 second') FROM support.tickets WHERE ticket_id = 9003 \gset ignored_
\echo '== #9003 one second after its mark'
SELECT '#' || t.ticket_id AS ticket, t.tier, g.full_name AS new_owner,
       to_char(t.escalated_at, 'HH24:MI:SS.MS') AS escalated_at,
       round(extract(epoch FROM t.escalated_at - (e.details->>'due')::timestamptz)::numeric * 1000) AS ms_after_the_mark
  FROM support.tickets t
  JOIN support.ticket_events e ON e.account_id = t.account_id AND e.ticket_id = t.ticket_id
                              AND e.action_key LIKE 'escalation_mark@%'
  LEFT JOIN support.agents g ON g.agent_id = t.assignee_id
 WHERE t.ticket_id = 9003;
SELECT kind, actor_kind, visibility, COALESCE(body, '') AS body, CASE WHEN old_value IS NOT NULL OR new_value IS NOT NULL THEN COALESCE(old_value, '-') || ' -> ' || COALESCE(new_value, '-') ELSE '' END AS change
  FROM support.ticket_events WHERE ticket_id = 9003 AND kind <> 'created' ORDER BY event_id;
SELECT destination, target, subject FROM support.outbound_messages
 WHERE ticket_id = 9003 AND template IS DISTINCT FROM 'initial_response' ORDER BY message_id;
\echo '== #9003 in tier 2: every running target, the P1''s (around the clock) and tier 2''s (1 h answer, 8 h'
\echo '   resolution, on the client''s business hours); the next "breach imminent" mark is the earliest 80 % of'
\echo '   them, so it comes before the resolution deadline (before 1.1 it was 80 % of tier 2''s 8 hours)'
\echo '   (dates and times in the client''s own zone)'
SELECT s.target, s.source, to_char(s.due AT TIME ZONE a.time_zone, 'Dy DD Mon HH24:MI') || ' ' || a.time_zone AS due
  FROM support.sla_status s JOIN support.accounts a USING (account_id) WHERE s.ticket_id = 9003 ORDER BY s.due;
SELECT to_char(t.escalation_due AT TIME ZONE a.time_zone, 'Dy DD Mon HH24:MI') AS next_mark,
       to_char(t.resolution_due AT TIME ZONE a.time_zone, 'Dy DD Mon HH24:MI') AS resolution_due,
       t.escalation_due < t.resolution_due AS mark_before_resolution
  FROM support.tickets t JOIN support.accounts a USING (account_id) WHERE t.ticket_id = 9003;
