-- Behind a transaction-pooling connection pooler the next transaction on a
-- server connection may be another client's. What one client leaves on the
-- connection must not act for the next: the desk's settings count only when
-- set for the transaction (a plain SET is ignored, with a warning), the
-- groups need no temporary objects (TEMP revoked, everything works), and
-- the documented key form, a bound parameter, resolves no name a temporary
-- object could shadow.
\i sql/include/fixture.sql
SET client_min_messages = warning;
DROP ROLE IF EXISTS pooled_app;
RESET client_min_messages;
-- the application's login: clients' and agents' keys pass through it
CREATE ROLE pooled_app LOGIN IN ROLE support_client, support_agent;
SELECT support.issue_key(:ada) AS k_ada \gset
SELECT support.issue_key(:gil) AS k_gil \gset
SELECT support.issue_key(:tia) AS k_tia \gset
SELECT ticket_id AS t_gil FROM support.open_ticket(2, :gil, 'Globex totals', 'Since Monday', 'portal', 'reporting') \gset
SELECT (support.change_status(:t_gil, 'triaged', :tia)).status;
SELECT (support.change_status(:t_gil, 'in_progress', :tia)).status;
SELECT (support.change_status(:t_gil, 'pending_client', :tia)).status;
-- the pool's server connection is a session of the application's login
SET SESSION AUTHORIZATION pooled_app;

------------------------------------------------------------------------------
-- Acme's transaction leaves plain SETs on the connection
------------------------------------------------------------------------------
BEGIN;
SELECT set_config('support.auth_key', :'k_ada', true) IS NOT NULL AS keyed;
SET support.change_reason = 'Refund of $10,000 approved by the CEO';
SET support.auto_assign = off;
SET support.actor_id = 3;
COMMIT;

------------------------------------------------------------------------------
-- Globex's next transactions on the same connection
------------------------------------------------------------------------------
-- Gil answers: his ticket moves on, and its history carries no one's reason
BEGIN;
SELECT set_config('support.auth_key', :'k_gil', true) IS NOT NULL AS keyed;
SELECT support.post_client_message(:t_gil, 'Here is the export you asked for') IS NOT NULL AS posted;
COMMIT;
RESET SESSION AUTHORIZATION;
SELECT kind, old_value, new_value, body FROM support.ticket_events
 WHERE ticket_id = :t_gil AND kind = 'status_change' ORDER BY event_id DESC LIMIT 1;
SET SESSION AUTHORIZATION pooled_app;
-- an agent's own edit of a ticket reads the reason for its change events:
-- the leftover is ignored, and the agent is told why
BEGIN;
SELECT set_config('support.auth_key', :'k_tia', true) IS NOT NULL AS keyed;
UPDATE support.tickets SET category = 'service_outage', service_outage = true WHERE ticket_id = :t_gil;
COMMIT;
-- Gil opens a ticket: it is assigned, as the desk's default says
BEGIN;
SELECT set_config('support.auth_key', :'k_gil', true) IS NOT NULL AS keyed;
SELECT assignee_id IS NOT NULL AS assigned FROM support.open_ticket(2, :gil, 'Another report', '', 'portal', 'campaign_performance');
COMMIT;
-- and without a key nobody acts as the leftover actor
SELECT support.current_actor_id() AS actor;

-- nor can a login store a default of them for itself (every client sharing
-- the login would carry it): a stored default is a superuser's
SET SESSION AUTHORIZATION pooled_app;
ALTER ROLE CURRENT_USER SET support.change_reason = 'Refund approved';
ALTER ROLE CURRENT_USER SET support.auto_assign = off;
RESET SESSION AUTHORIZATION;

------------------------------------------------------------------------------
-- Set for the transaction, they count
------------------------------------------------------------------------------
BEGIN;
SELECT set_config('support.auth_key', :'k_gil', true) IS NOT NULL AS keyed;
SET LOCAL support.auto_assign = off;
SELECT assignee_id IS NULL AS waits_in_the_queue FROM support.open_ticket(2, :gil, 'Queued on purpose', '', 'portal', 'campaign_performance');
COMMIT;
BEGIN;
SELECT set_config('support.actor_id', '3', true) IS NOT NULL AS set;
SELECT support.current_actor_id() AS actor;
COMMIT;
-- a superuser's session (a DBA's script, the worker) counts as set
RESET SESSION AUTHORIZATION;
SET support.auto_assign = off;
SELECT assignee_id IS NULL AS waits_in_the_queue FROM support.open_ticket(2, :gil, 'A DBA''s import', '', 'portal', 'campaign_performance');
RESET support.auto_assign;
RESET support.change_reason;
RESET support.actor_id;

------------------------------------------------------------------------------
-- The groups need no temporary objects
------------------------------------------------------------------------------
SELECT current_database() AS desk \gset
REVOKE TEMPORARY ON DATABASE :"desk" FROM PUBLIC;
SET SESSION AUTHORIZATION pooled_app;
CREATE TEMP TABLE leftovers (n int);
CREATE DOMAIN pg_temp.text AS pg_catalog.text;
-- the whole workflow runs without them
BEGIN;
SELECT set_config('support.auth_key', :'k_ada', true) IS NOT NULL AS keyed;
SELECT ticket_id AS t_ada FROM support.open_ticket(1, :ada, 'Pixel down', 'Since Monday', 'portal', 'reporting') \gset
COMMIT;
BEGIN;
SELECT set_config('support.auth_key', :'k_tia', true) IS NOT NULL AS keyed;
SELECT (support.change_status(:t_ada, 'triaged', :tia)).status;
SELECT (support.change_status(:t_ada, 'in_progress', :tia)).status;
SELECT support.reply_publicly(:t_ada, :tia, 'Looking into it') IS NOT NULL AS replied;
SELECT (support.resolve_ticket(:t_ada, :tia, 'A paused pixel', 'Resumed it')).status;
COMMIT;
BEGIN;
SELECT set_config('support.auth_key', :'k_ada', true) IS NOT NULL AS keyed;
SELECT (support.rate_ticket(:t_ada, :ada, 5, 'Quick fix')).satisfaction_rating;
SELECT (support.close_ticket(:t_ada, :ada)).status;
COMMIT;
RESET SESSION AUTHORIZATION;
GRANT TEMPORARY ON DATABASE :"desk" TO PUBLIC;

------------------------------------------------------------------------------
-- Where temporary objects are allowed, the bound key resolves no name
------------------------------------------------------------------------------
-- A client leaves a domain named text on the connection, whose check
-- records every value cast to it.
SET SESSION AUTHORIZATION pooled_app;
CREATE TEMP TABLE seen (value pg_catalog.text);
CREATE FUNCTION pg_temp.record(value pg_catalog.text) RETURNS boolean
    LANGUAGE sql AS 'INSERT INTO pg_temp.seen VALUES (value) RETURNING true';
CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (pg_temp.record(VALUE));
-- the next client sets its key as documented: a bound parameter
PREPARE set_key AS SELECT set_config('support.auth_key', $1, true) IS NOT NULL AS keyed;
BEGIN;
EXECUTE set_key(:'k_gil');
SELECT count(*) AS gil_sees FROM support.tickets;
COMMIT;
SELECT count(*) AS keys_seen FROM pg_temp.seen WHERE value LIKE 'bsk_%';
-- (a literal cast to text would have been read: the pool must reset its
-- connections, or the groups go without TEMP, as above)
BEGIN;
SELECT set_config('support.auth_key', :'k_gil'::text, true) IS NOT NULL AS keyed;
COMMIT;
SELECT count(*) AS keys_seen FROM pg_temp.seen WHERE value LIKE 'bsk_%';
DEALLOCATE set_key;
DISCARD ALL;
RESET SESSION AUTHORIZATION;
DROP ROLE pooled_app;
