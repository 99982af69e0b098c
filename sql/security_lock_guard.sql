-- Nobody but a superuser holds the desk's tables or rows by hand, and no
-- such session prepares a transaction that touched them: a prepared
-- transaction keeps its locks past its session and a restart. (LOCK TABLE
-- and FOR UPDATE are attacked group by group in test/pgtap/security_attacks.sql;
-- PREPARE TRANSACTION ends a transaction, so it is tested here.)
\i sql/include/fixture.sql
SET support.auto_assign = off;
SET client_min_messages = warning;
DROP ROLE IF EXISTS lock_guard_client;
DROP TABLE IF EXISTS two_phase_elsewhere;
RESET client_min_messages;
CREATE ROLE lock_guard_client LOGIN IN ROLE support_client;
CREATE TABLE two_phase_elsewhere (note text);
GRANT INSERT ON two_phase_elsewhere TO lock_guard_client;
GRANT USAGE ON SCHEMA public TO lock_guard_client;
SELECT support.issue_key(:ada) AS k_ada \gset
SELECT ticket_id AS t FROM support.open_ticket(1, :ada, 'Pixel down', 'Since Monday', 'portal', 'reporting') \gset

------------------------------------------------------------------------------
-- A client's transaction that read or changed the desk cannot be prepared
------------------------------------------------------------------------------
SET SESSION AUTHORIZATION lock_guard_client;
BEGIN;
SELECT set_config('support.auth_key', :'k_ada', true) IS NOT NULL AS keyed;
SELECT count(*) AS tickets FROM support.tickets;
PREPARE TRANSACTION 'held_by_a_client';
-- (the transaction is rolled back: nothing was prepared)
SELECT count(*) AS prepared FROM pg_prepared_xacts;

-- the same through a workflow function, which locks the ticket as the owner
BEGIN;
SELECT set_config('support.auth_key', :'k_ada', true) IS NOT NULL AS keyed;
SELECT support.post_client_message(:t, :ada, 'Any news?') IS NOT NULL AS posted;
PREPARE TRANSACTION 'held_through_the_workflow';
SELECT count(*) AS prepared FROM pg_prepared_xacts;
-- and the message it posted was rolled back with it
RESET SESSION AUTHORIZATION;
SELECT count(*) AS client_messages FROM support.ticket_events WHERE ticket_id = :t AND kind = 'client_message';

------------------------------------------------------------------------------
-- Two-phase commit of other tables is the session's own business
------------------------------------------------------------------------------
SET SESSION AUTHORIZATION lock_guard_client;
BEGIN;
INSERT INTO two_phase_elsewhere VALUES ('a transfer in two phases');
PREPARE TRANSACTION 'elsewhere';
RESET SESSION AUTHORIZATION;
SELECT gid FROM pg_prepared_xacts;
COMMIT PREPARED 'elsewhere';
SELECT note FROM two_phase_elsewhere;

------------------------------------------------------------------------------
-- A superuser may prepare what it chooses (and must finish it)
------------------------------------------------------------------------------
BEGIN;
LOCK TABLE support.tickets IN ROW EXCLUSIVE MODE;
PREPARE TRANSACTION 'a_dba_s';
SELECT gid FROM pg_prepared_xacts;
ROLLBACK PREPARED 'a_dba_s';

DROP TABLE two_phase_elsewhere;
REVOKE USAGE ON SCHEMA public FROM lock_guard_client;
DROP ROLE lock_guard_client;
