-- A client's message after the resolution: on a resolved ticket it reopens
-- it (the verification period's follow-up and auto-close go, and come back
-- from the next resolution); on a closed ticket it opens a linked follow-up
-- ticket that carries the message.
\i sql/include/fixture.sql
SET timezone = 'UTC';
SET support.auto_assign = off;

SELECT ticket_id AS t FROM support.open_ticket(1, :cam, 'Pixel stopped firing', 'On every Safari visit',
       channel => 'email', category => 'campaign_performance') \gset
SELECT (support.change_status(:t, 'triaged', :tia)).status;
SELECT (support.change_status(:t, 'in_progress', :tia)).status;
SELECT support.reply_publicly(:t, :tia, 'Looking into it.') > 0 AS replied;
SELECT (support.resolve_ticket(:t, :tia, 'Tag blocked by ITP', 'Server-side tag')).status;
SELECT resolved_at AS first_resolution FROM support.tickets WHERE ticket_id = :t \gset
-- the verification period, from the resolution
SELECT a.action, a.due - t.resolved_at AS after_resolution
  FROM support.tickets t, support.ticket_actions(t) a WHERE t.ticket_id = :t ORDER BY a.due, a.action;

------------------------------------------------------------------------------
-- The client writes back: the ticket reopens
------------------------------------------------------------------------------
SELECT support.post_client_message(:t, :cam, 'Still broken on Safari 17') > 0 AS posted;
SELECT status, reopen_count, reopened_at IS NOT NULL AS reopened,
       next_update_due IS NOT NULL AS update_due_again, resolution_due IS NOT NULL AS resolution_due_again,
       upper(sla_paused) = reopened_at AS resolved_time_paused
  FROM support.tickets WHERE ticket_id = :t;
-- the case history says who reopened it and why
SELECT e.kind, e.actor_kind, e.old_value, e.new_value, e.body
  FROM support.ticket_events e WHERE e.ticket_id = :t AND e.kind IN ('client_message', 'status_change')
 ORDER BY e.event_id DESC LIMIT 2;
-- the SLA trail: resolution fulfilled, then running again; the update
-- cadence paused and resumed
SELECT target, kind FROM support.sla_events
 WHERE ticket_id = :t AND kind IN ('fulfilled', 'paused', 'resumed') AND target <> 'first_response'
 ORDER BY sla_event_id;
-- no follow-up and no auto-close while it is worked again
SELECT a.action FROM support.tickets t, support.ticket_actions(t) a WHERE t.ticket_id = :t ORDER BY a.due, a.action;
SELECT * FROM support.run_due_actions(:'first_resolution'::timestamptz + interval '72 hours 1 minute');
SELECT status FROM support.tickets WHERE ticket_id = :t;
SELECT count(*) AS follow_ups_sent FROM support.ticket_events
 WHERE ticket_id = :t AND action_key LIKE 'follow_up@%';

-- resolved again: the verification period runs from the new resolution
SELECT (support.resolve_ticket(:t, :tia, 'Tag blocked by ITP on Safari 17 too', 'First-party domain')).status;
SELECT a.action, a.due - t.resolved_at AS after_resolution, t.resolved_at > :'first_resolution'::timestamptz AS later
  FROM support.tickets t, support.ticket_actions(t) a WHERE t.ticket_id = :t ORDER BY a.due, a.action;
-- a message while it is open or waiting does not reopen anything
SELECT (support.change_status(:t, 'in_progress', :tia, 'one more check')).reopen_count;
SELECT support.post_client_message(:t, :cam, 'Thanks for checking') > 0 AS posted;
SELECT status, reopen_count FROM support.tickets WHERE ticket_id = :t;

------------------------------------------------------------------------------
-- After closing: a linked follow-up ticket
------------------------------------------------------------------------------
SELECT (support.resolve_ticket(:t, :tia, 'Tag blocked by ITP', 'First-party domain')).status;
SELECT (support.close_ticket(:t, :cam)).status;
SELECT support.post_client_message(:t, :cam, 'It is back on Chrome now') AS message \gset
SELECT f.ticket_id > :t AS new_ticket, f.follows_up_ticket_id = :t AS follows_up, f.subject,
       f.description, f.requester_id = :cam AS same_requester, f.channel, f.category, f.status
  FROM support.ticket_events e JOIN support.tickets f USING (account_id, ticket_id)
 WHERE e.event_id = :message;
SELECT e.kind, e.actor_kind, e.body FROM support.ticket_events e JOIN support.tickets f USING (account_id, ticket_id)
 WHERE f.follows_up_ticket_id = :t ORDER BY e.event_id;
-- the closed ticket records it and stays closed
SELECT status FROM support.tickets WHERE ticket_id = :t;
SELECT kind, actor_kind, visibility, body, details ? 'follow_up_ticket_id' AS linked
  FROM support.ticket_events WHERE ticket_id = :t ORDER BY event_id DESC LIMIT 1;
-- writing again while the follow-up is open continues it: no second follow-up
SELECT support.post_client_message(:t, :cam, 'Also on Firefox') AS again \gset
SELECT f.follows_up_ticket_id = :t AS same_follow_up, (SELECT count(*) FROM support.tickets WHERE follows_up_ticket_id = :t) AS follow_ups
  FROM support.ticket_events e JOIN support.tickets f USING (account_id, ticket_id) WHERE e.event_id = :again;
-- the follow-up got its own acknowledgment
SELECT count(*) AS acknowledgments FROM support.outbound_messages m JOIN support.tickets f USING (account_id, ticket_id)
 WHERE f.follows_up_ticket_id = :t AND m.template = 'initial_response';

\set VERBOSITY terse
-- another account's user cannot write to it
SELECT support.post_client_message(:t, :gil, 'not mine');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a message written straight into a closed ticket is refused
INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body)
VALUES (1, :t, 'client_message', :cam, 'client', 'public', 'direct');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS tickets_following_up FROM support.tickets WHERE follows_up_ticket_id = :t;

------------------------------------------------------------------------------
-- Resolved at once, with no reply before: the resolution answered the client
------------------------------------------------------------------------------
SELECT ticket_id AS quick FROM support.open_ticket(1, :cam, 'Where is the invoice?', category => 'account_access') \gset
SELECT (support.change_status(:quick, 'triaged', :tia)).status;
SELECT (support.change_status(:quick, 'in_progress', :tia)).status;
SELECT (support.resolve_ticket(:quick, :tia, 'Question', 'It is under Settings, Billing')).status;
SELECT first_response_at = resolved_at AS by_the_resolution FROM support.tickets WHERE ticket_id = :quick;
-- reopened later: no first-response mark or breach comes back
SELECT support.post_client_message(:quick, :cam, 'Thanks! One more question') > 0 AS posted;
SELECT a.action FROM support.tickets t, support.ticket_actions(t) a
 WHERE t.ticket_id = :quick AND a.action = 'first_response_breach';
