-- Executive escalation as the handbook describes it: VP/C-level people by
-- name, a war room, hourly updates and a post-incident review, as tasks
-- with deadlines the escalation worker enforces; and a client's escalation
-- request that involves the support managers by name.
\i sql/include/fixture.sql
SET timezone = 'UTC';
SET support.auto_assign = off;
INSERT INTO support.agents (email, full_name, tier, skills, on_shift, is_support_manager, is_executive) VALUES
  ('mia@bedrock.example', 'Mia Manager', 3, '{}', true, true, false),
  ('vera@bedrock.example', 'Vera VP', 3, '{}', false, false, true),
  ('carl@bedrock.example', 'Carl CEO', 3, '{}', false, false, true),
  ('old@bedrock.example', 'Olga Retired', 3, '{}', false, false, true);
UPDATE support.agents SET active = false WHERE email = 'old@bedrock.example';
SELECT ticket_id AS t FROM support.open_ticket(1, :cam, 'All campaigns stopped', channel => 'phone',
       category => 'campaign_performance', priority => 'P1') \gset
SELECT (support.change_status(:t, 'triaged', :tess)).status;

------------------------------------------------------------------------------
-- The war room
------------------------------------------------------------------------------
SELECT (support.escalate_to_executive(:t, :tess, 'Revenue loss across all accounts')).executive_escalated_at IS NOT NULL AS escalated;
SELECT reason, channel, executives, cardinality(executive_ids) AS seats FROM support.war_rooms WHERE ticket_id = :t;
-- each executive is emailed by name; the channel hears who is in the room
SELECT target, subject FROM support.outbound_messages
 WHERE ticket_id = :t AND payload->>'kind' = 'executive_escalation' AND destination = 'email' ORDER BY target;
SELECT body LIKE '%Updates every 1 hour until it is resolved%' AS hourly,
       body LIKE '%due within 5 days of the resolution%' AS review_deadline
  FROM support.outbound_messages
 WHERE ticket_id = :t AND payload->>'kind' = 'executive_escalation' AND target = 'vera@bedrock.example';
SELECT target, body FROM support.outbound_messages
 WHERE ticket_id = :t AND payload->>'kind' = 'executive_escalation' AND destination = 'slack';
SELECT kind, body FROM support.ticket_events WHERE ticket_id = :t AND kind = 'escalation' ORDER BY event_id;
-- its tasks: the next update, on the executive cadence
SELECT task, due - (SELECT created_at FROM support.tickets WHERE ticket_id = :t) <= interval '1 hour' AS within_the_hour,
       done_at, overdue
  FROM support.war_room_tasks WHERE ticket_id = :t;
-- the worker escalating the same ticket again (tier 3 at a mark): the room stays, the channel hears it
SELECT (support.escalate_ticket(t, 'SLA breach imminent', now())).tier FROM support.tickets t WHERE ticket_id = :t;
SELECT count(*) AS war_rooms FROM support.war_rooms WHERE ticket_id = :t;
SELECT body LIKE 'Executive escalation of #' || :t || ' (P1, tier 3) again: SLA breach imminent. The war room in #critical-issues is open since % with Carl CEO, Vera VP.' AS said_again
  FROM support.outbound_messages
 WHERE ticket_id = :t AND payload->>'kind' = 'executive_escalation' AND destination = 'slack'
 ORDER BY message_id DESC LIMIT 1;

------------------------------------------------------------------------------
-- The post-incident review: set at the resolution, chased at its deadline
------------------------------------------------------------------------------
SELECT (support.change_status(:t, 'in_progress', :tess)).status;
SELECT (support.resolve_ticket(:t, :tess, 'Disk full on the ad server', 'Freed space, added alerting')).status;
SELECT resolved_at AS resolved FROM support.tickets WHERE ticket_id = :t \gset
SELECT a.action, a.due - t.resolved_at AS after_resolution
  FROM support.tickets t, support.ticket_actions(t) a WHERE t.ticket_id = :t AND a.action = 'post_incident_review' ORDER BY a.due;
SELECT * FROM support.run_due_actions(:'resolved'::timestamptz + interval '1 minute');
SELECT target,
       body LIKE '%due by ' || support.local_time(:'resolved'::timestamptz + interval '5 days', 'America/New_York') || '%' AS names_the_deadline,
       body LIKE '%with Carl CEO, Vera VP%' AS names_the_executives
  FROM support.outbound_messages
 WHERE ticket_id = :t AND payload->>'kind' = 'post_incident_review' ORDER BY message_id;
SELECT task, due - :'resolved'::timestamptz AS after_resolution, done_at, overdue
  FROM support.war_room_tasks WHERE ticket_id = :t;
-- five days on, nobody recorded it: executives and managers are reminded
SELECT * FROM support.run_due_actions(:'resolved'::timestamptz + interval '5 days 1 minute');
SELECT kind, body FROM support.ticket_events WHERE ticket_id = :t AND kind = 'review_task' ORDER BY event_id;
SELECT destination, target FROM support.outbound_messages
 WHERE ticket_id = :t AND payload->>'kind' = 'post_incident_review_overdue' ORDER BY destination, target;
SELECT body = format('The post-incident review of #%s was due at %s. Reminded: Carl CEO, Vera VP, Mia Manager.',
                     :t, support.local_time(:'resolved'::timestamptz + interval '5 days', 'America/New_York')) AS reminded_by_name
  FROM support.outbound_messages
 WHERE ticket_id = :t AND payload->>'kind' = 'post_incident_review_overdue' AND destination = 'slack';
-- recorded: done, and no longer chased
SELECT (support.record_post_incident_review(:t, :tess, 'Alerting on disk at 80 %; runbook updated')).post_incident_review_done_at IS NOT NULL AS recorded;
SELECT task, done_at IS NOT NULL AS done, overdue FROM support.war_room_tasks WHERE ticket_id = :t;
SELECT a.action, a.due - t.resolved_at AS after_resolution
  FROM support.tickets t, support.ticket_actions(t) a WHERE t.ticket_id = :t AND a.action = 'post_incident_review';
-- an incident that comes back: reviewed, reopened by the client, resolved
-- again, it owes another review, chased again
SELECT ticket_id AS again FROM support.open_ticket(1, :cam, 'Pixel server down', channel => 'phone',
       category => 'campaign_performance', priority => 'P1') \gset
SELECT (support.escalate_to_executive(:again, :tess, 'All conversions lost')).executive_escalated_at IS NOT NULL AS escalated;
SELECT (support.change_status(:again, 'triaged', :tess)).status;
SELECT (support.change_status(:again, 'in_progress', :tess)).status;
SELECT (support.resolve_ticket(:again, :tess, 'Certificate expired', 'Renewed')).status;
SELECT (support.record_post_incident_review(:again, :tess, 'Certificate expiry alerting')).post_incident_review_done_at IS NOT NULL AS reviewed;
SELECT support.post_client_message(:again, :cam, 'It is down again') > 0 AS reopened;
SELECT (support.resolve_ticket(:again, :tess, 'Second certificate expired', 'Renewed it too')).status;
SELECT a.action, a.due - t.resolved_at AS after_resolution
  FROM support.tickets t, support.ticket_actions(t) a WHERE t.ticket_id = :again AND a.action = 'post_incident_review' ORDER BY a.due;
SELECT task, done_at IS NOT NULL AS done FROM support.war_room_tasks WHERE ticket_id = :again;
SELECT (support.record_post_incident_review(:again, :tess, 'Inventory of every certificate')).post_incident_review_done_at IS NOT NULL AS reviewed_again;

\set VERBOSITY terse
SELECT support.record_post_incident_review(:t, :tess, 'again');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ticket_id AS plain FROM support.open_ticket(1, :cam, 'Question about invoices') \gset
SELECT support.record_post_incident_review(:plain, :tess, 'no executive escalation');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.record_post_incident_review(:t, :cam, 'clients do not');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.tell_staff(t, 'everyone', 's', 'b', 'k') FROM support.tickets t WHERE ticket_id = :t;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default

------------------------------------------------------------------------------
-- A client's escalation request involves the managers by name
------------------------------------------------------------------------------
SELECT (support.request_escalation(:plain, :cam, 'Our CFO needs this today')).ticket_id = :plain AS requested;
SELECT destination, target FROM support.outbound_messages
 WHERE ticket_id = :plain AND payload->>'kind' = 'client_escalation' ORDER BY destination, target;
SELECT body LIKE '%Managers told: Mia Manager.' AS names_the_manager FROM support.outbound_messages
 WHERE ticket_id = :plain AND payload->>'kind' = 'client_escalation' AND destination = 'slack';
-- asked again while the call is pending: the client hears back, the managers are not told again
SELECT (support.request_escalation(:plain, :cam, 'Still waiting for the call')).ticket_id = :plain AS requested_again;
SELECT payload->>'kind' AS kind, destination, count(*) FROM support.outbound_messages
 WHERE ticket_id = :plain AND payload->>'kind' IN ('client_escalation', 'escalation_acknowledgment')
 GROUP BY 1, 2 ORDER BY 1, 2;

------------------------------------------------------------------------------
-- A desk with two tiers: escalating from the top one brings in the executives
------------------------------------------------------------------------------
BEGIN;
UPDATE support.agents SET tier = 2 WHERE tier = 3;
UPDATE support.categories SET default_tier = 2 WHERE default_tier = 3;
UPDATE support.triage_rules SET escalate_to_tier = 2 WHERE escalate_to_tier = 3;
UPDATE support.tickets SET tier = 2 WHERE tier = 3;
DELETE FROM support.tiers WHERE tier = 3;
SELECT ticket_id AS two FROM support.open_ticket(1, :cam, 'Reports down', category => 'reporting', priority => 'P1') \gset
SELECT (support.escalate(:two, :tom, 'needs engineering')).tier AS escalated_to;
SELECT (support.escalate(:two, :tom, 'no higher tier')).executive_escalated_at IS NOT NULL AS executives;
SELECT count(*) AS war_rooms FROM support.war_rooms WHERE ticket_id = :two;
ROLLBACK;

------------------------------------------------------------------------------
-- From the top tier, only "critical business impact" reaches the executives
------------------------------------------------------------------------------
-- (escalation_triggers.executive_priorities, P1): a P3 in tier 3 goes to the managers
SELECT ticket_id AS routine FROM support.open_ticket(1, :cam, 'Export format question', category => 'reporting', priority => 'P3') \gset
SELECT (support.escalate(:routine, :tia, 'needs engineering')).tier AS tier_2;
SELECT (support.escalate(:routine, :tom, 'needs more')).tier AS tier_3;
SELECT (support.escalate(:routine, :tess, 'no answer yet')).executive_escalated_at IS NULL AS no_executives;
SELECT count(*) AS war_rooms FROM support.war_rooms WHERE ticket_id = :routine;
SELECT destination, target FROM support.outbound_messages
 WHERE ticket_id = :routine AND payload->>'kind' = 'top_tier_escalation' ORDER BY destination, target;
SELECT subject, body LIKE '%Managers told: Mia Manager.%' AS names_the_manager FROM support.outbound_messages
 WHERE ticket_id = :routine AND destination = 'slack' AND subject LIKE '%needs a manager';
-- an enterprise client's own channel hears nothing of it: the ticket did not move
UPDATE support.accounts SET enterprise = true, slack_channel = '#acme-ads' WHERE account_id = 1;
SELECT (support.escalate(:routine, :tess, 'still waiting')).tier AS still_tier_3;
SELECT count(*) AS client_channel_messages FROM support.outbound_messages
 WHERE ticket_id = :routine AND target = '#acme-ads';
UPDATE support.accounts SET enterprise = false, slack_channel = NULL WHERE account_id = 1;
-- a manager can widen it, and the same rule picks the alerts' Slack channel
-- (support.alert_channel): a P3 of critical business impact alerts #critical-issues
SELECT support.alert_channel(t) AS p3_alerts_before FROM support.tickets t WHERE ticket_id = :routine;
UPDATE support.escalation_triggers SET executive_priorities = '{P1,P2,P3}';
SELECT support.alert_channel(t) AS p3_alerts_now FROM support.tickets t WHERE ticket_id = :routine;
SELECT (support.escalate(:routine, :tess, 'still no answer')).executive_escalated_at IS NOT NULL AS executives_now;
UPDATE support.escalation_triggers SET executive_priorities = DEFAULT;
-- tier 3's own 30-minute response is for P1 only (tiers.targets_apply_to)
SELECT ticket_id AS critical FROM support.open_ticket(1, :cam, 'Ads down again', channel => 'phone',
       category => 'campaign_performance', priority => 'P1') \gset
SELECT (SELECT tier_response_due IS NULL FROM support.tickets WHERE ticket_id = :routine) AS p3_no_tier_3_target,
       (SELECT tier = 3 AND tier_response_due - tier_entered_at = interval '30 minutes'
          FROM support.tickets WHERE ticket_id = :critical) AS p1_has_its_30_minutes;
