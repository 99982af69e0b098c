-- How often one account may page people (support.escalation_triggers): its
-- clients' escalation requests and complaints page the managers at most
-- client_pages_an_hour times (the rest are recorded, acknowledged and
-- escalated, and #support-escalations hears once); its tickets open at most
-- war_rooms_a_day war rooms unless staff decide it (the rest go to the
-- managers, who may still call in the executives).
\i sql/include/fixture.sql
SET timezone = 'UTC';
SET support.auto_assign = off;
UPDATE support.escalation_triggers SET client_pages_an_hour = 2, war_rooms_a_day = 1;
INSERT INTO support.agents (email, full_name, tier, skills, on_shift, is_support_manager, is_executive) VALUES
  ('mona@bedrock.example', 'Mona Manager', 3, '{}', true, true, false),
  ('eve@bedrock.example', 'Eve Executive', 3, '{}', false, false, true);
CREATE FUNCTION pages(kind text) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM support.outbound_messages WHERE payload->>'kind' = kind
$$;

------------------------------------------------------------------------------
-- Escalation requests: two an hour page the managers
------------------------------------------------------------------------------
SELECT array_agg((support.open_ticket(1, :ada, 'Issue ' || i, '', 'email', 'reporting')).ticket_id ORDER BY i) AS tickets
  FROM generate_series(1, 4) i \gset
SELECT i, t.escalation_call_due IS NOT NULL AS call_scheduled
  FROM unnest(:'tickets'::bigint[]) WITH ORDINALITY AS u(id, i),
       LATERAL support.request_escalation(u.id, :ada, 'Please escalate ' || i) t ORDER BY i;
-- two calls, the managers paged twice, #support-escalations told once of the limit
SELECT pages('client_escalation') AS manager_pages_and_alerts, pages('client_page_limit') AS limit_alerts;
SELECT body FROM support.outbound_messages WHERE payload->>'kind' = 'client_page_limit';
-- every request is recorded and acknowledged; those over the limit say a manager will review them
SELECT count(*) AS recorded FROM support.ticket_events WHERE kind = 'escalation' AND details->>'requested_by' = 'client';
SELECT count(*) FILTER (WHERE body LIKE '%call you by%') AS with_a_call,
       count(*) FILTER (WHERE body LIKE '%review them together%') AS reviewed_together
  FROM support.outbound_messages WHERE payload->>'kind' = 'escalation_acknowledgment';
-- another account's clients are not held back
SELECT (support.request_escalation((support.open_ticket(2, :gil, 'Globex issue', '', 'email', 'reporting')).ticket_id,
                                   :gil, 'Please escalate')).escalation_call_due IS NOT NULL AS globex_call;

-- complaints count too: escalated, but not paged
INSERT INTO support.dissatisfaction_rules (name, keywords) VALUES ('fed up', 'fed up') ON CONFLICT DO NOTHING;
SELECT support.post_client_message((:'tickets'::bigint[])[1], :ada, 'We are fed up with this') IS NOT NULL AS posted;
SELECT body FROM support.ticket_events WHERE ticket_id = (:'tickets'::bigint[])[1] AND kind = 'escalation'
   AND details->>'trigger' = 'dissatisfaction';
SELECT pages('dissatisfaction') AS dissatisfaction_pages;

------------------------------------------------------------------------------
-- War rooms: one a day from the worker's marks and clients' triggers
------------------------------------------------------------------------------
INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Initech', 'UTC', 1);
SELECT account_id AS initech FROM support.accounts WHERE name = 'Initech' \gset
INSERT INTO support.account_users (account_id, email, full_name, role) VALUES (:initech, 'ivy@initech.example', 'Ivy', 'admin');
SELECT user_id AS ivy FROM support.account_users WHERE email = 'ivy@initech.example' \gset
-- two hotline P1s: straight to tier 3, the top
SELECT (support.open_ticket(:initech, :ivy, 'Outage A', '', 'phone', 'campaign_performance')).ticket_id AS p1_a \gset
SELECT (support.open_ticket(:initech, :ivy, 'Outage B', '', 'phone', 'campaign_performance')).ticket_id AS p1_b \gset
SELECT max(escalation_due) AS mark FROM support.tickets WHERE ticket_id IN (:p1_a, :p1_b) \gset
SELECT * FROM support.run_due_actions(:'mark', 10);
SELECT ticket_id = :p1_a AS first, executive_escalated_at IS NOT NULL AS executives
  FROM support.tickets WHERE ticket_id IN (:p1_a, :p1_b) ORDER BY ticket_id;
SELECT count(*) AS war_rooms FROM support.war_rooms WHERE account_id = :initech;
SELECT body FROM support.outbound_messages
 WHERE ticket_id = :p1_b AND payload->>'kind' = 'top_tier_escalation' AND destination = 'email';
-- an agent who decides it opens the second one all the same
SELECT (support.escalate_to_executive(:p1_b, :tess, 'Revenue stopped for the whole account')).executive_escalated_at IS NOT NULL AS escalated;
SELECT count(*) AS war_rooms FROM support.war_rooms WHERE account_id = :initech;
-- the limits are the managers' to change, never negative
UPDATE support.escalation_triggers SET war_rooms_a_day = -1;
