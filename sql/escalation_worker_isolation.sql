-- The escalation worker's batch, isolated per ticket and fair across
-- accounts: every account's most urgent due ticket first, a ticket whose
-- action fails set aside (support.action_failures) while the others go on,
-- retried with a backoff, the managers told when it keeps failing, and
-- back to normal once it succeeds; a batch bounded in time.
\i sql/include/fixture.sql
SET timezone = 'UTC';
SET support.auto_assign = off;

INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Initech', 'UTC', 1), ('Umbrella', 'UTC', 1);
SELECT account_id AS initech FROM support.accounts WHERE name = 'Initech' \gset
SELECT account_id AS umbrella FROM support.accounts WHERE name = 'Umbrella' \gset
INSERT INTO support.account_users (account_id, email, full_name, role) VALUES
  (:initech, 'ivy@initech.example', 'Ivy Initech', 'admin'),
  (:umbrella, 'una@umbrella.example', 'Una Umbrella', 'admin');
SELECT user_id AS ivy FROM support.account_users WHERE email = 'ivy@initech.example' \gset
SELECT user_id AS una FROM support.account_users WHERE email = 'una@umbrella.example' \gset
INSERT INTO support.agents (email, full_name, tier, skills, on_shift, is_support_manager) VALUES
  ('tara@bedrock.example', 'Tara Tier-Two', 2, '{campaign_management}', true, false),
  ('mona@bedrock.example', 'Mona Manager', 3, '{}', true, true);

CREATE FUNCTION new_ticket(account bigint, requester bigint, subject text, priority support.priority)
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority)
    VALUES (account, requester, subject, 'email', 'campaign_performance', priority) RETURNING ticket_id
$$;
-- Initech has three P1s due, Umbrella one: all at about the same mark
SELECT new_ticket(:initech, :ivy, 'First outage', 'P1') AS a1 \gset
SELECT new_ticket(:initech, :ivy, 'Second outage', 'P1') AS a2 \gset
SELECT new_ticket(:initech, :ivy, 'Third outage', 'P1') AS a3 \gset
SELECT new_ticket(:umbrella, :una, 'Umbrella outage', 'P1') AS b1 \gset
SELECT max(escalation_due) AS mark FROM support.tickets \gset
-- about the same mark for all four (they were opened one after the other)
SELECT max(escalation_due) - min(escalation_due) < interval '1 second' AS same_mark FROM support.tickets;
CREATE TABLE names (ticket_id bigint, name text);
INSERT INTO names VALUES (:a1, 'a1'), (:a2, 'a2'), (:a3, 'a3'), (:b1, 'b1');
CREATE FUNCTION escalated() RETURNS TABLE (ticket text, tier smallint)
LANGUAGE sql AS $$
    SELECT n.name, t.tier FROM support.tickets t JOIN names n USING (ticket_id)
     WHERE t.escalated_at IS NOT NULL ORDER BY 1
$$;

------------------------------------------------------------------------------
-- In turns: a batch of two takes each account's first due ticket
------------------------------------------------------------------------------

SELECT * FROM support.run_due_actions(:'mark', 2);
SELECT * FROM escalated();

------------------------------------------------------------------------------
-- One ticket's action fails: it is set aside, the others go on
------------------------------------------------------------------------------

-- (a DBA's constraint refuses every event of ticket a2)
ALTER TABLE support.ticket_events ADD CONSTRAINT no_events_for_a2 CHECK (ticket_id <> :a2) NOT VALID;
SELECT * FROM support.run_due_actions(:'mark', 10);
SELECT * FROM escalated();
SELECT action, attempts, error_code, error, retry_at - last_failed_at AS retry_after, managers_told_at IS NOT NULL AS told
  FROM support.action_failures WHERE ticket_id = :a2;
-- nothing of its failed escalation stayed behind
SELECT count(*) AS a2_events FROM support.ticket_events WHERE ticket_id = :a2 AND kind <> 'created';
-- the worker wakes for its retry, not before
SELECT support.next_action_time() - :'mark'::timestamptz AS next_after_mark;

-- before the retry it is left alone
SELECT * FROM support.run_due_actions(:'mark'::timestamptz + interval '5 seconds', 10);
-- each failure doubles the wait
SELECT * FROM support.run_due_actions(:'mark'::timestamptz + interval '10 seconds', 10);
SELECT attempts, retry_at - last_failed_at AS retry_after, managers_told_at IS NOT NULL AS told
  FROM support.action_failures WHERE ticket_id = :a2;
-- the third failure tells the managers, once: an email to each and an alert
SELECT * FROM support.run_due_actions(:'mark'::timestamptz + interval '30 seconds', 10);
SELECT attempts, retry_at - last_failed_at AS retry_after, managers_told_at IS NOT NULL AS told
  FROM support.action_failures WHERE ticket_id = :a2;
SELECT destination, target, subject, payload->>'kind' AS kind FROM support.outbound_messages
 WHERE payload->>'kind' = 'worker_failure' ORDER BY message_id;
SELECT * FROM support.run_due_actions(:'mark'::timestamptz + interval '70 seconds', 10);
SELECT count(*) AS told_again FROM support.outbound_messages WHERE payload->>'kind' = 'worker_failure';

-- the cause removed, the next pass acts and forgets the failure
ALTER TABLE support.ticket_events DROP CONSTRAINT no_events_for_a2;
SELECT * FROM support.run_due_actions(:'mark'::timestamptz + interval '150 seconds', 10);
SELECT * FROM escalated();
SELECT count(*) AS failures FROM support.action_failures;

------------------------------------------------------------------------------
-- A batch bounded in time starts no ticket after its time (but always one)
------------------------------------------------------------------------------

SELECT new_ticket(:initech, :ivy, 'Fourth outage', 'P1') AS a4 \gset
SELECT new_ticket(:umbrella, :una, 'Second Umbrella outage', 'P1') AS b2 \gset
SELECT max(escalation_due) AS mark2 FROM support.tickets WHERE ticket_id IN (:a4, :b2) \gset
SELECT * FROM support.run_due_actions(:'mark2', 10, interval '0 seconds');
SELECT * FROM support.run_due_actions(:'mark2', 10, interval '0 seconds');
SELECT * FROM support.run_due_actions(:'mark2', 10, interval '0 seconds');

------------------------------------------------------------------------------
-- The holders of a row: none but this session (which is never counted)
------------------------------------------------------------------------------

BEGIN;
SELECT ctid AS row_id FROM support.tickets WHERE ticket_id = :a1 FOR UPDATE \gset
SELECT support.row_locker_pids('support.tickets', :'row_id');
ROLLBACK;
SELECT support.row_locker_pids('support.tickets', '(0,1)');
SELECT support.row_locker_pids('support.tickets', '(999999,1)');
SELECT support.row_locker_pids('pg_class', '(0,1)');
SELECT support.row_locker_pids(NULL, '(0,1)');
SELECT support.end_ticket_holders(now());
