-- The escalation worker's actions, driven by hand at chosen times with
-- support.run_due_actions(as_of): the schedule on each ticket, every
-- action, each taken once, client and executive escalations, follow-up
-- and automatic closing, and the errors.
\i sql/include/fixture.sql
SET timezone = 'UTC';
SET support.auto_assign = off;

-- An around-the-clock account, so every clock below is elapsed time.
INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Initech', 'UTC', 1);
SELECT account_id AS initech FROM support.accounts WHERE name = 'Initech' \gset
INSERT INTO support.account_users (account_id, email, full_name, role)
VALUES (:initech, 'ivy@initech.example', 'Ivy Initech', 'admin');
SELECT user_id AS ivy FROM support.account_users WHERE email = 'ivy@initech.example' \gset
-- owners for escalated campaign tickets in tiers 2 and 3
INSERT INTO support.agents (email, full_name, tier, skills, on_shift) VALUES
  ('tara@bedrock.example', 'Tara Tier-Two', 2, '{campaign_management}', true),
  ('theo@bedrock.example', 'Theo Tier-Three', 3, '{campaign_management}', true);

CREATE FUNCTION new_ticket(account bigint, requester bigint, subject text, priority support.priority,
                           category text DEFAULT 'campaign_performance')
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority)
    VALUES (account, requester, subject, 'email', category, priority) RETURNING ticket_id
$$;
-- what happened to a ticket, times relative to its creation
CREATE FUNCTION ticket_view(id bigint) RETURNS TABLE (status text, tier smallint, assignee text,
    escalated text, executive text, next_action text, checked text)
LANGUAGE sql AS $$
    SELECT t.status::text, t.tier, g.full_name, date_trunc('second', t.escalated_at - t.created_at)::text,
           date_trunc('second', t.executive_escalated_at - t.created_at)::text,
           date_trunc('second', t.next_action_at - t.created_at)::text,
           date_trunc('second', t.actions_checked_at - t.created_at)::text
      FROM support.tickets t LEFT JOIN support.agents g ON g.agent_id = t.assignee_id
     WHERE t.ticket_id = id
$$;
CREATE FUNCTION actions_of(id bigint) RETURNS TABLE (kind text, visibility text, body text, action text, due text)
LANGUAGE sql AS $$
    SELECT e.kind::text, e.visibility::text, e.body, e.details->>'action',
           date_trunc('second', (e.details->>'due')::timestamptz - t.created_at)::text
      FROM support.ticket_events e JOIN support.tickets t USING (account_id, ticket_id)
     WHERE e.ticket_id = id AND e.kind NOT IN ('created', 'public_reply')
     ORDER BY e.event_id
$$;
CREATE FUNCTION messages_of(id bigint) RETURNS TABLE (destination text, target text, subject text)
LANGUAGE sql AS $$
    SELECT destination, target, subject FROM support.outbound_messages
     WHERE ticket_id = id AND template IS DISTINCT FROM 'initial_response' ORDER BY message_id
$$;
CREATE FUNCTION at(id bigint, offset_text text) RETURNS timestamptz
LANGUAGE sql AS $$ SELECT created_at + offset_text::interval FROM support.tickets WHERE ticket_id = id $$;

------------------------------------------------------------------------------
-- The schedule: a P1 ticket in tier 1
------------------------------------------------------------------------------

SELECT new_ticket(:initech, :ivy, 'Campaigns stopped delivering', 'P1') AS p1 \gset
SELECT a.action, date_trunc('second', a.due - t.created_at) AS after
  FROM support.tickets t, support.ticket_actions(t) a WHERE t.ticket_id = :p1 ORDER BY a.due, a.action;
-- the earliest is on the ticket, for the worker's one index probe
SELECT * FROM ticket_view(:p1);

-- nothing is due yet
SELECT * FROM support.run_due_actions(at(:p1, '11 minutes 59 seconds'));
SELECT count(*) AS events FROM support.ticket_events WHERE ticket_id = :p1 AND kind <> 'created';

-- 80 % of the response target: escalated to tier 2 and its least-loaded
-- campaign agent, with the owner, the client and #critical-issues told
SELECT * FROM support.run_due_actions(at(:p1, '12 minutes'));
SELECT * FROM ticket_view(:p1);
SELECT * FROM actions_of(:p1);
SELECT * FROM messages_of(:p1);
SELECT body FROM support.outbound_messages WHERE ticket_id = :p1 AND template = 'escalation_notice';

-- the same moment again, by a second caller: nothing more
SELECT * FROM support.run_due_actions(at(:p1, '12 minutes'));
SELECT support.take_action(t, 'escalation_mark', at(:p1, '12 minutes'), at(:p1, '12 minutes'))
  FROM support.tickets t WHERE ticket_id = :p1;
SELECT count(*) AS escalations FROM support.ticket_events WHERE ticket_id = :p1 AND kind = 'escalation';

-- the first response is missed: breached at the deadline, alert
SELECT * FROM support.run_due_actions(at(:p1, '20 minutes'));
SELECT target, kind, due - created_at AS due, occurred_at - created_at AS occurred
  FROM support.sla_events JOIN support.tickets USING (account_id, ticket_id)
 WHERE ticket_id = :p1 AND kind = 'breached';
SELECT * FROM actions_of(:p1) OFFSET 1;

-- the update cadence (30 minutes): reminded, then twice overdue escalates
SELECT * FROM support.run_due_actions(at(:p1, '31 minutes'));
SELECT * FROM actions_of(:p1) OFFSET 2;
SELECT destination, target, subject FROM messages_of(:p1) OFFSET 4;
-- escalation at 12 minutes started tier 2's targets: its initial response
-- (1 h, mark at 80 %: 48 minutes later) comes before the P1's own
-- resolution mark (80 % of 2 h); the first response mark is answered
SELECT a.action, date_trunc('second', a.due - t.created_at) AS after
  FROM support.tickets t, support.ticket_actions(t) a WHERE t.ticket_id = :p1 ORDER BY a.due, a.action;
SELECT date_trunc('second', tier_entered_at - created_at) AS tier_entered,
       date_trunc('second', tier_response_due - created_at) AS tier_response,
       date_trunc('second', tier_resolution_due - created_at) AS tier_resolution,
       date_trunc('second', resolution_due - created_at) AS resolution,
       date_trunc('second', escalation_due - created_at) AS mark
  FROM support.tickets WHERE ticket_id = :p1;
-- at 1 hour the mark and the second missed update are both due: one
-- escalation, to tier 3; the missed update is answered by it
SELECT * FROM support.run_due_actions(at(:p1, '1 hour'));
SELECT * FROM ticket_view(:p1);
SELECT * FROM actions_of(:p1) OFFSET 4;

-- tier 3 answers within 30 minutes, around the clock: its mark (24
-- minutes in) brings in the executives, before the P1's resolution mark
SELECT date_trunc('second', escalation_due - created_at) AS mark FROM support.tickets WHERE ticket_id = :p1;
SELECT * FROM support.run_due_actions(at(:p1, '1 hour 24 minutes'));
SELECT * FROM ticket_view(:p1);
-- then the P1's resolution mark, and the breach at 2 hours
SELECT * FROM support.run_due_actions(at(:p1, '1 hour 36 minutes'));
SELECT * FROM support.run_due_actions(at(:p1, '2 hours'));
SELECT * FROM actions_of(:p1) OFFSET 8;
SELECT destination, target, subject FROM messages_of(:p1) ORDER BY 1, 2, 3;

------------------------------------------------------------------------------
-- No progress: a P3 ticket in tier 1 answered at once, then left alone
------------------------------------------------------------------------------

SELECT new_ticket(:initech, :ivy, 'How do lookalike audiences work?', 'P3', 'training') AS p3 \gset
SELECT support.reply_publicly(:p3, :tia, 'Looking into it.') > 0 AS replied;
-- an agent's note is activity too: the two hours run from the latest
SELECT support.add_internal_note(:p3, :tia, 'Checked the audience sizes') > 0 AS noted;
SELECT a.due = t.last_activity_at + interval '2 hours' AS from_the_note,
       t.last_activity_at >= t.last_public_reply_at AS note_is_latest
  FROM support.tickets t, support.ticket_actions(t) a WHERE t.ticket_id = :p3 AND a.action = 'no_progress';
SELECT a.action, date_trunc('second', a.due - t.created_at) AS after
  FROM support.tickets t, support.ticket_actions(t) a WHERE t.ticket_id = :p3 ORDER BY a.due, a.action;
SELECT * FROM support.run_due_actions(at(:p3, '2 hours 1 second'));
SELECT * FROM ticket_view(:p3);
SELECT * FROM actions_of(:p3);

------------------------------------------------------------------------------
-- A client asks for an escalation
------------------------------------------------------------------------------

SELECT new_ticket(:initech, :ivy, 'Numbers off since Monday', 'P2', 'reporting') AS p2 \gset
SELECT (support.request_escalation(:p2, :ivy, 'This is blocking our board report')).ticket_id;
SELECT (escalation_call_due - escalation_requested_at) AS call_within,
       (next_update_due - created_at) AS next_update
  FROM support.tickets WHERE ticket_id = :p2;
SELECT kind, visibility, actor_kind, body FROM support.ticket_events
 WHERE ticket_id = :p2 AND kind = 'escalation';
SELECT * FROM messages_of(:p2);
-- asked again while the call is pending: acknowledged, the call stays
SELECT (support.request_escalation(:p2, :ivy, 'Still waiting')).escalation_call_due
       = escalation_call_due AS same_call
  FROM support.tickets WHERE ticket_id = :p2;
-- the call is not held in time: the escalation channel hears of it
SELECT * FROM support.run_due_actions(at(:p2, '2 hours 1 minute'));
SELECT * FROM actions_of(:p2);
-- held afterwards: no further alert for it
SELECT (support.record_escalation_call(:p2, :tom, 'Walked the client through the fix plan')).escalation_call_held_at IS NOT NULL AS held;
SELECT count(*) AS call_actions FROM support.tickets t, support.ticket_actions(t) a
 WHERE t.ticket_id = :p2 AND a.action = 'escalation_call_overdue';

------------------------------------------------------------------------------
-- Executive escalation, resolution, follow-up, automatic closing
------------------------------------------------------------------------------

SELECT new_ticket(:initech, :ivy, 'Ad server outage', 'P1', 'service_outage') AS outage \gset
SELECT (support.escalate_to_executive(:outage, :tess, 'Revenue loss across all campaigns')).executive_escalated_at IS NOT NULL AS executive;
SELECT (support.assign_ticket(:outage, :tess, :tess)).assignee_id = :tess AS assigned;
SELECT (support.reply_publicly(:outage, :tess, 'War room open, updates hourly.')) > 0 AS replied;
-- hourly updates at most (P1's own cadence is shorter and stays)
SELECT date_trunc('minute', next_update_due - created_at) AS next_update FROM support.tickets WHERE ticket_id = :outage;
SELECT (support.change_status(:outage, 'triaged', :tess)).status;
SELECT (support.change_status(:outage, 'in_progress', :tess)).status;
SELECT (support.resolve_ticket(:outage, :tess, 'Disk full on ad server', 'Freed space, added alerting')).status;
SELECT a.action, date_trunc('second', a.due - t.resolved_at) AS after_resolution
  FROM support.tickets t, support.ticket_actions(t) a WHERE t.ticket_id = :outage ORDER BY a.due, a.action;
SELECT * FROM support.run_due_actions(at(:outage, '1 minute'));
SELECT * FROM support.run_due_actions(at(:outage, '24 hours 1 minute'));
SELECT * FROM support.run_due_actions(at(:outage, '72 hours 1 minute'));
SELECT * FROM ticket_view(:outage);
SELECT kind, visibility, body, action FROM actions_of(:outage);
SELECT destination, target, subject FROM messages_of(:outage);
SELECT body FROM support.outbound_messages WHERE ticket_id = :outage AND template = 'follow_up';
-- closed: nothing more is scheduled but the chase of the post-incident
-- review, 5 days after the resolution, until it is recorded
SELECT next_action_at - resolved_at AS review_chase FROM support.tickets WHERE ticket_id = :outage;
SELECT (support.record_post_incident_review(:outage, :tess, 'Disk alerting added')).next_action_at IS NULL AS nothing_left;

------------------------------------------------------------------------------
-- A change moves a deadline into the past: the worker looks again
------------------------------------------------------------------------------

SELECT new_ticket(:initech, :ivy, 'Minor label glitch', 'P4', 'ui_issue') AS p4 \gset
SELECT tickets FROM support.run_due_actions(at(:p4, '30 minutes'));
SELECT * FROM ticket_view(:p4);
-- an hour later someone notices it is urgent; its 15-minute targets are
-- long past, and the worker's mark no longer hides them
UPDATE support.tickets SET priority = 'P1' WHERE ticket_id = :p4;
SELECT * FROM ticket_view(:p4);
SELECT * FROM support.run_due_actions(at(:p4, '30 minutes'));
SELECT kind, action, due FROM actions_of(:p4);

------------------------------------------------------------------------------
-- Errors
------------------------------------------------------------------------------

\set VERBOSITY terse
SELECT * FROM support.run_due_actions(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM support.run_due_actions(now(), 0);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.take_action(t, 'launch_rockets', now(), now()) FROM support.tickets t WHERE ticket_id = :p2;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- another account's user cannot escalate the ticket
SELECT support.request_escalation(:p2, :gil, 'not mine');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.request_escalation(:p2, :ivy, ' ');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.request_escalation(:outage, :ivy, 'closed already');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.record_escalation_call(:p3, :tom, 'no call was asked for');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT new_ticket(:initech, :ivy, 'Spend doubled overnight', 'P2') AS war_room \gset
SELECT (support.escalate_to_executive(:war_room, :tess, 'War room')).executive_escalated_at IS NOT NULL AS executive;
SELECT support.escalate_to_executive(:war_room, :tess, 'again');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.escalate_to_executive(:p2, :ivy, 'clients cannot');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.request_escalation(999999, :ivy, 'no such ticket');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- the worker's view, in a database where it is switched off
SELECT preloaded, state IN ('stopped', 'not running') AS not_running, pid IS NULL AS no_pid
  FROM support.worker_status;
