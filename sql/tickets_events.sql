-- The case history: server time, first response once, client replies resume
-- a waiting ticket, and nothing can be rewritten.
\i sql/include/fixture.sql

SELECT ticket_id AS t FROM support.open_ticket(1, :cam, 'Report totals off', category => 'reporting') \gset
SELECT (support.change_status(:t, 'triaged', :tia)).ticket_id IS NOT NULL AS triaged;
SELECT (support.change_status(:t, 'in_progress', :tia)).ticket_id IS NOT NULL AS started;

-- a client's message is not a first response
INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body)
VALUES (1, :t, 'client_message', :cam, 'client', 'public', 'Any news?');
SELECT first_response_at FROM support.tickets WHERE ticket_id = :t;
-- nor is an internal note
SELECT support.add_internal_note(:t, :tia, 'checking the ETL') > 0;
SELECT first_response_at FROM support.tickets WHERE ticket_id = :t;

-- an agent's public reply, inserted directly, with a forged time: the
-- server's time is recorded and the first response with it
BEGIN;
INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, created_at)
VALUES (1, :t, 'public_reply', :tia, 'agent', 'public', 'Found it: a timezone bug.', '1999-12-31')
RETURNING created_at = now() AS server_time;
SELECT first_response_at = now() AS first_response_now, last_public_reply_at = now() AS last_reply_now
  FROM support.tickets WHERE ticket_id = :t;
COMMIT;
SELECT first_response_at AS first_response FROM support.tickets WHERE ticket_id = :t \gset
-- a later reply moves the last public reply, never the first response
SELECT pg_sleep(0.05);
SELECT support.reply_publicly(:t, :tia, 'Fix deployed.') > 0 AS replied;
SELECT first_response_at = :'first_response' AS first_kept, last_public_reply_at > first_response_at AS last_moved
  FROM support.tickets WHERE ticket_id = :t;

-- waiting on the client: the client's message resumes work, attributed to the client
SELECT (support.change_status(:t, 'pending_client', :tia)).ticket_id IS NOT NULL AS waiting;
SELECT support.post_client_message(:t, :cam, 'Confirmed on our side.') > 0 AS answered;
SELECT status, pending_since FROM support.tickets WHERE ticket_id = :t;
SELECT kind, actor_kind, actor_id = :cam AS by_client, old_value, new_value
  FROM support.ticket_events WHERE ticket_id = :t ORDER BY event_id DESC LIMIT 2;

-- bad events (terse: the failing row shows the event time)
\set VERBOSITY terse
INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_kind, visibility, body)
VALUES (1, :t, 'public_reply', 'agent', 'public', '  ');
INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_kind, visibility, body)
VALUES (2, :t, 'internal_note', 'agent', 'internal', 'wrong account for this ticket');
INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_kind, visibility, body)
VALUES (1, :t, 'gossip', 'agent', 'internal', 'no such kind');

\set VERBOSITY default
-- append-only, for every role including the owner
UPDATE support.ticket_events SET body = 'rewritten' WHERE ticket_id = :t;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM support.ticket_events WHERE ticket_id = :t;
TRUNCATE support.ticket_events;
SELECT count(*) > 0 AS history_intact, bool_and(body IS DISTINCT FROM 'rewritten') AS unchanged
  FROM support.ticket_events WHERE ticket_id = :t;
-- and tickets with history cannot be deleted from under it
DELETE FROM support.tickets WHERE ticket_id = :t;

-- a bulk insert logs one created event per ticket, in one statement
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority)
SELECT 1, :cam, 'bulk ' || i, 'api', 'general_inquiry', 'P4' FROM generate_series(1, 50) i;
SELECT count(*) AS created_events, count(DISTINCT ticket_id) AS tickets
  FROM support.ticket_events e JOIN support.tickets t USING (account_id, ticket_id)
 WHERE t.subject LIKE 'bulk %' AND e.kind = 'created';
-- a bulk update logs each change, attributed to the actor set for the transaction
BEGIN;
SELECT support.set_actor(:tia, 'morning triage');
UPDATE support.tickets SET status = 'triaged', tier = 2 WHERE subject LIKE 'bulk %';
COMMIT;
SELECT kind, actor_kind, body, old_value, new_value, count(*)
  FROM support.ticket_events e JOIN support.tickets t USING (account_id, ticket_id)
 WHERE t.subject LIKE 'bulk %' AND e.kind <> 'created'
 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1;
