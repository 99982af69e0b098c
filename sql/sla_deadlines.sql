-- Deadlines on tickets: computed by the C trigger from the SLA policies and
-- the account's calendar, paused and resumed, recomputed on priority
-- change, and each SLA target's event trail.
\i sql/include/fixture.sql
SET timezone = 'America/New_York';
INSERT INTO support.calendar (name, hours, holidays)
VALUES ('New York office', 'mon-fri 09:00-17:00 @ America/New_York', '{2026-03-10}');
UPDATE support.accounts SET calendar_id = (SELECT calendar_id FROM support.calendar WHERE name = 'New York office')
 WHERE account_id = 1;

-- Tickets created at a known time: a restore (row_security = off) inserts
-- rows as they are; the next change to a row without deadlines computes them.
CREATE FUNCTION pg_temp.restored_ticket(ticket bigint, prio support.priority, created timestamptz,
                                        state support.ticket_status DEFAULT 'in_progress',
                                        pending timestamptz DEFAULT NULL,
                                        paused tstzmultirange DEFAULT '{}') RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL row_security = off;
    INSERT INTO support.tickets (account_id, ticket_id, requester_id, subject, channel, category,
                                 priority, status, created_at, updated_at, pending_since, sla_paused)
    SELECT 1, ticket, user_id, 'restored #' || ticket, 'email', 'reporting', prio, state, created, created,
           pending, paused
      FROM support.account_users WHERE email = 'cam@acme.example';
    SET LOCAL row_security = on;
    UPDATE support.tickets SET subject = subject WHERE ticket_id = ticket;
END $$;

-- Friday 2026-03-06 16:30 in New York, one ticket per priority. P1 runs
-- around the clock; P2-P4 on the account's calendar (closed at the weekend
-- and on the holiday of Tuesday 03-10). The escalation mark is the earliest
-- 80 % of the running targets: the priority's first response (P1, P2), or
-- tier 1's own initial response of 2 business hours where that comes first
-- (P3, P4: Monday 10:06).
SELECT pg_temp.restored_ticket(90000 + p, ('P' || p)::support.priority, '2026-03-06 16:30')
  FROM generate_series(1, 4) p;
SELECT ticket_id, priority, first_response_due, escalation_due, next_update_due, resolution_due
  FROM support.tickets ORDER BY ticket_id;

-- pauses: a P2 ticket opened Monday 09:00 (due 13:00) that waited an hour
-- on the client is due an hour later; a pause after the deadline passed
-- does not move it; a pause running now hides the deadline unless breached
SELECT pg_temp.restored_ticket(90011, 'P2', '2026-03-09 09:00', paused => '{["2026-03-09 10:00","2026-03-09 11:00")}');
SELECT pg_temp.restored_ticket(90012, 'P2', '2026-03-09 09:00', paused => '{["2026-03-09 14:00","2026-03-09 15:00")}');
SELECT pg_temp.restored_ticket(90013, 'P2', '2026-03-09 09:00', paused => '{["2026-03-09 10:00","2026-03-09 11:00"),["2026-03-09 12:00","2026-03-09 12:30")}');
SELECT pg_temp.restored_ticket(90014, 'P2', '2026-03-09 09:00', 'pending_client', pending => '2026-03-09 12:00');
SELECT pg_temp.restored_ticket(90015, 'P2', '2026-03-09 09:00', 'pending_client', pending => '2026-03-09 14:00');
SELECT ticket_id, status, resolution_due, escalation_due, next_update_due
  FROM support.tickets WHERE ticket_id BETWEEN 90011 AND 90015 ORDER BY ticket_id;

-- a priority change recomputes every deadline from the ticket's start
SELECT (support.change_priority(90013, 'P1', :tia, 'outage confirmed')).priority;
SELECT first_response_due, resolution_due, escalation_due FROM support.tickets WHERE ticket_id = 90013;
SELECT (support.change_priority(90013, 'P2', :tia, 'workaround found')).priority;
SELECT first_response_due, resolution_due, escalation_due FROM support.tickets WHERE ticket_id = 90013;

-- the deadline columns belong to the trigger: written values are replaced
UPDATE support.tickets SET resolution_due = 'infinity', first_response_due = NULL,
       sla_paused = '{}' WHERE ticket_id = 90011;
SELECT resolution_due, first_response_due, sla_paused FROM support.tickets WHERE ticket_id = 90011;

-- the policy and calendar are cached per backend, and dropped when they change
UPDATE support.sla_policies SET response_target = '3 hours' WHERE priority = 'P4';
SELECT pg_temp.restored_ticket(90021, 'P4', '2026-03-06 16:30');
SELECT first_response_due FROM support.tickets WHERE ticket_id = 90021;
UPDATE support.calendar SET holidays = '{}' WHERE name = 'New York office';
SELECT pg_temp.restored_ticket(90022, 'P2', '2026-03-09 16:30');
SELECT resolution_due FROM support.tickets WHERE ticket_id = 90022;
UPDATE support.accounts SET calendar_id = 1 WHERE account_id = 1;
SELECT pg_temp.restored_ticket(90023, 'P2', '2026-03-07 12:00');
SELECT resolution_due FROM support.tickets WHERE ticket_id = 90023;
UPDATE support.accounts SET calendar_id = (SELECT calendar_id FROM support.calendar WHERE name = 'New York office')
 WHERE account_id = 1;
UPDATE support.sla_policies SET update_cadence = '36 hours' WHERE priority = 'P3';
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- a live ticket: deadlines follow now() and the policy; the trail records
-- each target's activation
SELECT ticket_id AS live FROM support.open_ticket(1, :cam, 'Spend report is off', channel => 'email',
       category => 'data_discrepancy') \gset
SELECT priority,
       first_response_due = support.business_add(created_at, '1 hour', 'mon-fri 09:00-17:00 @ America/New_York') AS response_on_calendar,
       next_update_due = support.business_add(created_at, '2 hours', 'mon-fri 09:00-17:00 @ America/New_York') AS update_on_calendar,
       resolution_due = support.business_add(created_at, '4 hours', 'mon-fri 09:00-17:00 @ America/New_York') AS resolution_on_calendar,
       escalation_due = support.business_add(created_at, '48 minutes', 'mon-fri 09:00-17:00 @ America/New_York') AS mark_at_80_percent
  FROM support.tickets WHERE ticket_id = :live;
SELECT target, kind FROM support.sla_events WHERE ticket_id = :live ORDER BY sla_event_id;

-- neither an internal note nor the client's own message fulfils a target
SELECT support.add_internal_note(:live, :tia, 'checking the export') > 0 AS noted;
SELECT support.post_client_message(:live, :cam, 'any news?') > 0 AS client_wrote;
SELECT first_response_at IS NULL AS still_unanswered FROM support.tickets WHERE ticket_id = :live;
SELECT count(*) AS trail_unchanged FROM support.sla_events WHERE ticket_id = :live;

-- an agent's public reply fulfils the first response and the update, and
-- re-arms the update cadence from the reply; escalation moves to the
-- resolution target
SELECT support.reply_publicly(:live, :tia, 'We are on it.') > 0 AS replied;
SELECT next_update_due = support.business_add(last_public_reply_at, '2 hours', 'mon-fri 09:00-17:00 @ America/New_York') AS update_from_reply,
       escalation_due = support.business_add(created_at, '3 hours 12 minutes', 'mon-fri 09:00-17:00 @ America/New_York') AS mark_on_resolution
  FROM support.tickets WHERE ticket_id = :live;
SELECT target, kind FROM support.sla_events WHERE ticket_id = :live ORDER BY sla_event_id;

-- waiting on the client pauses resolution and updates; the answer resumes them
SELECT (support.change_status(:live, 'triaged', :tia)).status;
SELECT (support.change_status(:live, 'in_progress', :tia)).status;
SELECT (support.change_status(:live, 'pending_client', :tia, 'need the export file')).status;
SELECT resolution_due IS NULL AS resolution_paused, next_update_due IS NULL AS updates_paused
  FROM support.tickets WHERE ticket_id = :live;
SELECT support.post_client_message(:live, :cam, 'attached') > 0 AS client_answered;
SELECT status, resolution_due IS NOT NULL AS resolution_resumed, next_update_due IS NOT NULL AS updates_resumed
  FROM support.tickets WHERE ticket_id = :live;
SELECT (support.resolve_ticket(:live, :tia, 'timezone of export', 'export now in account time')).status;
SELECT target, kind FROM support.sla_events WHERE ticket_id = :live ORDER BY sla_event_id;

-- a late first response is fulfilled and breached, once, at the deadline
SELECT pg_temp.restored_ticket(90031, 'P1', '2026-03-06 16:30', 'new');
SELECT support.reply_publicly(90031, :tia, 'Sorry for the wait.') > 0 AS replied_late;
SELECT e.target, e.kind, e.due, e.occurred_at = e.due AS at_the_deadline,
       e.occurred_at = t.first_response_at AS at_the_reply
  FROM support.sla_events e JOIN support.tickets t USING (account_id, ticket_id)
 WHERE e.ticket_id = 90031 AND e.kind IN ('fulfilled', 'breached') AND e.target = 'first_response'
 ORDER BY e.sla_event_id;

-- a deadline that passed while its target ran is breached at the deadline,
-- whatever change reveals it: here a pause of an overdue P2 ticket
SELECT (support.change_status(90002, 'pending_client', :tia, 'waiting for logs')).status;
SELECT target, kind, due, occurred_at = due AS at_the_deadline
  FROM support.sla_events WHERE ticket_id = 90002 AND kind IN ('breached', 'paused')
 ORDER BY target, kind;

-- breach state in business time: overdue targets are negative and breached
-- (every running target with its source: the priority's, and tier 1's
-- 2-hour initial response and 4-hour resolution on the account's calendar)
SELECT ticket_id, target, source, due, remaining < interval '0' AS overdue, breached
  FROM support.sla_status WHERE ticket_id IN (90001, 90003) ORDER BY ticket_id, target, source;
SELECT ticket_id AS waiting FROM support.open_ticket(1, :cam, 'How do I export?', channel => 'email',
       category => 'training') \gset
SELECT target, source, breached, remaining > interval '0' AS time_left
  FROM support.sla_status WHERE ticket_id = :waiting ORDER BY target, source;
-- a tier whose targets are for reference only adds none
UPDATE support.tiers SET targets_apply_to = '{}' WHERE tier = 1;
-- (it applies to a ticket at the ticket's next change, as a policy change does)
UPDATE support.tickets SET priority = priority WHERE ticket_id = :waiting;
SELECT count(*) AS tier_targets FROM support.sla_status WHERE ticket_id = :waiting AND source = 'tier';
SELECT (support.change_priority(:waiting, 'P4', :tia, 'just a question')).tier_response_due IS NULL AS not_in_force;
SELECT target, source FROM support.sla_status WHERE ticket_id = :waiting ORDER BY target, source;
UPDATE support.tiers SET targets_apply_to = DEFAULT WHERE tier = 1;
-- which clock each target runs on is the deadline trigger's rule, which the
-- view asks: P1 around the clock, P3 on the calendar, an elapsed cadence
-- around the clock, tier 3 around the clock (not business hours only)
SELECT t.target, t.source, t.priority, t.tier,
       support.sla_target_around_the_clock(t.target, t.source, t.priority::support.priority, t.tier::smallint) AS around_the_clock
  FROM (VALUES ('resolution', 'priority', 'P1', 1), ('resolution', 'priority', 'P3', 1),
               ('next_update', 'priority', 'P1', 1), ('next_update', 'priority', 'P3', 1),
               ('first_response', 'tier', 'P1', 3), ('first_response', 'tier', 'P1', 1)) AS t (target, source, priority, tier);
\set VERBOSITY terse
SELECT support.sla_target_around_the_clock('next_update', 'tier', 'P1', 1::smallint);
\set VERBOSITY default

-- a priority without a policy is refused, and nothing is left behind
BEGIN;
DELETE FROM support.sla_policies WHERE priority::text = 'P4';
\set VERBOSITY terse
SELECT support.open_ticket(1, :cam, 'No policy', category => 'general_inquiry');
\set VERBOSITY default
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT count(*) AS tickets_named_no_policy FROM support.tickets WHERE subject = 'No policy';

-- the trail is append-only
UPDATE support.sla_events SET kind = 'fulfilled' WHERE ticket_id = 90031;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM support.sla_events WHERE ticket_id = 90031;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
