-- Who sees what: every role x every table x every command, then the attacks.
-- Each attempt runs as an application login role (granted one of the
-- extension's groups) with a key, in a subtransaction that is always undone.
BEGIN;
SET client_min_messages = warning;
SET LOCAL support.auto_assign = off;

------------------------------------------------------------------------------
-- The cast
------------------------------------------------------------------------------
INSERT INTO support.accounts (name, time_zone, calendar_id, sensitive)
VALUES ('Acme Ads', 'America/New_York', 2, false), ('Globex', 'Europe/Berlin', 2, false),
       ('Vault Bank', 'Europe/London', 2, true);
SELECT account_id AS acme FROM support.accounts WHERE name = 'Acme Ads' \gset
SELECT account_id AS globex FROM support.accounts WHERE name = 'Globex' \gset
SELECT account_id AS vault FROM support.accounts WHERE name = 'Vault Bank' \gset
INSERT INTO support.account_users (account_id, email, full_name, role) VALUES
  (:acme, 'ada@acme.example', 'Ada Admin', 'admin'),
  (:acme, 'cam@acme.example', 'Cam Campaigns', 'campaign_manager'),
  (:acme, 'rex@acme.example', 'Rex Reports', 'reporting_manager'),
  (:globex, 'gil@globex.example', 'Gil Globex', 'admin'),
  (:vault, 'val@vault.example', 'Val Vault', 'campaign_manager');
SELECT user_id AS ada FROM support.account_users WHERE email = 'ada@acme.example' \gset
SELECT user_id AS cam FROM support.account_users WHERE email = 'cam@acme.example' \gset
SELECT user_id AS rex FROM support.account_users WHERE email = 'rex@acme.example' \gset
SELECT user_id AS gil FROM support.account_users WHERE email = 'gil@globex.example' \gset
SELECT user_id AS val FROM support.account_users WHERE email = 'val@vault.example' \gset
INSERT INTO support.agents (email, full_name, tier, skills, on_shift, is_super_user, is_support_manager) VALUES
  ('tia@bedrock.example', 'Tia Tier-One', 1, '{reporting}', true, false, false),
  ('sue@bedrock.example', 'Sue Super', 2, '{api_integration}', true, true, false),
  ('sid@bedrock.example', 'Sid Second-Super', 2, '{api_integration}', true, true, false),
  ('max@bedrock.example', 'Max Manager', 3, '{infrastructure}', true, false, true);
SELECT agent_id AS tia FROM support.agents WHERE email = 'tia@bedrock.example' \gset
SELECT agent_id AS sue FROM support.agents WHERE email = 'sue@bedrock.example' \gset
SELECT agent_id AS sid FROM support.agents WHERE email = 'sid@bedrock.example' \gset
SELECT agent_id AS max FROM support.agents WHERE email = 'max@bedrock.example' \gset

-- tickets: Acme's at tier 1 and tier 3, Globex's at tier 1
SELECT ticket_id AS t_acme FROM support.open_ticket(:acme, :ada, 'Spend report shows zero', 'Since Monday', 'portal', 'reporting') \gset
SELECT ticket_id AS t_acme_bug FROM support.open_ticket(:acme, :ada, 'Bulk editor crashes', '', 'portal', 'platform_bug') \gset
SELECT ticket_id AS t_globex FROM support.open_ticket(:globex, :gil, 'Globex report totals', '', 'portal', 'reporting') \gset
SELECT support.add_internal_note(:t_acme, :tia, 'Client''s pixel looks misconfigured');
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret)
VALUES ('jira', 'webhook', 'http://127.0.0.1:9/hook', 'whsec_do_not_leak_me');

-- application login roles, one per group; the console acts for super users
CREATE ROLE app_client LOGIN IN ROLE support_client;
CREATE ROLE app_agent LOGIN IN ROLE support_agent;
CREATE ROLE app_manager LOGIN IN ROLE support_manager;
CREATE ROLE app_super LOGIN IN ROLE support_super_user;
CREATE ROLE app_console LOGIN IN ROLE support_super_user, support_client;
CREATE ROLE app_login LOGIN IN ROLE support_login;
CREATE ROLE app_nobody LOGIN;

SET LOCAL ROLE app_login;
SELECT support.issue_key(:ada) AS k_ada \gset
SELECT support.issue_key(:cam) AS k_cam \gset
SELECT support.issue_key(:rex) AS k_rex \gset
SELECT support.issue_key(:gil) AS k_gil \gset
SELECT support.issue_key(:tia) AS k_tia \gset
SELECT support.issue_key(:max) AS k_max \gset
SELECT support.issue_key(:sid) AS k_sid_no_mfa \gset
SELECT support.enroll_totp(:sue) AS sue_secret \gset
RESET ROLE;
SELECT support.totp(:'sue_secret'::bytea) AS sue_code \gset
SET LOCAL ROLE app_login;
SELECT support.issue_key(:sue, '8 hours', :'sue_code') AS k_sue \gset
RESET ROLE;
-- a second manager approves Sue for the sensitive account later
INSERT INTO support.agents (email, full_name, tier, is_support_manager) VALUES ('mia@bedrock.example', 'Mia Manager', 3, true);
SELECT agent_id AS mia FROM support.agents WHERE email = 'mia@bedrock.example' \gset
SET LOCAL ROLE app_login;
SELECT support.issue_key(:mia) AS k_mia \gset
RESET ROLE;

-- Runs statement as who with key, always undone; the rows it saw or changed
-- ('none' for zero), 'denied' (42501) or 'integrity' (a constraint refused
-- what the policies let through).
\ir include/as_role.sql

CREATE FUNCTION pg_temp.attempt(who text, auth_key text, statement text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    affected bigint;
    outcome text;
BEGIN
    BEGIN
        PERFORM set_config('role', who, true);
        PERFORM set_config('support.auth_key', COALESCE(auth_key, ''), true);
        EXECUTE statement;
        GET DIAGNOSTICS affected = ROW_COUNT;
        outcome := CASE WHEN affected = 0 THEN 'none' ELSE affected::text END;
        RAISE EXCEPTION 'undo' USING ERRCODE = 'BRK01';
    EXCEPTION
        WHEN SQLSTATE 'BRK01' THEN NULL;
        WHEN insufficient_privilege THEN outcome := 'denied';
        WHEN integrity_constraint_violation THEN outcome := 'integrity';
    END;
    RETURN outcome;
END $$;



------------------------------------------------------------------------------
-- The matrix. Expected: 'denied', 'none', 'integrity', 'all' (what the
-- owner's own attempt gives) or '=<SQL>' (a count the owner computes).
------------------------------------------------------------------------------
CREATE TEMP TABLE probes (table_name text, command text, statement text);
INSERT INTO probes VALUES
  ('tiers', 'insert', $$INSERT INTO support.tiers (tier, name, initial_response) VALUES (3, 'Probe', '1 hour')$$),
  ('sla_policies', 'insert', $$INSERT INTO support.sla_policies (priority, name, response_target, resolution_target, update_cadence, update_cadence_unit, clock) VALUES ('P1', 'Probe', '1 hour', '1 day', '1 hour', 'elapsed', '24x7')$$),
  ('categories', 'insert', $$INSERT INTO support.categories (category, name, default_priority, default_tier, required_skill) VALUES ('probe', 'Probe', 'P4', 1, 'probing')$$),
  ('channels', 'insert', $$INSERT INTO support.channels (channel, name, hours) VALUES ('probe', 'Probe', '24x7')$$),
  ('calendar', 'insert', $$INSERT INTO support.calendar (name, hours) VALUES ('Probe calendar', '24x7')$$),
  ('internal_channels', 'insert', $$INSERT INTO support.internal_channels (name, purpose) VALUES ('#probe', 'probing')$$),
  ('templates', 'insert', $$INSERT INTO support.templates (template, name, subject, body) VALUES ('probe', 'Probe', 'S', 'B')$$),
  ('troubleshooting_steps', 'insert', $$INSERT INTO support.troubleshooting_steps (step, name, time_box) VALUES (99, 'Probe', '1 hour')$$),
  ('triage_rules', 'insert', $$INSERT INTO support.triage_rules (position, name, priority) VALUES (999, 'probe', 'P4')$$),
  ('slack_routes', 'insert', $$INSERT INTO support.slack_routes (route, channel) VALUES ('probe', '#probe')$$),
  ('delivery_endpoints', 'insert', $$INSERT INTO support.delivery_endpoints (endpoint, destination, url) VALUES ('probe', 'webhook', 'http://127.0.0.1:9/')$$),
  ('accounts', 'insert', $$INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Probe', 'UTC', 2)$$),
  ('account_users', 'insert', format($$INSERT INTO support.account_users (account_id, email, full_name, role) VALUES (%s, 'probe@acme.example', 'Probe', 'campaign_manager')$$, :acme)),
  ('agents', 'insert', $$INSERT INTO support.agents (email, full_name, tier) VALUES ('probe@bedrock.example', 'Probe', 1)$$),
  ('tickets', 'insert', format($$INSERT INTO support.tickets (account_id, requester_id, subject, channel, category) VALUES (%s, %s, 'Probe', 'portal', 'reporting')$$, :acme, :cam)),
  -- each group writes the events of its own kind of actor: a client's message, a staff note
  ('ticket_events', 'insert', format($$INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body) VALUES (%s, %s, CASE support.current_key_kind() WHEN 'client' THEN 'client_message' ELSE 'internal_note' END::support.event_kind, support.current_user_id(), CASE support.current_key_kind() WHEN 'client' THEN 'client' ELSE 'agent' END::support.actor_kind, CASE support.current_key_kind() WHEN 'client' THEN 'public' ELSE 'internal' END::support.visibility, 'probe')$$, :acme, :t_acme)),
  ('sla_events', 'insert', format($$INSERT INTO support.sla_events (account_id, ticket_id, target, kind) VALUES (%s, %s, 'resolution', 'breached')$$, :acme, :t_acme)),
  ('outbound_messages', 'insert', format($$INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body) VALUES (%s, %s, 'email', 'probe@acme.example', 'S', 'B')$$, :acme, :t_acme)),
  ('auth_keys', 'insert', format($$INSERT INTO support.auth_keys (key_hash, user_id, expires_at) VALUES (support.auth_key_hash('forged'), %s, now() + interval '1 day')$$, :sue)),
  ('staff_totp', 'insert', format($$INSERT INTO support.staff_totp (agent_id, secret) VALUES (%s, '\x00112233445566778899')$$, :tia)),
  ('assumption_policy', 'insert', $$INSERT INTO support.assumption_policy DEFAULT VALUES$$),
  ('assumption_approvals', 'insert', format($$INSERT INTO support.assumption_approvals (account_id, super_user_id, approved_by, reason, valid_until) VALUES (%s, %s, %s, 'self-approved', now() + interval '1 day')$$, :vault, :sue, :max)),
  ('assumption_audit', 'insert', format($$INSERT INTO support.assumption_audit (account_id, action, assumed_by) VALUES (%s, 'released', %s)$$, :acme, :sue)),
  ('agent_load_changes', 'insert', format($$INSERT INTO support.agent_load_changes (agent_id, open_tickets) VALUES (%s, -1000)$$, :tia)),
  ('shared_endpoint_hosts', 'insert', $$INSERT INTO support.shared_endpoint_hosts (host) VALUES ('probe.example')$$),
  ('action_failures', 'insert', format($$INSERT INTO support.action_failures (account_id, ticket_id, action, due, first_failed_at, last_failed_at, retry_at, error_code, error) VALUES (%s, %s, 'follow_up', now(), now(), now(), now() + interval '1 year', 'XX000', 'forged')$$, :acme, :t_acme));
INSERT INTO probes
SELECT t.table_name, c.command,
       CASE c.command
         WHEN 'select' THEN format('SELECT 1 FROM support.%I', t.table_name)
         WHEN 'update' THEN format('UPDATE support.%I SET %I = %I', t.table_name, t.probe_column, t.probe_column)
         WHEN 'delete' THEN format('DELETE FROM support.%I', t.table_name)
       END
  FROM (VALUES ('tiers', 'name'), ('sla_policies', 'name'), ('categories', 'name'), ('channels', 'name'),
               ('calendar', 'name'), ('internal_channels', 'purpose'), ('templates', 'name'),
               ('troubleshooting_steps', 'name'), ('triage_rules', 'name'), ('slack_routes', 'description'),
               ('delivery_endpoints', 'active'), ('accounts', 'name'), ('account_users', 'full_name'),
               ('agents', 'full_name'), ('tickets', 'subject'), ('ticket_events', 'body'),
               ('sla_events', 'due'), ('outbound_messages', 'state'), ('auth_keys', 'user_id'),
               ('staff_totp', 'last_step'), ('assumption_policy', 'idle_timeout'),
               ('assumption_approvals', 'reason'), ('assumption_audit', 'action'),
               ('action_failures', 'error'), ('agent_load_changes', 'open_tickets'),
               ('shared_endpoint_hosts', 'note')) AS t (table_name, probe_column)
 CROSS JOIN (VALUES ('select'), ('update'), ('delete')) AS c (command);

-- expected outcomes: admin, campaign manager, reporting manager, agent (tier 1), manager, super user
CREATE TEMP TABLE expected (table_name text, command text, admin text, campaign text, reporting text,
                            agent text, manager text, super text);
INSERT INTO expected VALUES
  -- published configuration: clients and agents read it; managers edit it
  ('tiers', 'select', 'all', 'all', 'all', 'all', 'all', 'denied'),
  ('tiers', 'insert', 'denied', 'denied', 'denied', 'denied', 'integrity', 'denied'),
  ('tiers', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('tiers', 'delete', 'denied', 'denied', 'denied', 'denied', 'integrity', 'denied'),
  ('sla_policies', 'select', 'all', 'all', 'all', 'all', 'all', 'denied'),
  ('sla_policies', 'insert', 'denied', 'denied', 'denied', 'denied', 'integrity', 'denied'),
  ('sla_policies', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('sla_policies', 'delete', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('categories', 'select', 'all', 'all', 'all', 'all', 'all', 'denied'),
  ('categories', 'insert', 'denied', 'denied', 'denied', 'denied', '1', 'denied'),
  ('categories', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('categories', 'delete', 'denied', 'denied', 'denied', 'denied', 'integrity', 'denied'),
  ('channels', 'select', 'all', 'all', 'all', 'all', 'all', 'denied'),
  ('channels', 'insert', 'denied', 'denied', 'denied', 'denied', '1', 'denied'),
  ('channels', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('channels', 'delete', 'denied', 'denied', 'denied', 'denied', 'integrity', 'denied'),
  ('calendar', 'select', 'all', 'all', 'all', 'all', 'all', 'denied'),
  ('calendar', 'insert', 'denied', 'denied', 'denied', 'denied', '1', 'denied'),
  ('calendar', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('calendar', 'delete', 'denied', 'denied', 'denied', 'denied', 'integrity', 'denied'),
  -- internal configuration: agents read it, clients never
  ('internal_channels', 'select', 'denied', 'denied', 'denied', 'all', 'all', 'denied'),
  ('internal_channels', 'insert', 'denied', 'denied', 'denied', 'denied', '1', 'denied'),
  ('internal_channels', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('internal_channels', 'delete', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('templates', 'select', 'denied', 'denied', 'denied', 'all', 'all', 'denied'),
  ('templates', 'insert', 'denied', 'denied', 'denied', 'denied', '1', 'denied'),
  ('templates', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('templates', 'delete', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('troubleshooting_steps', 'select', 'denied', 'denied', 'denied', 'all', 'all', 'denied'),
  ('troubleshooting_steps', 'insert', 'denied', 'denied', 'denied', 'denied', '1', 'denied'),
  ('troubleshooting_steps', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('troubleshooting_steps', 'delete', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('triage_rules', 'select', 'denied', 'denied', 'denied', 'all', 'all', 'denied'),
  ('triage_rules', 'insert', 'denied', 'denied', 'denied', 'denied', '1', 'denied'),
  ('triage_rules', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('triage_rules', 'delete', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('slack_routes', 'select', 'denied', 'denied', 'denied', 'all', 'all', 'denied'),
  ('slack_routes', 'insert', 'denied', 'denied', 'denied', 'denied', 'integrity', 'denied'),
  ('slack_routes', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('slack_routes', 'delete', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  -- secrets: managers configure endpoints, nobody else sees them
  ('delivery_endpoints', 'select', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('delivery_endpoints', 'insert', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),  -- (1.7) a DBA adds endpoints
  ('delivery_endpoints', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('delivery_endpoints', 'delete', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),  -- (1.7) a DBA removes them
  -- tenants
  ('accounts', 'select', '1', '1', '1', 'all', 'all', 'denied'),
  ('accounts', 'insert', 'denied', 'denied', 'denied', 'denied', '1', 'denied'),
  ('accounts', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('accounts', 'delete', 'denied', 'denied', 'denied', 'denied', 'integrity', 'denied'),
  ('account_users', 'select', '3', '3', '3', 'all', 'all', 'denied'),
  ('account_users', 'insert', '1', 'denied', 'denied', 'denied', '1', 'denied'),
  ('account_users', 'update', '3', 'none', 'none', 'denied', 'all', 'denied'),
  ('account_users', 'delete', '2', 'none', 'none', 'denied', 'integrity', 'denied'),
  ('agents', 'select', 'denied', 'denied', 'denied', 'all', 'all', 'denied'),
  ('agents', 'insert', 'denied', 'denied', 'denied', 'denied', '1', 'denied'),
  ('agents', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('agents', 'delete', 'denied', 'denied', 'denied', 'denied', 'integrity', 'denied'),
  -- tickets: own account; the agent's tier (Acme's and Globex's tier-1 tickets); never deleted
  ('tickets', 'select', '2', '2', '2', '2', 'all', 'denied'),
  ('tickets', 'insert', '1', '1', 'denied', '1', '1', 'denied'),
  ('tickets', 'update', '2', '2', 'none', '2', 'all', 'denied'),
  ('tickets', 'delete', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  -- history: clients see their account's public events only; nobody rewrites it
  ('ticket_events', 'select', '=count(*) FILTER (WHERE account_id = ' || :acme || ' AND visibility = ''public'') FROM support.ticket_events',
                              '=count(*) FILTER (WHERE account_id = ' || :acme || ' AND visibility = ''public'') FROM support.ticket_events',
                              '=count(*) FILTER (WHERE account_id = ' || :acme || ' AND visibility = ''public'') FROM support.ticket_events',
                              '=count(*) FROM support.ticket_events e JOIN support.tickets t USING (account_id, ticket_id) WHERE t.tier = 1',
                              'all', 'denied'),
  ('ticket_events', 'insert', '1', '1', 'denied', '1', '1', 'denied'),
  ('ticket_events', 'update', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('ticket_events', 'delete', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('sla_events', 'select', '=count(*) FROM support.sla_events WHERE account_id = ' || :acme,
                           '=count(*) FROM support.sla_events WHERE account_id = ' || :acme,
                           '=count(*) FROM support.sla_events WHERE account_id = ' || :acme,
                           '=count(*) FROM support.sla_events e JOIN support.tickets t USING (account_id, ticket_id) WHERE t.tier = 1',
                           'all', 'denied'),
  ('sla_events', 'insert', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('sla_events', 'update', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('sla_events', 'delete', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  -- the outbox: agents queue messages for their tickets; managers run it
  ('outbound_messages', 'select', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  -- the outbox is written by the desk's own paths (queue_message, triggers):
  -- a raw insert could page anyone, unthrottled, ahead of every tenant
  ('outbound_messages', 'insert', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('outbound_messages', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('outbound_messages', 'delete', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  -- keys and second factors: only through the functions
  ('auth_keys', 'select', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('auth_keys', 'insert', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('auth_keys', 'update', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('auth_keys', 'delete', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('staff_totp', 'select', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('staff_totp', 'insert', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('staff_totp', 'update', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('staff_totp', 'delete', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('assumption_policy', 'select', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('assumption_policy', 'insert', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),  -- (1.7) one row, edited
  ('assumption_policy', 'update', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('assumption_policy', 'delete', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  -- the trail: managers read it; nobody writes it but the functions, nobody changes it
  ('assumption_approvals', 'select', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('assumption_approvals', 'insert', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('assumption_approvals', 'update', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('assumption_approvals', 'delete', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('assumption_audit', 'select', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('assumption_audit', 'insert', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('assumption_audit', 'update', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('assumption_audit', 'delete', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  -- the agents' load changes: only the triggers write them, only the worker folds them
  ('agent_load_changes', 'select', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('agent_load_changes', 'insert', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('agent_load_changes', 'update', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('agent_load_changes', 'delete', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  -- a DBA's list: managers see which hosts' paths are a superuser's to change
  ('shared_endpoint_hosts', 'select', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('shared_endpoint_hosts', 'insert', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('shared_endpoint_hosts', 'update', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('shared_endpoint_hosts', 'delete', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  -- the worker's set-aside tickets: managers read them; only the worker writes
  ('action_failures', 'select', 'denied', 'denied', 'denied', 'denied', 'all', 'denied'),
  ('action_failures', 'insert', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('action_failures', 'update', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied'),
  ('action_failures', 'delete', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied');

-- a Sue-approved assumption and one audit row exist before the matrix, so
-- "all" of those tables is not "none"
SELECT pg_temp.kept_value('app_manager', :'k_max',
    format('SELECT support.approve_assumption(%s, %s, %L)', :vault, :sue, 'Vault''s export failure, INC-88'));

CREATE TEMP TABLE identities (who text, login_role text, auth_key text, ordinal int);
INSERT INTO identities VALUES
  ('admin', 'app_client', :'k_ada', 1), ('campaign', 'app_client', :'k_cam', 2),
  ('reporting', 'app_client', :'k_rex', 3), ('agent', 'app_agent', :'k_tia', 4),
  ('manager', 'app_manager', :'k_max', 5), ('super', 'app_super', :'k_sue', 6);

CREATE TEMP TABLE matrix AS
SELECT e.table_name, e.command, i.who, i.ordinal,
       (ARRAY[e.admin, e.campaign, e.reporting, e.agent, e.manager, e.super])[i.ordinal] AS wanted,
       p.statement, i.login_role, i.auth_key
  FROM expected e
  JOIN probes p USING (table_name, command)
 CROSS JOIN identities i;

SELECT plan((SELECT count(*)::int FROM matrix) + 98);

SELECT is(pg_temp.attempt(m.login_role, m.auth_key, m.statement),
          CASE WHEN m.wanted = 'all' THEN pg_temp.attempt('postgres', NULL, m.statement)
               WHEN m.wanted LIKE '=%' THEN pg_temp.kept_value('postgres', NULL, 'SELECT (SELECT ' || substr(m.wanted, 2) || ')::text')
               ELSE m.wanted END,
          format('%s: %s on support.%s', m.who, m.command, m.table_name))
  FROM matrix m
 ORDER BY m.table_name, m.command, m.ordinal;

------------------------------------------------------------------------------
-- Keys
------------------------------------------------------------------------------
SELECT is(pg_temp.error_of('app_client', 'bsk_' || repeat('0', 64), 'SELECT count(*) FROM support.tickets'),
          '28000: support.auth_key is not a valid key', 'a forged key is refused');
SELECT is(pg_temp.error_of('app_client', :'k_ada' || 'x', 'SELECT count(*) FROM support.tickets'),
          '28000: support.auth_key is not a valid key', 'a key with a character added is refused');
SELECT is(pg_temp.attempt('app_client', NULL, 'SELECT 1 FROM support.tickets'), 'none',
          'a client role without a key sees no ticket');
SELECT is(pg_temp.attempt('app_manager', NULL, 'SELECT 1 FROM support.tickets'), 'none',
          'a manager role without a key sees no ticket');
SELECT is(pg_temp.attempt('app_nobody', :'k_max', 'SELECT 1 FROM support.tickets'), 'denied',
          'a login role in no group is refused even with a manager''s key');
SELECT is(pg_temp.attempt('app_manager', :'k_ada', 'SELECT 1 FROM support.tickets'), 'none',
          'a client''s key in the manager role sees nothing');
SELECT is(pg_temp.attempt('app_agent', :'k_ada', 'SELECT 1 FROM support.tickets'), 'none',
          'a client''s key in the agent role sees nothing');
SELECT is(pg_temp.attempt('app_client', :'k_tia', 'SELECT 1 FROM support.tickets'), 'none',
          'an agent''s key in the client role sees nothing');
SELECT is(pg_temp.kept_value('app_client', :'k_ada', 'SELECT support.current_user_id()::text'), :'ada'::text,
          'current_user_id() is the key''s user');
SELECT is(pg_temp.kept_value('app_client', :'k_ada', 'SELECT support.current_account_id()::text || support.current_user_role()'),
          :'acme' || 'admin', 'current_account_id() and current_user_role() come with it');
SELECT is(pg_temp.kept_value('app_agent', :'k_tia', 'SELECT support.current_agent_tier()::text'), '1'::text,
          'an agent''s key carries the agent''s tier');
-- one lookup per transaction and key, however many rows and statements the policies check
SET LOCAL ROLE app_login;
SELECT support.issue_key(:tia) AS k_tia_fresh \gset
RESET ROLE;
SELECT support.auth_key_lookups() AS lookups_before \gset
SELECT pg_temp.kept_value('app_agent', :'k_tia_fresh',
       'SELECT count(*)::text FROM support.ticket_events e JOIN support.sla_events s USING (account_id, ticket_id)');
SELECT pg_temp.kept_value('app_agent', :'k_tia_fresh', 'SELECT count(*)::text FROM support.tickets t, support.ticket_events e');
SELECT is(support.auth_key_lookups() - :lookups_before, 1::bigint,
          'two statements over many rows under RLS cost one key lookup in the transaction');
SELECT is((SELECT count(*)::int FROM support.auth_keys WHERE key_hash = support.auth_key_hash(:'k_ada')), 1,
          'a key is stored as its SHA-256 hash');
SELECT is((SELECT count(*)::int FROM support.auth_keys k
            WHERE position(convert_to(:'k_ada', 'UTF8') IN k.key_hash) > 0
               OR k.key_hash = convert_to(:'k_ada', 'UTF8')), 0, 'and never as itself');
SELECT ok(:'k_ada' ~ '^bsk_[0-9a-f]{64}$', 'a key is 256 random bits in hex');
SELECT isnt(:'k_ada'::text, :'k_cam'::text, 'two keys differ');
SELECT is(pg_temp.error_of('app_login', NULL, format('SELECT support.issue_key(%s, interval ''2 days'')', :ada)),
          '22023: a key is valid for more than 0 and at most 24:00:00, not 2 days', 'a key lives a day at most');
SELECT is(pg_temp.error_of('app_client', :'k_ada', format('SELECT support.issue_key(%s)', :ada)),
          '42501: permission denied for function issue_key', 'only the login service issues keys');

-- expiry, checked at once in the transaction that expires it
UPDATE support.auth_keys SET expires_at = now() - interval '1 second' WHERE key_hash = support.auth_key_hash(:'k_gil');
SELECT is(pg_temp.error_of('app_client', :'k_gil', 'SELECT count(*) FROM support.tickets'),
          '28000: support.auth_key has expired', 'an expired key is refused');
SELECT is(pg_temp.error_of('app_client', NULL, format('SELECT support.revoke_key(%L)', :'k_gil' || 'x')),
          '28000: support.auth_key is not a valid key', 'revoking a key one does not hold fails');

------------------------------------------------------------------------------
-- Cross-account: guessing another account's ids
------------------------------------------------------------------------------
SELECT is(pg_temp.attempt('app_client', :'k_ada', format('SELECT 1 FROM support.tickets WHERE ticket_id = %s', :t_globex)),
          'none', 'Acme''s admin cannot read Globex''s ticket by its number');
SELECT is(pg_temp.attempt('app_client', :'k_ada', format('SELECT 1 FROM support.ticket_events WHERE ticket_id = %s', :t_globex)),
          'none', 'nor its history');
SELECT is(pg_temp.attempt('app_client', :'k_ada', format('UPDATE support.tickets SET subject = ''pwned'' WHERE ticket_id = %s', :t_globex)),
          'none', 'nor change it');
SELECT is(pg_temp.attempt('app_client', :'k_ada', format($$INSERT INTO support.tickets (account_id, requester_id, subject, channel, category) VALUES (%s, %s, 'x', 'portal', 'reporting')$$, :globex, :gil)),
          'denied', 'nor open a ticket in Globex''s name');
SELECT is(pg_temp.attempt('app_client', :'k_ada', format($$INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body) VALUES (%s, %s, 'client_message', %s, 'client', 'public', 'x')$$, :globex, :t_globex, :ada)),
          'denied', 'nor write into its history');
SELECT is(pg_temp.error_of('app_client', :'k_ada', format('SELECT support.post_client_message(%s, %s, ''hi'')', :t_globex, :ada)),
          'P0002: ticket ' || :t_globex || ' does not exist', 'to a workflow call, another account''s ticket does not exist');
SELECT is(pg_temp.error_of('app_client', :'k_ada', format('SELECT support.rate_ticket(%s, %s, 1, ''bad'')', :t_globex, :ada)),
          'P0002: ticket ' || :t_globex || ' does not exist', 'even one that runs as the owner (rate_ticket)');
SELECT is(pg_temp.error_of('app_client', :'k_ada', format('SELECT support.request_escalation(%s, %s, ''escalate'')', :t_globex, :gil)),
          'P0002: ticket ' || :t_globex || ' does not exist', 'or request_escalation, naming Globex''s user');
SELECT is(pg_temp.error_of('app_client', :'k_ada', format('SELECT support.post_client_message(%s, %s, ''hi'')', :t_acme, :cam)),
          '42501: the key in support.auth_key belongs to user ' || :ada || ', who cannot act as user ' || :cam,
          'a user cannot act as a colleague');
SELECT is(pg_temp.attempt('app_client', :'k_ada', format($$INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body) VALUES (%s, %s, 'client_message', %s, 'client', 'public', 'x')$$, :acme, :t_acme, :cam)),
          'denied', 'nor write history in a colleague''s name');
SELECT is(pg_temp.attempt('app_client', :'k_ada', format($$INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body) VALUES (%s, %s, 'internal_note', %s, 'client', 'internal', 'x')$$, :acme, :t_acme, :ada)),
          'denied', 'nor write an internal note');
SELECT is(pg_temp.attempt('app_client', :'k_ada', 'SELECT 1 FROM support.ticket_events WHERE visibility = ''internal'''),
          'none', 'internal notes are never visible to clients');
SELECT is(pg_temp.attempt('app_client', :'k_ada', format('UPDATE support.account_users SET role = ''admin'' WHERE user_id = %s', :gil)),
          'none', 'an admin administers only their own account''s users');
SELECT is(pg_temp.attempt('app_client', :'k_ada', format($$INSERT INTO support.account_users (account_id, user_id, email, full_name, role) VALUES (%s, %s, 'x@acme.example', 'X', 'admin')$$, :acme, :sue)),
          'denied', 'and cannot pick a user id (one of staff''s, say)');
SELECT is(pg_temp.attempt('app_agent', :'k_tia', format('SELECT 1 FROM support.tickets WHERE ticket_id = %s', :t_acme_bug)),
          'none', 'a tier-1 agent does not see a tier-3 ticket');
SELECT is(pg_temp.error_of('app_agent', :'k_tia', format('SELECT support.reply_publicly(%s, %s, ''hi'')', :t_acme_bug, :tia)),
          'P0002: ticket ' || :t_acme_bug || ' does not exist', 'nor reply on it');
SELECT is(pg_temp.kept_value('app_client', :'k_ada', 'SELECT sum(open_tickets)::text FROM support.open_tickets_by_priority'),
          (SELECT count(*)::text FROM support.tickets WHERE account_id = :acme AND status <> 'closed'),
          'a client''s reports count only its own account''s tickets');
SELECT is(pg_temp.attempt('app_manager', :'k_max', 'SELECT secret FROM support.delivery_endpoints'),
          'denied', 'a manager cannot read an endpoint''s secret back');
SELECT is(pg_temp.error_of('app_client', :'k_rex', format('SELECT support.post_client_message(%s, %s, ''hi'')', :t_acme, :rex)),
          '42501: ticket ' || :t_acme || ' is read-only for user ' || :rex, 'a Reporting Manager is read-only');

------------------------------------------------------------------------------
-- Role assumption: the controls
------------------------------------------------------------------------------
SELECT is(pg_temp.error_of('app_agent', :'k_tia', 'SELECT * FROM support.list_accounts_and_users()'),
          '42501: permission denied for function list_accounts_and_users', 'an agent''s role cannot list users to assume');
SELECT is(pg_temp.error_of('app_console', :'k_tia', format('SELECT * FROM support.assume_user_role(%s, ''Ticket #1: checking'')', :ada)),
          '42501: only super users may assume a user''s role', 'nor assume one, even from the console');
SELECT is(pg_temp.error_of('app_console', :'k_max', format('SELECT * FROM support.assume_user_role(%s, ''Ticket #1: checking'')', :ada)),
          '42501: only super users may assume a user''s role', 'nor may a manager');
SELECT is(pg_temp.error_of('app_console', :'k_sid_no_mfa', format('SELECT * FROM support.assume_user_role(%s, ''Ticket #1: checking'')', :ada)),
          '28000: the super user''s key was issued without a verified second factor', 'a super user''s key needs a second factor');
SELECT is(pg_temp.error_of('app_console', :'k_sue', format('SELECT * FROM support.assume_user_role(%s, ''Ticket #1: checking'')', :sid)),
          '42501: user ' || :sid || ' is support staff and cannot be assumed', 'a super user cannot be assumed');
SELECT is(pg_temp.error_of('app_console', :'k_sue', format('SELECT * FROM support.assume_user_role(%s, ''Ticket #1: checking'')', :tia)),
          '42501: user ' || :tia || ' is support staff and cannot be assumed', 'nor any support staff');
SELECT is(pg_temp.error_of('app_console', :'k_sue', format('SELECT * FROM support.assume_user_role(%s, NULL)', :rex)),
          '22023: assuming a user needs a business justification of at least 10 characters', 'a justification is required');
SELECT is(pg_temp.error_of('app_console', :'k_sue', format('SELECT * FROM support.assume_user_role(%s, ''   debug   '')', :rex)),
          '22023: assuming a user needs a business justification of at least 10 characters', 'a real one');
SELECT is(pg_temp.error_of('app_console', :'k_sid_no_mfa', format('SELECT * FROM support.assume_user_role(%s, ''Vault export failure INC-88'')', :val)),
          '28000: the super user''s key was issued without a verified second factor', '(Sid has no second factor either way)');
SELECT is(pg_temp.error_of('app_manager', :'k_max', format('SELECT support.approve_assumption(%s, %s, ''x'')', :vault, :max)),
          '22023: user ' || :max || ' is not an active super user', 'approvals are for super users');
SELECT is(pg_temp.error_of('app_manager', :'k_ada', format('SELECT support.approve_assumption(%s, %s, ''x'')', :vault, :sid)),
          '42501: only a support manager may approve assuming a sensitive account''s users', 'only managers approve');

-- the sensitive account: Sue is approved (above), Sid is not
UPDATE support.agents SET is_super_user = true WHERE agent_id = :mia;
SELECT is(pg_temp.error_of('app_manager', :'k_mia', format('SELECT support.approve_assumption(%s, %s, ''x'')', :vault, :mia)),
          '42501: a support manager cannot approve their own assumption', 'nobody approves their own assumption');
UPDATE support.agents SET is_super_user = false WHERE agent_id = :mia;
SELECT support.enroll_totp(:sid) AS sid_secret \gset
SET LOCAL ROLE app_login;
SELECT support.issue_key(:sid, '8 hours', support.totp(:'sid_secret'::bytea)) AS k_sid \gset
RESET ROLE;
SELECT is(pg_temp.error_of('app_console', :'k_sid', format('SELECT * FROM support.assume_user_role(%s, ''Vault export failure INC-88'')', :val)),
          '42501: account ' || :vault || ' is sensitive: assuming its users needs a support manager''s approval',
          'a sensitive account needs a manager''s approval for this super user');
SELECT is(pg_temp.error_of('app_login', NULL, format('SELECT support.issue_key(%s, ''8 hours'', support.totp(%L::bytea))', :sid, :'sid_secret')),
          '28P01: the one-time code is not valid', 'a one-time code works once');
SELECT is(pg_temp.error_of('app_login', NULL, format('SELECT support.issue_key(%s, ''8 hours'', ''000000'')', :tia)),
          '28000: user ' || :tia || ' has no second factor enrolled', 'a code for someone not enrolled is refused');

-- Sue lists, assumes Val (approved) and then Rex (switching)
SELECT is(pg_temp.kept_value('app_console', :'k_sue',
          format('SELECT approved_until IS NOT NULL FROM support.list_accounts_and_users() WHERE user_id = %s', :val)),
          'true'::text, 'the list shows Sue''s approval for the sensitive account');
SELECT is(pg_temp.kept_value('app_console', :'k_sue', 'SELECT count(*)::text FROM support.list_accounts_and_users()'),
          '5'::text, 'and every active client user, no staff');
SELECT pg_temp.kept_value('app_console', :'k_sue',
       format('SELECT auth_key FROM support.assume_user_role(%s, ''Vault export failure INC-88'')', :val)) AS k_as_val \gset
SELECT pg_temp.kept_value('app_console', :'k_sue',
       format('SELECT auth_key FROM support.assume_user_role(%s, ''Ticket #%s: report shows zero spend'')', :rex, :t_acme)) AS k_as_rex \gset
SELECT is(pg_temp.error_of('app_console', :'k_as_val', 'SELECT count(*) FROM support.tickets'),
          '28000: support.auth_key was released', 'assuming another user released the first');
SELECT is(pg_temp.kept_value('app_console', :'k_as_rex', 'SELECT count(*)::text FROM support.tickets'), '2'::text,
          'the assumed Reporting Manager sees Acme''s tickets');
SELECT is(pg_temp.attempt('app_console', :'k_as_rex', 'SELECT 1 FROM support.ticket_events WHERE visibility = ''internal'''),
          'none', 'and, like Rex, no internal note');
SELECT is(pg_temp.attempt('app_console', :'k_as_rex', format('SELECT 1 FROM support.tickets WHERE account_id = %s', :globex)),
          'none', 'an assumed key cannot be used for another account');
SELECT is(pg_temp.attempt('app_console', :'k_as_rex', 'UPDATE support.tickets SET subject = ''edited'''),
          'none', 'a Reporting Manager, assumed, is refused a write');
SELECT is(pg_temp.error_of('app_console', :'k_as_rex', format('SELECT support.post_client_message(%s, %s, ''hi'')', :t_acme, :rex)),
          '42501: ticket ' || :t_acme || ' is read-only for user ' || :rex, 'through the workflow too');
SELECT is(pg_temp.error_of('app_console', :'k_as_rex', format('SELECT * FROM support.assume_user_role(%s, ''Ticket #1: checking'')', :ada)),
          '42501: an assumed user''s key cannot assume or list users', 'an assumed key cannot assume again');
SELECT is(pg_temp.attempt('app_console', :'k_sue', 'SELECT 1 FROM support.tickets'), 'none',
          'the super user''s own key, set inside the assumption, sees nothing');

-- an Admin assumed writes; the writes are audited with the real actor
SELECT pg_temp.kept_value('app_console', :'k_sue',
       format('SELECT auth_key FROM support.assume_user_role(%s, ''Ticket #%s: reproduce the reply bug'')', :ada, :t_acme)) AS k_as_ada \gset
SELECT pg_temp.kept_value('app_console', :'k_as_ada', format('SELECT support.post_client_message(%s, %s, ''Reproduced by support'')::text', :t_acme, :ada)) AS assumed_event \gset
SELECT is((SELECT actor_id || '/' || assumed_by FROM support.ticket_events WHERE event_id = :assumed_event),
          :ada || '/' || :sue, 'the event records the assumed user as actor and the super user as assumed_by');
SELECT is((SELECT count(*)::int FROM support.assumption_audit
            WHERE action = 'write' AND assumed_by = :sue AND assumed_user_id = :ada
              AND details ->> 'table' = 'ticket_events' AND (details -> 'row' ->> 'event_id')::bigint = :assumed_event),
          1, 'and the audit trail has the write, with both');
SELECT pg_temp.kept_value('app_console', :'k_as_ada', format($$WITH changed AS (UPDATE support.tickets SET description = description || ' (reproduced by support)' WHERE ticket_id = %s RETURNING 1) SELECT count(*)::text FROM changed$$, :t_acme));
SELECT is((SELECT count(*)::int FROM support.assumption_audit
            WHERE action = 'write' AND details ->> 'table' = 'tickets' AND details ->> 'operation' = 'update'
              AND (details -> 'row' ->> 'ticket_id')::bigint = :t_acme AND assumed_by = :sue),
          1, 'a ticket the assumed Admin edits is audited too');
SELECT pg_temp.kept_value('app_console', :'k_as_ada', format($$SELECT ticket_id::text FROM support.open_ticket(%s, %s, 'Opened by support as Ada', 'Reproducing the bug', 'portal', 'reporting')$$, :acme, :ada)) AS t_assumed \gset
SELECT is((SELECT array_agg(DISTINCT details ->> 'table' ORDER BY details ->> 'table') FROM support.assumption_audit
            WHERE action = 'write' AND assumed_by = :sue AND assumed_user_id = :ada
              AND (details -> 'row' ->> 'ticket_id')::bigint = :t_assumed),
          ARRAY['outbound_messages', 'sla_events', 'ticket_events', 'tickets'],
          'a ticket opened while assuming audits it and what the triggers wrote for it (events, SLA events, the acknowledgment)');
SELECT is(pg_temp.attempt('app_console', :'k_as_ada', format($$INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, assumed_by) VALUES (%s, %s, 'client_message', %s, 'client', 'public', 'x', NULL)$$, :acme, :t_acme, :ada)),
          'denied', 'an assumed user cannot clear assumed_by');

SELECT is(pg_temp.kept_value('app_manager', :'k_max', 'SELECT count(*)::text FROM support.active_assumptions() WHERE assumed_user_id = ' || :ada),
          '1'::text, 'a support manager sees the assumption in progress');
SELECT is(pg_temp.error_of('app_manager', :'k_tia', 'SELECT count(*) FROM support.active_assumptions()'),
          '42501: only a support manager may list who is assuming whom', 'nobody else does');

-- release; a released key is dead
SELECT is(pg_temp.kept_value('app_console', :'k_as_ada', 'SELECT assumed_user_id::text FROM support.release_user_role()'),
          :'ada'::text, 'release_user_role() ends the assumption');
SELECT is(pg_temp.error_of('app_console', :'k_as_ada', 'SELECT count(*) FROM support.tickets'),
          '28000: support.auth_key was released', 'a released key is refused');
SELECT is(pg_temp.error_of('app_console', :'k_sue', 'SELECT * FROM support.release_user_role()'),
          'P0002: no assumed user to release', 'releasing twice says so');

-- idle for two hours: refused at once, audited by the sweep
SELECT pg_temp.kept_value('app_console', :'k_sue',
       format('SELECT auth_key FROM support.assume_user_role(%s, ''Ticket #%s: idle check'')', :cam, :t_acme)) AS k_as_cam \gset
UPDATE support.auth_keys SET last_used_at = now() - interval '1 hour 59 minutes' WHERE key_hash = support.auth_key_hash(:'k_as_cam');
SELECT is(pg_temp.kept_value('app_console', :'k_as_cam', 'SELECT count(*)::text FROM support.tickets'), '3'::text,
          'an assumption idle for 1 h 59 min still works (Acme''s three tickets)');
SELECT is((SELECT last_used_at FROM support.auth_keys WHERE key_hash = support.auth_key_hash(:'k_as_cam')), now(),
          'and its use is recorded');
UPDATE support.auth_keys SET last_used_at = now() - interval '2 hours' WHERE key_hash = support.auth_key_hash(:'k_as_cam');
SELECT is(pg_temp.error_of('app_console', :'k_as_cam', 'SELECT count(*) FROM support.tickets'),
          '28000: support.auth_key has expired after a period without use', 'two hours without use end an assumption');
SELECT is(support.expire_assumptions(), 1, 'the sweep finds it');
SELECT is((SELECT details ->> 'reason' FROM support.assumption_audit
            WHERE action = 'expired' AND assumed_user_id = :cam), 'idle', 'and audits the expiry');
-- logout ends the super user's assumptions
SELECT pg_temp.kept_value('app_console', :'k_sue',
       format('SELECT auth_key FROM support.assume_user_role(%s, ''Ticket #%s: logout check'')', :cam, :t_acme)) AS k_as_cam2 \gset
SELECT pg_temp.kept_value('app_console', NULL, format('SELECT support.revoke_key(%L)::text', :'k_sue'));
SELECT is(pg_temp.error_of('app_console', :'k_as_cam2', 'SELECT count(*) FROM support.tickets'),
          '28000: support.auth_key was released', 'logging out releases the assumed key');
SELECT is((SELECT details ->> 'reason' FROM support.assumption_audit
            WHERE action = 'released' AND key_id = (SELECT key_id FROM support.auth_keys WHERE key_hash = support.auth_key_hash(:'k_as_cam2'))),
          'logout', 'audited as a logout');

------------------------------------------------------------------------------
-- The audit trail cannot be changed, and a hostile search_path changes nothing
------------------------------------------------------------------------------
SELECT throws_ok('UPDATE support.assumption_audit SET justification = ''nothing to see''', '42501', NULL,
                 'not even the owner updates the audit trail');
SELECT throws_ok('DELETE FROM support.assumption_audit', '42501', NULL, 'nor deletes from it');
SELECT throws_ok('TRUNCATE support.assumption_audit', '42501', NULL, 'nor truncates it');
SELECT is(pg_temp.attempt('app_manager', :'k_max', 'DELETE FROM support.assumption_audit'), 'denied',
          'a manager reads the trail but cannot delete it');
SELECT ok((SELECT count(*) FROM support.assumption_audit WHERE action IN ('assumed', 'released', 'expired', 'approved')) >= 8,
          'every approval, assumption, release and expiry is on the trail');

CREATE SCHEMA hostile;
GRANT USAGE, CREATE ON SCHEMA hostile TO PUBLIC;
CREATE TABLE hostile.hijacks (what text);
GRANT INSERT, SELECT ON hostile.hijacks TO PUBLIC;
CREATE FUNCTION hostile.btrim(text) RETURNS text LANGUAGE sql AS
    $$ INSERT INTO hostile.hijacks VALUES ('btrim') RETURNING 'hijacked' $$;
CREATE FUNCTION hostile.now() RETURNS timestamptz LANGUAGE sql AS
    $$ INSERT INTO hostile.hijacks VALUES ('now') RETURNING 'infinity'::timestamptz $$;
CREATE FUNCTION hostile.auth_key_hash(text) RETURNS bytea LANGUAGE sql AS
    $$ INSERT INTO hostile.hijacks VALUES ('hash') RETURNING '\x00'::bytea $$;
CREATE OPERATOR hostile.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = int8ne);
CREATE FUNCTION pg_temp.value_with_path(who text, auth_key text, path text, query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    saved text := pg_catalog.current_setting('search_path');
    result text;
BEGIN
    PERFORM pg_catalog.set_config('role', who, true);
    PERFORM pg_catalog.set_config('support.auth_key', auth_key, true);
    PERFORM pg_catalog.set_config('search_path', path, true);
    EXECUTE query INTO result;
    PERFORM pg_catalog.set_config('search_path', saved, true);
    PERFORM pg_catalog.set_config('support.auth_key', '', true);
    RESET ROLE;
    RETURN result;
END $$;
SELECT pg_temp.value_with_path('app_manager', :'k_max', 'hostile, support, pg_catalog',
       format('SELECT support.approve_assumption(%s, %s, ''  hostile path check  '')', :acme, :sid)) AS hostile_approval \gset
SELECT pg_temp.value_with_path('app_client', :'k_ada', 'hostile, support, pg_catalog',
       format('SELECT support.post_client_message(%s, %s, ''  shadowed  '')', :t_acme, :ada));
SELECT is((SELECT count(*)::int FROM hostile.hijacks), 0,
          'SECURITY DEFINER and workflow functions ignore a hostile search_path and shadowed built-ins');
SELECT is((SELECT reason FROM support.assumption_approvals WHERE approval_id = :hostile_approval), 'hostile path check',
          'and computed with the real btrim');
SELECT is((SELECT array_agg(p.proname ORDER BY p.proname)::text FROM pg_proc p
            WHERE p.pronamespace = 'support'::regnamespace AND p.prosecdef
              AND NOT COALESCE('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)),
          NULL, 'every SECURITY DEFINER function pins search_path to pg_catalog, pg_temp');

-- secrets stay out of errors
SELECT unalike(pg_temp.error_of('app_client', :'k_ada' || 'x', 'SELECT count(*) FROM support.tickets'),
              '%' || :'k_ada' || '%', 'a refused key is not echoed in the error');
SELECT unalike(pg_temp.error_of('app_manager', :'k_max', 'SELECT * FROM support.delivery_endpoints', true),
              '%whsec%', 'nor is an endpoint''s secret when a manager reads the table');
SELECT unalike(pg_temp.error_of('app_manager', :'k_max', $$UPDATE support.delivery_endpoints SET url = 'not a url' WHERE endpoint = 'jira'$$, true),
              '%whsec%', 'nor in the failing row of a constraint violation');
SELECT unalike(pg_temp.error_of('app_manager', :'k_max', $$INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret) VALUES ('jira', 'webhook', 'http://127.0.0.1:9/x', 'whsec_second_secret_value')$$, true),
              '%whsec%', 'nor in a duplicate key''s detail');
SELECT unalike(pg_temp.error_of('app_client', :'k_ada' || 'x', 'SELECT count(*) FROM support.tickets', true),
              '%' || :'k_ada' || '%', 'nor a key in any part of a refusal');

-- a support manager sends a dead letter again through requeue_message (the
-- worker's columns are not the manager's to write); nobody else may
INSERT INTO support.outbound_messages (account_id, destination, target, subject, body, state, attempts, last_error)
VALUES (:acme, 'email', 'ada@acme.example', 'bounced', 'body', 'dead', 8, 'SMTP server replied 550');
SELECT message_id AS dead_letter FROM support.outbound_messages WHERE subject = 'bounced' \gset
SELECT is(pg_temp.value_as('app_manager', :'k_max', format('SELECT (support.requeue_message(%s, %s)).state', :acme, :dead_letter)),
          'pending', 'a support manager requeues a dead letter');
SELECT is(pg_temp.value_as('app_agent', :'k_tia', format('SELECT (support.requeue_message(%s, %s)).state', :acme, :dead_letter)),
          'ERROR: permission denied for function requeue_message', 'an agent may not');
SELECT is(pg_temp.value_as('app_manager', :'k_max', format('UPDATE support.outbound_messages SET attempts = 0 WHERE message_id = %s RETURNING state', :dead_letter)),
          'ERROR: permission denied for table outbound_messages', 'nor may a manager write the worker''s columns directly');

-- the platform's login-service flow, one transaction at a time
SET LOCAL support.auth_key = :'k_max';
SELECT is(support.current_user_id(), :max::bigint, 'SET LOCAL support.auth_key works for the owner''s session too');

SELECT * FROM finish();
ROLLBACK;
