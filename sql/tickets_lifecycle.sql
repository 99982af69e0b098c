-- The lifecycle state machine: every legal and illegal transition, the
-- milestones the trigger owns, and the rules at creation, resolution and rating.
\i sql/include/fixture.sql

CREATE SCHEMA regress;
-- A fresh ticket moved along the canonical path to the given status.
CREATE FUNCTION regress.ticket_in(target support.ticket_status) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    path support.ticket_status[] := CASE target
        WHEN 'new' THEN '{}'
        WHEN 'triaged' THEN '{triaged}'
        WHEN 'in_progress' THEN '{triaged,in_progress}'
        WHEN 'pending_client' THEN '{triaged,in_progress,pending_client}'
        WHEN 'resolved' THEN '{triaged,in_progress,resolved}'
        WHEN 'closed' THEN '{triaged,in_progress,resolved,closed}' END;
    step support.ticket_status;
    id bigint;
BEGIN
    INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority)
    SELECT 1, user_id, 'lifecycle ' || target, 'portal', 'general_inquiry', 'P4'
      FROM support.account_users WHERE email = 'ada@acme.example'
    RETURNING ticket_id INTO id;
    FOREACH step IN ARRAY path LOOP
        UPDATE support.tickets SET status = step, solution = 'fixed' WHERE ticket_id = id;
    END LOOP;
    RETURN id;
END $$;

-- Try one transition; report ok, or the SQLSTATE and message.
CREATE FUNCTION regress.try_move(from_status support.ticket_status, to_status support.ticket_status)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    id bigint := regress.ticket_in(from_status);
BEGIN
    UPDATE support.tickets SET status = to_status WHERE ticket_id = id;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, 'ticket \d+', 'ticket N');
END $$;

-- the full 6 x 6 matrix (same-state updates are not transitions and pass)
SELECT f.s AS from_status, t.s AS to_status, regress.try_move(f.s, t.s) AS result
  FROM unnest(enum_range(NULL::support.ticket_status)) WITH ORDINALITY f(s, fo),
       unnest(enum_range(NULL::support.ticket_status)) WITH ORDINALITY t(s, tob)
 ORDER BY f.fo, t.tob;

-- the error names both states and lists where the ticket can go
SELECT regress.ticket_in('pending_client') AS waiting \gset
UPDATE support.tickets SET status = 'closed' WHERE ticket_id = :waiting;
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- creation: only in status new; milestones written by the trigger, not the client
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority, status)
VALUES (1, :ada, 'born resolved', 'portal', 'general_inquiry', 'P4', 'resolved');
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority, satisfaction_rating)
VALUES (1, :ada, 'pre-rated', 'portal', 'general_inquiry', 'P4', 5);
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority,
                             created_at, resolved_at, first_response_at, reopen_count, paused_total)
VALUES (1, :ada, 'forged milestones', 'portal', 'general_inquiry', 'P4',
        '2001-01-01', '2001-01-02', '2001-01-01 00:01', 7, '5 days')
RETURNING created_at = now() AS created_now, resolved_at, first_response_at, reopen_count, paused_total,
          updated_at = now() AS updated_now;
SELECT ticket_id AS forged FROM support.tickets WHERE subject = 'forged milestones' \gset
UPDATE support.tickets
   SET created_at = '2001-01-01', triaged_at = '2001-01-01', first_response_at = '2001-01-01',
       resolved_at = '2001-01-01', closed_at = '2001-01-01', reopen_count = 9, paused_total = '9 days',
       last_public_reply_at = '2001-01-01', rated_at = '2001-01-01'
 WHERE ticket_id = :forged
RETURNING created_at > '2001-01-02' AS created_kept, triaged_at, first_response_at, resolved_at, closed_at,
          reopen_count, paused_total, last_public_reply_at, rated_at;

-- each transition stamps its milestone
BEGIN;
SELECT regress.ticket_in('new') AS walk \gset
UPDATE support.tickets SET status = 'triaged' WHERE ticket_id = :walk;
UPDATE support.tickets SET status = 'in_progress' WHERE ticket_id = :walk;
UPDATE support.tickets SET status = 'pending_client' WHERE ticket_id = :walk;
SELECT triaged_at = now() AS triaged, work_started_at = now() AS started, pending_since = now() AS pending
  FROM support.tickets WHERE ticket_id = :walk;
COMMIT;
-- time spent pending on the client is added to paused_total when work resumes
SELECT pg_sleep(0.2);
UPDATE support.tickets SET status = 'in_progress' WHERE ticket_id = :walk;
SELECT pending_since IS NULL AS pending_cleared, paused_total >= interval '0.2 s' AS paused_counted,
       paused_total < interval '1 minute' AS paused_plausible
  FROM support.tickets WHERE ticket_id = :walk;

-- resolution requires a solution
UPDATE support.tickets SET status = 'resolved' WHERE ticket_id = :walk;
UPDATE support.tickets SET status = 'resolved', solution = '   ' WHERE ticket_id = :walk;
UPDATE support.tickets SET status = 'resolved', solution = 'Cache flushed' WHERE ticket_id = :walk
RETURNING status, resolved_at = now() AS resolved_now;

-- reopen: counted, resolved_at cleared, reopened_at stamped
UPDATE support.tickets SET status = 'in_progress' WHERE ticket_id = :walk
RETURNING status, resolved_at, reopened_at = now() AS reopened_now, reopen_count;
UPDATE support.tickets SET status = 'resolved' WHERE ticket_id = :walk;
UPDATE support.tickets SET status = 'in_progress' WHERE ticket_id = :walk RETURNING reopen_count;

-- rating only once resolved or closed; rated_at follows the rating
UPDATE support.tickets SET satisfaction_rating = 4 WHERE ticket_id = :walk;
UPDATE support.tickets SET status = 'resolved' WHERE ticket_id = :walk;
UPDATE support.tickets SET satisfaction_rating = 4 WHERE ticket_id = :walk
RETURNING satisfaction_rating, rated_at = now() AS rated_now;
\set VERBOSITY terse
UPDATE support.tickets SET satisfaction_rating = 9 WHERE ticket_id = :walk;
\set VERBOSITY default
UPDATE support.tickets SET status = 'closed' WHERE ticket_id = :walk RETURNING status, closed_at = now() AS closed_now;
UPDATE support.tickets SET satisfaction_rating = NULL WHERE ticket_id = :walk RETURNING satisfaction_rating, rated_at;

-- a failed transition leaves nothing behind: no change, no event
SELECT count(*) AS events_before FROM support.ticket_events WHERE ticket_id = :walk \gset
UPDATE support.tickets SET status = 'triaged' WHERE ticket_id = :walk;
SELECT status, (SELECT count(*) FROM support.ticket_events WHERE ticket_id = :walk) = :events_before AS no_new_events
  FROM support.tickets WHERE ticket_id = :walk;

-- a multi-row UPDATE is checked row by row and fails as a whole
SELECT regress.ticket_in('new') AS a1 \gset
SELECT regress.ticket_in('triaged') AS a2 \gset
UPDATE support.tickets SET status = 'in_progress' WHERE ticket_id IN (:a1, :a2);
SELECT ticket_id = :a1 AS first, status FROM support.tickets WHERE ticket_id IN (:a1, :a2) ORDER BY ticket_id;

-- row_security = off (pg_dump/pg_restore sessions, RLS-exempt roles only):
-- tickets are inserted verbatim and bring their own history
SET row_security = off;
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority, status,
                             created_at, resolved_at, closed_at, solution, reopen_count)
VALUES (1, :ada, 'imported', 'email', 'general_inquiry', 'P4', 'closed',
        '2020-02-02 10:00+00', '2020-02-03 10:00+00', '2020-02-04 10:00+00', 'old fix', 2)
RETURNING status, created_at, resolved_at, closed_at, reopen_count;
RESET row_security;
SELECT count(*) AS events_of_import FROM support.ticket_events e
  JOIN support.tickets t USING (account_id, ticket_id) WHERE t.subject = 'imported';
