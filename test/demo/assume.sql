-- The handbook's super-user role assumption, as the platform would drive it:
-- the login service issues keys (a super user's only with the authenticator's
-- code), the support console assumes a client's Reporting Manager, is refused
-- a write, releases, and a support manager reads the audit trail.
\set QUIET on
SET client_min_messages = warning;
DO $$
DECLARE
    login_role text;
BEGIN
    FOREACH login_role IN ARRAY ARRAY['demo_login_service', 'demo_support_console', 'demo_manager_console'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login_role) THEN
            EXECUTE format('CREATE ROLE %I LOGIN', login_role);
        END IF;
    END LOOP;
END $$;
GRANT support_login TO demo_login_service;
GRANT support_super_user, support_client TO demo_support_console;
GRANT support_manager TO demo_manager_console;
-- what a statement did, or why it was refused
CREATE FUNCTION pg_temp.outcome(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    affected bigint;
BEGIN
    EXECUTE statement;
    GET DIAGNOSTICS affected = ROW_COUNT;
    RETURN format('%s rows changed', affected);
EXCEPTION WHEN OTHERS THEN
    RETURN 'refused: ' || SQLERRM;
END $$;

INSERT INTO support.agents (email, full_name, tier, skills, is_super_user, on_shift)
VALUES ('omar.super@bedrock.example', 'Omar Haddad', 2, '{api_integration,data_analysis}', true, true);
SELECT agent_id AS omar FROM support.agents WHERE email = 'omar.super@bedrock.example' \gset
SELECT agent_id AS grace FROM support.agents WHERE email = 'grace.lead@bedrock.example' \gset
SELECT user_id AS mia, account_id AS kestrel FROM support.account_users WHERE email = 'mia.berichte@kestrel.example' \gset

\echo
\echo '== Role assumption: Omar (super user) looks at Kestrel exactly as its Reporting Manager, Mia, does'
-- the login service enrols Omar's authenticator and issues keys; Omar's carries the code he typed
SET ROLE demo_login_service;
SELECT support.enroll_totp(:omar) AS omar_secret \gset
SELECT support.issue_key(:omar, '8 hours', support.totp(:'omar_secret'::bytea)) AS omar_key \gset
SELECT support.issue_key(:grace, '8 hours') AS grace_key \gset
RESET ROLE;
\echo 'the login service issued Omar a key after checking his authenticator code (RFC 6238)'

-- 1. list accounts and users
BEGIN;
SET LOCAL ROLE demo_support_console;
SET LOCAL support.auth_key = :'omar_key';
\set QUIET off
SELECT account_name, sensitive, count(*) AS users, string_agg(full_name || ' (' || role || ')', ', ' ORDER BY role) AS who
  FROM support.list_accounts_and_users() GROUP BY account_name, sensitive ORDER BY account_name;
\set QUIET on
COMMIT;

-- 2. Kestrel is sensitive: without a manager's approval the assumption is refused
\echo 'Omar asks to assume Mia Schulz (Kestrel, Reporting Manager):'
BEGIN;
SET LOCAL ROLE demo_support_console;
SET LOCAL support.auth_key = :'omar_key';
\set QUIET off
SELECT pg_temp.outcome(format('SELECT support.assume_user_role(%s, %L)', :mia,
                              'Ticket about the Kestrel revenue report: see what Mia sees')) AS assume_mia;
\set QUIET on
COMMIT;
BEGIN;
SET LOCAL ROLE demo_manager_console;
SET LOCAL support.auth_key = :'grace_key';
SELECT support.approve_assumption(:kestrel, :omar, 'Kestrel revenue report discrepancy; Mia asked for help') AS approval \gset
COMMIT;
\echo 'Grace Hopper-Lee (support manager) records her approval; Omar asks again:'
BEGIN;
SET LOCAL ROLE demo_support_console;
SET LOCAL support.auth_key = :'omar_key';
SELECT auth_key AS mia_key, full_name, role, account_name, idle_timeout
  FROM support.assume_user_role(:mia, 'Ticket about the Kestrel revenue report: see what Mia sees') \gset
COMMIT;
\echo 'Omar now holds a temporary key for' :full_name '(' :role 'of' :account_name '), released after' :idle_timeout 'idle'

-- 3. acting as Mia: her view, her permissions only
BEGIN;
SET LOCAL ROLE demo_support_console;
SET LOCAL support.auth_key = :'mia_key';
\set QUIET off
SELECT support.current_user_id() AS acting_as, support.current_assumed_by() AS assumed_by,
       (SELECT count(*) FROM support.tickets) AS tickets_visible,
       (SELECT count(*) FROM support.ticket_events WHERE visibility = 'internal') AS internal_notes_visible,
       (SELECT count(DISTINCT account_id) FROM support.tickets) AS accounts_visible;
\set QUIET on
\echo 'as Mia, Omar tries to write (a Reporting Manager is read-only):'
\set QUIET off
SELECT 'UPDATE support.tickets SET subject = ...' AS attempt,
       pg_temp.outcome($q$UPDATE support.tickets SET subject = subject || ' (edited)'$q$) AS outcome
UNION ALL
SELECT 'support.post_client_message(...)',
       pg_temp.outcome($q$SELECT support.post_client_message((SELECT min(ticket_id) FROM support.tickets),
                       support.current_user_id(), 'Posting a message as Mia')$q$);
\set QUIET on
COMMIT;

-- 4. release, and the key is dead
BEGIN;
SET LOCAL ROLE demo_support_console;
SET LOCAL support.auth_key = :'omar_key';
SELECT assumed_user_id AS released_user FROM support.release_user_role() \gset
COMMIT;
BEGIN;
SET LOCAL ROLE demo_support_console;
SET LOCAL support.auth_key = :'mia_key';
\set QUIET off
SELECT pg_temp.outcome('SELECT count(*) FROM support.tickets') AS "Mia's temporary key after release_user_role()";
\set QUIET on
COMMIT;

-- 5. the audit trail, as the support manager reads it
\echo '== The audit trail (support.assumption_audit, append-only), read by the support manager'
BEGIN;
SET LOCAL ROLE demo_manager_console;
SET LOCAL support.auth_key = :'grace_key';
\set QUIET off
SELECT audit_id, to_char(occurred_at, 'HH24:MI:SS.MS') AS at, action,
       (SELECT full_name FROM support.agents WHERE agent_id = a.assumed_by) AS super_user,
       (SELECT full_name FROM support.account_users u WHERE u.user_id = a.assumed_user_id) AS acting_as,
       COALESCE(a.justification, a.details ->> 'reason') AS why
  FROM support.assumption_audit a ORDER BY audit_id;
\set QUIET on
COMMIT;
\set QUIET off
SELECT pg_temp.outcome('DELETE FROM support.assumption_audit') AS "the owner deleting the audit trail";
