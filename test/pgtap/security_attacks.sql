-- The trust boundary, attacked: each numbered finding of the security
-- review (shadowed types, borrowed trigger functions, hand-built rows,
-- leftover keys, multi-group logins, owned columns, envelope injection,
-- leaks) with its reproduction and variants. Every attempt must be refused
-- with a clear error or do no harm; none may crash the backend (the
-- harness also fails on any backend killed by a signal in the server log).
BEGIN;
SET client_min_messages = warning;
SET LOCAL support.auto_assign = off;

------------------------------------------------------------------------------
-- The cast: two accounts, a client admin, a reporting manager, an agent, a
-- manager and a super user, each with a key
------------------------------------------------------------------------------
INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Acme Ads', 'America/New_York', 2), ('Globex', 'Europe/Berlin', 2);
SELECT account_id AS acme FROM support.accounts WHERE name = 'Acme Ads' \gset
SELECT account_id AS globex FROM support.accounts WHERE name = 'Globex' \gset
INSERT INTO support.account_users (account_id, email, full_name, role) VALUES
  (:acme, 'ada@acme.example', 'Ada Admin', 'admin'),
  (:acme, 'rex@acme.example', 'Rex Reports', 'reporting_manager'),
  (:globex, 'gil@globex.example', 'Gil Globex', 'admin');
SELECT user_id AS ada FROM support.account_users WHERE email = 'ada@acme.example' \gset
SELECT user_id AS rex FROM support.account_users WHERE email = 'rex@acme.example' \gset
SELECT user_id AS gil FROM support.account_users WHERE email = 'gil@globex.example' \gset
INSERT INTO support.agents (email, full_name, tier, skills, on_shift, is_super_user, is_support_manager) VALUES
  ('tia@bedrock.example', 'Tia Tier-One', 1, '{reporting}', true, false, false),
  ('sue@bedrock.example', 'Sue Super', 2, '{api_integration}', true, true, false),
  ('max@bedrock.example', 'Max Manager', 3, '{infrastructure}', true, false, true);
SELECT agent_id AS tia FROM support.agents WHERE email = 'tia@bedrock.example' \gset
SELECT agent_id AS sue FROM support.agents WHERE email = 'sue@bedrock.example' \gset
SELECT agent_id AS max FROM support.agents WHERE email = 'max@bedrock.example' \gset

SELECT ticket_id AS t_acme FROM support.open_ticket(:acme, :ada, 'Spend report shows zero', 'Since Monday', 'portal', 'reporting') \gset
SELECT ticket_id AS t_globex FROM support.open_ticket(:globex, :gil, 'Globex report totals', '', 'portal', 'reporting') \gset
SELECT support.add_internal_note(:t_acme, :tia, 'Client''s pixel looks misconfigured');
SELECT support.reply_publicly(:t_globex, :tia, 'Looking into it');
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret)
VALUES ('jira', 'webhook', 'http://127.0.0.1:9/hook', 'whsec_do_not_leak_me');

CREATE ROLE attack_client LOGIN IN ROLE support_client;
CREATE ROLE attack_agent LOGIN IN ROLE support_agent;
CREATE ROLE attack_manager LOGIN IN ROLE support_manager;
CREATE ROLE attack_super LOGIN IN ROLE support_super_user;
CREATE ROLE attack_login LOGIN IN ROLE support_login;
CREATE ROLE attack_nobody LOGIN;

SET LOCAL ROLE attack_login;
SELECT support.issue_key(:ada) AS k_ada \gset
SELECT support.issue_key(:rex) AS k_rex \gset
SELECT support.issue_key(:gil) AS k_gil \gset
SELECT support.issue_key(:tia) AS k_tia \gset
SELECT support.issue_key(:max) AS k_max \gset
SELECT support.issue_key(:sue) AS k_sue \gset
RESET ROLE;



\ir include/as_role.sql

-- Every assertion counted, so one that is lost is noticed: 708 written out,
-- and those of the loops over the extension's functions (each trigger
-- function attached twice, each C trigger function given three look-alike
-- tables at three timings, each other C function called twice with NULLs).
SELECT plan(708
            + 2 * (SELECT count(*)::int FROM pg_proc p
                    WHERE p.pronamespace = 'support'::regnamespace AND p.prorettype = 'trigger'::regtype)
            + 9 * (SELECT count(*)::int FROM pg_proc p
                    WHERE p.pronamespace = 'support'::regnamespace AND p.prorettype = 'trigger'::regtype
                      AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c'))
            + 2 * (SELECT count(*)::int FROM pg_proc p
                    WHERE p.pronamespace = 'support'::regnamespace
                      AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
                      AND p.prorettype <> 'trigger'::regtype AND p.prokind = 'f'
                      AND NOT 'internal'::regtype = ANY (p.proargtypes::regtype[])
                      AND NOT 'cstring'::regtype = ANY (p.proargtypes::regtype[])
                      AND p.proretset = false));

------------------------------------------------------------------------------
-- 1. Temporary types that shadow built-ins never run with the owner's rights
------------------------------------------------------------------------------
-- The attacker's function records who runs it and, run by anyone else,
-- makes the attacker a superuser. Each shadowing domain is created, the
-- statements that make the extension read as the owner are run (a fresh
-- key's lookup, the caches triage and the deadlines load, a ticket opened,
-- a reply and its webhook), and the domain is dropped again.
CREATE TEMP TABLE evil_runs (run_by name);
GRANT INSERT, SELECT ON evil_runs TO PUBLIC;
CREATE FUNCTION pg_temp.evil(value anyelement) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pg_temp.evil_runs VALUES (current_user);
    IF current_user NOT IN ('attack_agent', 'attack_client') THEN
        EXECUTE 'ALTER ROLE attack_agent SUPERUSER';
    END IF;
    RETURN true;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.evil(anyelement) TO PUBLIC;
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret)
VALUES ('hooks', 'webhook', 'http://127.0.0.1:9/events', 'whsec_0123456789abcdef');

CREATE FUNCTION pg_temp.shadowed(type_name text, who text, statement text, auth_key text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    outcome text;
BEGIN
    -- the configuration caches load again in this backend
    UPDATE support.triage_rules SET name = name;
    UPDATE support.sla_policies SET name = name;
    UPDATE support.accounts SET name = name;
    UPDATE support.delivery_endpoints SET active = active;
    BEGIN
        PERFORM set_config('role', who, true);
        EXECUTE format('CREATE DOMAIN pg_temp.%I AS pg_catalog.%I CHECK (pg_temp.evil(VALUE))', type_name, type_name);
        PERFORM set_config('support.auth_key', COALESCE(auth_key, ''), true);
        EXECUTE statement;
        RAISE EXCEPTION 'undo' USING ERRCODE = 'BRK01';
    EXCEPTION
        WHEN SQLSTATE 'BRK01' THEN outcome := 'ok';
        WHEN OTHERS THEN GET STACKED DIAGNOSTICS outcome = MESSAGE_TEXT;
    END;
    RETURN outcome;
END $$;

CREATE TEMP TABLE shadow_attempts AS
SELECT type_name, statement_name, pg_temp.shadowed(type_name, who, statement, key) AS outcome
  FROM unnest(ARRAY['text', 'int8', 'int4', 'int2', 'bytea', 'bool', 'timestamptz', 'interval', 'jsonb',
                    'numeric', 'date', 'name', 'oid', 'regconfig', 'regclass', 'tstzmultirange']) AS type_name
 CROSS JOIN (VALUES
   ('a fresh key''s lookup', 'attack_agent', 'SELECT count(*) FROM support.tickets', 'fresh'),
   ('a keyless ticket insert', 'attack_agent', format($$INSERT INTO support.tickets (account_id, requester_id, subject, channel, category) VALUES (%s, %s, 'x', 'portal', 'reporting')$$, :acme, :ada), NULL),
   ('a ticket opened with a key', 'attack_client', format($$SELECT support.open_ticket(%s, %s, 'Pixel down', 'd', 'portal', 'reporting')$$, :acme, :ada), 'ada'),
   ('a reply and its webhook', 'attack_agent', format($$SELECT support.reply_publicly(%s, %s, 'On it')$$, :t_acme, :tia), 'tia'),
   ('an escalation by hand', 'attack_agent', format($$SELECT support.escalate(%s, %s, 'needs tier 2')$$, :t_acme, :tia), 'tia')
 ) AS s (statement_name, who, statement, key_kind)
 CROSS JOIN LATERAL (SELECT CASE s.key_kind
                              WHEN 'fresh' THEN (SELECT support.issue_key(:tia))
                              WHEN 'ada' THEN :'k_ada'
                              WHEN 'tia' THEN :'k_tia'
                            END AS key) AS k;

SELECT is((SELECT count(*) FROM shadow_attempts), 80::bigint, '16 shadowing types x 5 owner-rights paths were tried');
SELECT is(ARRAY(SELECT DISTINCT run_by::text FROM evil_runs WHERE run_by NOT IN ('attack_agent', 'attack_client')), '{}'::text[],
          'no shadowing type ran the attacker''s code as anyone but the attacker');
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 'attack_agent'), false, 'the attacker is no superuser');
SELECT is(ARRAY(SELECT DISTINCT type_name || ' / ' || statement_name || ': ' || outcome FROM shadow_attempts
                 WHERE outcome <> 'ok' AND statement_name <> 'a keyless ticket insert' ORDER BY 1), '{}'::text[],
          'with a shadowing type in place, every path with a key still works');
SELECT is(ARRAY(SELECT DISTINCT outcome FROM shadow_attempts WHERE statement_name = 'a keyless ticket insert'),
          ARRAY['new row violates row-level security policy for table "tickets"'],
          'a keyless insert is refused by the policies, not by the attacker''s code');

-- shadowed functions and operators (pg_temp is never searched for them,
-- and the owner's paths qualify them anyway)
SET LOCAL ROLE attack_agent;
CREATE FUNCTION pg_temp.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT 'epoch'::timestamptz $$;
CREATE FUNCTION pg_temp.btrim(text) RETURNS text LANGUAGE sql AS $$ SELECT 'shadowed' $$;
RESET ROLE;
SELECT is(pg_temp.value_as('attack_agent', :'k_tia',
          format($$SELECT (support.reply_publicly(%s, %s, 'Still on it') IS NOT NULL)::text$$, :t_acme, :tia)), 'true',
          'shadowing now() and btrim() changes nothing the workflow writes');
SELECT is((SELECT count(*) FROM support.ticket_events WHERE ticket_id = :t_acme AND created_at = 'epoch'), 0::bigint,
          'no event was stamped with the attacker''s clock');

------------------------------------------------------------------------------
-- 2. The extension's trigger functions on a table of one's own
------------------------------------------------------------------------------
SET LOCAL ROLE attack_agent;
CREATE TEMP TABLE fake_tickets (LIKE support.tickets);
CREATE TEMP TABLE fake_events (LIKE support.ticket_events);
RESET ROLE;

-- nobody but the owner may attach one: EXECUTE is not PUBLIC's
SELECT is(ARRAY(
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'support'::regnamespace AND p.prorettype = 'trigger'::regtype
       AND has_function_privilege('attack_agent', p.oid, 'EXECUTE')), '{}'::text[],
    'no trigger function of the extension is executable by a group role');
SELECT is(pg_temp.error_of('attack_agent', :'k_tia', format(
            'CREATE TRIGGER borrowed %s ON pg_temp.%s FOR EACH %s EXECUTE FUNCTION %s()',
            CASE WHEN level = 'ROW' THEN timing || ' INSERT OR UPDATE' ELSE timing || ' INSERT' END,
            relation, level, p.oid::regproc)),
          '42501: permission denied for function support.' || p.proname,
          format('%s cannot be attached to one''s own table (%s %s)', p.proname, timing, level))
  FROM pg_proc p
 CROSS JOIN (VALUES ('BEFORE', 'ROW'), ('AFTER', 'STATEMENT')) AS w (timing, level)
 CROSS JOIN LATERAL (SELECT CASE WHEN p.proname LIKE '%event%' OR p.proname = 'queue_webhooks'
                                 THEN 'fake_events' ELSE 'fake_tickets' END AS relation) AS r
 WHERE p.pronamespace = 'support'::regnamespace AND p.prorettype = 'trigger'::regtype
 ORDER BY p.proname, timing;

-- what PUBLIC may execute is the documented API, the types' support
-- functions and the constraints' checks: no worker's or trigger's helper
SELECT is(ARRAY(SELECT DISTINCT p.proname::text FROM pg_proc p
                 WHERE p.pronamespace = 'support'::regnamespace AND has_function_privilege('public', p.oid, 'EXECUTE')
                 ORDER BY 1),
          ARRAY(SELECT unnest(ARRAY['add_internal_note', 'assign_ticket', 'auth_key_hash', 'auth_key_lookups', 'business_add',
                'business_days_add', 'business_diff', 'business_hours_cmp', 'business_hours_eq', 'business_hours_ge',
                'business_hours_gt', 'business_hours_hash', 'business_hours_in', 'business_hours_le', 'business_hours_lt',
                'business_hours_ne', 'business_hours_out', 'business_hours_recv', 'business_hours_send', 'calendar_row',
                'change_priority',
                'change_status', 'check_time_zone', 'client_role_writes', 'close_ticket', 'current_account_id', 'current_actor_id',
                'current_agent_tier', 'current_assumed_by', 'current_has_second_factor', 'current_is_manager', 'duration_in_words',
                'current_is_super_user', 'current_key_id', 'current_key_kind', 'current_user_id', 'current_user_role',
                'escalate', 'escalate_to_executive', 'int4_to_priority', 'is_email_address', 'is_name', 'is_one_line', 'key_user_id', 'local_time',
                'message_size',
                'open_ticket', 'post_client_message', 'priority_cmp', 'priority_eq', 'priority_ge', 'priority_gt',
                'priority_hash', 'priority_hash_extended', 'priority_in', 'priority_label', 'priority_le',
                'priority_less_urgent', 'priority_lt', 'priority_more_urgent', 'priority_ne', 'priority_out',
                'priority_recv', 'priority_send', 'priority_to_int4', 'rate_ticket', 'record_escalation_call',
                'record_post_incident_review',
                'render_template', 'reply_publicly', 'report_revenue_at_risk', 'request_escalation', 'require_acting_user', 'resolve_ticket',
                'revoke_key', 'send_progress_update', 'set_actor', 'sla_target_around_the_clock', 'template_unknown_variables', 'template_variable_names', 'totp', 'totp_matching_step', 'url_host', 'verify_totp', 'webhook_signature',
                'weekly_hours']
                 || ARRAY(SELECT enum_type || '_' || comparison
                            FROM unnest('{account_role,actor_kind,event_kind,sla_event_kind,sla_target,ticket_status,visibility,worker_action}'::text[]) enum_type,
                                 unnest('{cmp,eq,ge,gt,le,lt,ne}'::text[]) comparison)) ORDER BY 1),
          'PUBLIC executes only the documented API, the types'' functions and the constraints'' checks');
SELECT is(ARRAY(SELECT DISTINCT g.rolname || ': ' || p.proname FROM pg_proc p CROSS JOIN pg_roles g
                 WHERE p.pronamespace = 'support'::regnamespace
                   AND g.rolname IN ('support_client', 'support_agent', 'support_manager', 'support_super_user', 'support_login')
                   AND has_function_privilege(g.oid, p.oid, 'EXECUTE') AND NOT has_function_privilege('public', p.oid, 'EXECUTE')
                 ORDER BY 1),
          ARRAY['support_login: enroll_totp', 'support_login: issue_key',
                'support_manager: active_assumptions', 'support_manager: approve_assumption',
                'support_manager: delivery_worker_state', 'support_manager: next_action_time', 'support_manager: next_delivery',
                'support_manager: requeue_message',
                'support_manager: restoring', 'support_manager: ticket_actions', 'support_manager: worker_state',
                'support_super_user: assume_user_role', 'support_super_user: list_accounts_and_users',
                'support_super_user: release_user_role'],
          'each group executes beyond PUBLIC only its own API (and managers the restore test their configuration writes fire and the next delivery delivery_status shows): no helper of the workflow, the triggers or the workers');

-- attached anyway (a DBA's mistake): every C trigger refuses any table but
-- its own, whatever the look-alike holds, before reading a column
CREATE FUNCTION pg_temp.fire_on_look_alike(trigger_function regproc, shape text, timing text, level text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    outcome text;
BEGIN
    BEGIN
        EXECUTE format('CREATE TEMP TABLE look_alike %s', shape);
        EXECUTE format('CREATE TRIGGER borrowed %s INSERT OR UPDATE ON look_alike FOR EACH %s EXECUTE FUNCTION %s()',
                       timing, level, trigger_function);
        INSERT INTO look_alike DEFAULT VALUES;
        UPDATE look_alike SET account_id = account_id;
        RAISE EXCEPTION 'undo' USING ERRCODE = 'BRK01';
    EXCEPTION
        WHEN SQLSTATE 'BRK01' THEN outcome := 'ok';
        WHEN OTHERS THEN GET STACKED DIAGNOSTICS outcome = RETURNED_SQLSTATE;
            outcome := outcome || ': ' || SQLERRM;
    END;
    RETURN outcome;
END $$;
SELECT is(pg_temp.fire_on_look_alike(p.oid::regproc, shape, timing, level),
          format('39P01: support.%s() fires only on %s, not on %s', p.proname,
                 CASE WHEN p.proname IN ('config_changed', 'outbox_changed', 'refuse_history_change_trigger')
                      THEN 'the tables of schema support'
                      WHEN p.proname LIKE '%event%' OR p.proname = 'queue_webhooks' THEN 'support.ticket_events'
                      WHEN p.proname = 'auth_keys_changed' THEN 'support.auth_keys'
                      ELSE 'support.tickets' END,
                 (SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()) || '.look_alike'),
          format('%s refuses a look-alike (%s, %s %s)', p.proname, shape_name, timing, level))
  FROM pg_proc p
 CROSS JOIN (VALUES ('NULLs', 'AS SELECT * FROM support.tickets WITH NO DATA'),
                    ('wrong types', '(account_id text, ticket_id text, status text, created_at text, sla_paused bytea, subject int, kind int, priority int)'),
                    ('missing columns', '(account_id bigint)')) AS s (shape_name, shape)
 CROSS JOIN (VALUES ('BEFORE', 'ROW'), ('AFTER', 'ROW'), ('AFTER', 'STATEMENT')) AS w (timing, level)
 WHERE p.pronamespace = 'support'::regnamespace AND p.prorettype = 'trigger'::regtype
   AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
 ORDER BY p.proname, shape_name, timing, level;

------------------------------------------------------------------------------
-- 3. Hand-built rows and NULLs for every C function
------------------------------------------------------------------------------
-- support.ticket_actions on a stored ticket with each column in turn NULL:
-- a manager may call it (the worker's schedule); a client may not at all
SELECT is(pg_temp.error_of('attack_client', :'k_ada', 'SELECT support.ticket_actions(NULL::support.tickets)'),
          '42501: permission denied for function ticket_actions', 'clients do not read the worker''s schedule');
SELECT is((SELECT CASE WHEN outcome LIKE 'ERROR:%' THEN outcome ELSE 'answered' END
             FROM pg_temp.value_as('attack_manager', :'k_max', format(
                    $$SELECT count(*)::text FROM support.ticket_actions(jsonb_populate_record(NULL::support.tickets, %L))$$,
                    (SELECT to_jsonb(t) - a.attname FROM support.tickets t WHERE t.ticket_id = :t_acme))) AS outcome),
          CASE WHEN a.attname IN ('account_id', 'priority', 'tier', 'status', 'created_at', 'sla_paused')
               THEN format('ERROR: support.ticket_actions() needs a stored ticket: its %s is NULL', a.attname)
               ELSE 'answered' END,
          format('ticket_actions with a NULL %s: %s, no crash', a.attname,
                 CASE WHEN a.attname IN ('account_id', 'priority', 'tier', 'status', 'created_at', 'sla_paused')
                      THEN 'refused' ELSE 'answered' END))
  FROM pg_attribute a
 WHERE a.attrelid = 'support.tickets'::regclass AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum;
-- the owner (and the worker) get the same clear errors
SELECT is(pg_temp.value_as('postgres', NULL, format(
            $$SELECT count(*)::text FROM support.ticket_actions(jsonb_populate_record(NULL::support.tickets, %L))$$,
            (SELECT to_jsonb(t) - c FROM support.tickets t WHERE t.ticket_id = :t_acme))),
          format('ERROR: support.ticket_actions() needs a stored ticket: its %s is NULL', c),
          format('ticket_actions with a NULL %s, called by the owner: a clear error', c))
  FROM unnest(ARRAY['account_id', 'priority', 'tier', 'status', 'sla_paused']) AS c;
SELECT is(pg_temp.value_as('postgres', NULL,
            'SELECT count(*)::text FROM support.ticket_actions(jsonb_populate_record(NULL::support.tickets, ''{}''))'),
          'ERROR: support.ticket_actions() needs a stored ticket: its account_id is NULL',
          'ticket_actions on an empty row: a clear error');

-- a template is a message, not a memory bomb: cut at 256 kB, never refused
SELECT is(pg_temp.value_as('attack_client', :'k_ada',
            $$SELECT octet_length(r) || ' ' || right(r, 20)
                FROM support.render_template(repeat('{{x}}', 100000), jsonb_build_object('x', repeat('y', 10000))) r$$),
          '262144  [... cut: too long]', 'render_template cuts an output over 256 kB, with a marker');
-- a client's Admin renaming herself to 1.1 MB, or to a second line of text, is refused where written
SELECT is(pg_temp.error_of('attack_client', :'k_ada',
            format($$UPDATE support.account_users SET full_name = repeat('Ada ', 300000) WHERE user_id = %s$$, :ada)),
          '23514: new row for relation "account_users" violates check constraint "names_are_one_short_line"',
          'a 1.1 MB name is refused where it is written');
SELECT is(pg_temp.error_of('attack_client', :'k_ada',
            format($$UPDATE support.account_users SET full_name = E'Ada\nReset your password at https://evil.example' WHERE user_id = %s$$, :ada)),
          '23514: new row for relation "account_users" violates check constraint "names_are_one_short_line"',
          'a name of two lines is refused where it is written');

-- every C function a group role may call, with every argument NULL and
-- with a row of NULLs where it takes a row: an answer or an error, never a crash
CREATE TEMP TABLE c_calls AS
SELECT p.oid::regprocedure AS function_name,
       format('SELECT %s(%s)', p.oid::regproc,
              (SELECT string_agg(CASE WHEN t.typtype = 'c' THEN format('jsonb_populate_record(NULL::%s, ''{}'')', t.oid::regtype)
                                      ELSE format('NULL::%s', t.oid::regtype) END, ', ' ORDER BY o)
                 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a (type_oid, o)
                 JOIN pg_type t ON t.oid = a.type_oid)) AS statement
  FROM pg_proc p
 WHERE p.pronamespace = 'support'::regnamespace
   AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
   AND p.prorettype <> 'trigger'::regtype AND p.prokind = 'f'
   AND NOT 'internal'::regtype = ANY (p.proargtypes::regtype[])
   AND NOT 'cstring'::regtype = ANY (p.proargtypes::regtype[])
   AND p.proretset = false;
SELECT ok(pg_temp.value_as('postgres', NULL, statement) IS DISTINCT FROM 'crashed',
          format('%s with NULL arguments answers or refuses (as the owner)', function_name))
  FROM c_calls ORDER BY function_name::text;
SELECT ok(pg_temp.error_of('attack_agent', :'k_tia', statement) IS NOT NULL,
          format('%s with NULL arguments answers or refuses (as an agent)', function_name))
  FROM c_calls ORDER BY function_name::text;

------------------------------------------------------------------------------
-- 4. Keys: only SET LOCAL in this transaction counts; nobody reads one back
------------------------------------------------------------------------------
-- (Across transactions and through a real pgbouncer: test/t/006_security_keys_and_sessions.pl.)
CREATE FUNCTION pg_temp.key_outcome(who text, setup text, query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    BEGIN
        PERFORM set_config('role', who, true);
        EXECUTE setup;
        EXECUTE query INTO result;
        RAISE EXCEPTION 'undo' USING ERRCODE = 'BRK01', DETAIL = COALESCE(result, '<NULL>');
    EXCEPTION
        WHEN SQLSTATE 'BRK01' THEN GET STACKED DIAGNOSTICS result = PG_EXCEPTION_DETAIL;
        WHEN OTHERS THEN GET STACKED DIAGNOSTICS result = RETURNED_SQLSTATE;
            result := result || ': ' || SQLERRM;
    END;
    RETURN result;
END $$;
SELECT is(pg_temp.key_outcome('attack_agent', format('SET LOCAL support.auth_key = %L', :'k_tia'),
                              'SELECT support.current_user_id()::text'), :'tia',
          'SET LOCAL presents a key');
SELECT is(pg_temp.key_outcome('attack_agent', format('SELECT set_config(''support.auth_key'', %L, true)', :'k_tia'),
                              'SELECT support.current_user_id()::text'), :'tia',
          'set_config(..., true) presents a key');
SELECT is(pg_temp.key_outcome('attack_agent', format('SET support.auth_key = %L', :'k_tia'),
                              'SELECT support.current_user_id()::text'),
          '28000: support.auth_key was not set by SET LOCAL in this transaction',
          'a plain SET never takes effect');
SELECT is(pg_temp.key_outcome('attack_agent', format('SELECT set_config(''support.auth_key'', %L, false)', :'k_tia'),
                              'SELECT support.current_user_id()::text'),
          '28000: support.auth_key was not set by SET LOCAL in this transaction',
          'nor does set_config(..., false)');
-- the pooled-connection trick: a leftover plain SET re-armed by rolling back a local one
CREATE FUNCTION pg_temp.outcome_of(query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    EXECUTE query INTO result;
    RETURN result;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SAVEPOINT before_leftover;
SET LOCAL ROLE attack_agent;
SET support.auth_key = :'k_tia';
SAVEPOINT s;
SET LOCAL support.auth_key = '';
ROLLBACK TO s;
SELECT pg_temp.outcome_of('SELECT support.current_user_id()::text') AS leftover_outcome \gset
ROLLBACK TO before_leftover;
SELECT is(:'leftover_outcome'::text, '28000: support.auth_key was not set by SET LOCAL in this transaction',
          'a leftover key brought back by ROLLBACK TO SAVEPOINT is refused');
SELECT is(pg_temp.error_of('attack_agent', NULL, format(
            $$CREATE FUNCTION pg_temp.with_key_clause() RETURNS text LANGUAGE sql SET support.auth_key = %L
              AS 'SELECT support.current_user_id()::text'$$, :'k_tia')),
          '28000: support.auth_key cannot have a default', 'a function''s SET clause cannot carry a key');
SELECT is(pg_temp.error_of('postgres', NULL, format('ALTER ROLE attack_agent SET support.auth_key = %L', :'k_tia')),
          '28000: support.auth_key cannot have a default', 'nor can a role''s default');
SET LOCAL ROLE attack_agent;
CREATE FUNCTION pg_temp.with_empty_key_clause() RETURNS text LANGUAGE sql
    SET support.auth_key = '' AS $$ SELECT 'returned' $$;
RESET ROLE;
SELECT is(pg_temp.key_outcome('attack_agent',
            format('SET support.auth_key = %L', :'k_tia'),
            $$SELECT support.current_user_id()::text FROM (SELECT pg_temp.with_empty_key_clause()) AS f$$),
          '28000: support.auth_key was not set by SET LOCAL in this transaction',
          'a function''s SET clause does not bring a leftover key back when it returns');
SELECT is(pg_temp.key_outcome('attack_agent',
            format('SET LOCAL support.auth_key = %L; SET LOCAL support.auth_key TO DEFAULT', :'k_tia'),
            'SELECT COALESCE(support.current_user_id()::text, ''no key'')'),
          'no key', 'SET LOCAL ... TO DEFAULT presents no key');
SELECT is(pg_temp.key_outcome('attack_agent', format('SET LOCAL support.auth_key = %L', :'k_tia'),
                              'SELECT current_setting(''support.auth_key'')'), '(hidden)',
          'current_setting does not read a key back');
SELECT is(pg_temp.key_outcome('attack_agent', format('SET support.auth_key = %L', :'k_tia'),
                              'SELECT setting FROM pg_settings WHERE name = ''support.auth_key'''), '<NULL>',
          'nor does pg_settings list it, even for a leftover key');
SELECT is(pg_temp.key_outcome('attack_agent', format('SET support.auth_key = %L', :'k_tia'),
                              $$SELECT string_agg(c, ',') FROM (SELECT current_setting(name) c FROM pg_settings WHERE setting LIKE 'bsk_%') s$$),
          '<NULL>', 'no setting shows a key to a non-superuser');
SELECT is(pg_temp.key_outcome('postgres', format('SET LOCAL support.auth_key = %L', :'k_tia'),
                              'SELECT current_setting(''support.auth_key'')'), :'k_tia',
          'a superuser reads it');

------------------------------------------------------------------------------
-- 5. A login granted several groups acts only as its key's kind
------------------------------------------------------------------------------
-- What one key can see and write, as a vector of probes; 'nothing' for a
-- refusal or an empty answer alike.
CREATE FUNCTION pg_temp.powers(who text, auth_key text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    probe record;
    outcome text;
    powers text[] := '{}';
BEGIN
    FOR probe IN SELECT * FROM (VALUES
        (1, 'tickets', 'SELECT count(*)::text FROM support.tickets'),
        (2, 'internal notes', 'SELECT count(*)::text FROM support.ticket_events WHERE visibility = ''internal'''),
        (3, 'public history', 'SELECT count(*)::text FROM support.ticket_events WHERE visibility = ''public'''),
        (4, 'sla events', 'SELECT count(*)::text FROM support.sla_events'),
        (5, 'agents', 'SELECT count(*)::text FROM support.agents'),
        (6, 'internal channels', 'SELECT count(*)::text FROM support.internal_channels'),
        (7, 'audit', 'SELECT count(*)::text FROM support.assumption_audit'),
        (8, 'agent reply', format($q$WITH i AS (INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body)
                                      SELECT account_id, ticket_id, 'public_reply', support.current_user_id(), 'agent', 'public', 'forged'
                                        FROM support.tickets WHERE ticket_id = %s RETURNING 1) SELECT count(*)::text FROM i$q$,
                                   current_setting('attack.t_acme'))),
        (9, 'outbox', format($q$WITH i AS (INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body)
                                 SELECT account_id, ticket_id, 'email', 'x@evil.example', 'S', 'B'
                                   FROM support.tickets WHERE ticket_id = %s RETURNING 1) SELECT count(*)::text FROM i$q$,
                              current_setting('attack.t_acme'))),
        (10, 'ticket edit', format($q$WITH u AS (UPDATE support.tickets SET subject = subject || '.' WHERE ticket_id = %s RETURNING 1)
                                     SELECT count(*)::text FROM u$q$, current_setting('attack.t_acme')))
      ) AS p (position, name, statement) ORDER BY position
    LOOP
        BEGIN
            PERFORM set_config('role', who, true);
            PERFORM set_config('support.auth_key', COALESCE(auth_key, ''), true);
            EXECUTE probe.statement INTO outcome;
            RAISE EXCEPTION 'undo' USING ERRCODE = 'BRK01', DETAIL = outcome;
        EXCEPTION
            WHEN SQLSTATE 'BRK01' THEN GET STACKED DIAGNOSTICS outcome = PG_EXCEPTION_DETAIL;
            WHEN insufficient_privilege OR invalid_authorization_specification THEN outcome := 'nothing';
        END;
        powers := powers || (probe.name || '=' || CASE WHEN outcome = '0' THEN 'nothing' ELSE outcome END);
    END LOOP;
    RETURN array_to_string(powers, '; ');
END $$;
SELECT set_config('attack.t_acme', :'t_acme', true);

-- every non-empty combination of the four groups
CREATE TEMP TABLE combinations AS
SELECT 'attack_combo_' || string_agg(g.short, '_' ORDER BY g.position) AS role_name,
       array_agg(g.group_name ORDER BY g.position) AS groups
  FROM generate_series(1, 15) AS c (mask)
  JOIN (VALUES (1, 'c', 'support_client'), (2, 'a', 'support_agent'), (3, 'm', 'support_manager'),
               (4, 's', 'support_super_user')) AS g (position, short, group_name)
    ON (c.mask >> (g.position - 1)) & 1 = 1
 GROUP BY c.mask;
DO $$
DECLARE
    combination record;
BEGIN
    FOR combination IN SELECT * FROM combinations LOOP
        EXECUTE format('CREATE ROLE %I LOGIN IN ROLE %s', combination.role_name,
                       (SELECT string_agg(quote_ident(g), ', ') FROM unnest(combination.groups) g));
    END LOOP;
END $$;
CREATE TEMP TABLE key_kinds (kind_name text, key_value text, group_name text);
INSERT INTO key_kinds VALUES
  ('client admin', :'k_ada', 'support_client'), ('reporting manager', :'k_rex', 'support_client'),
  ('agent', :'k_tia', 'support_agent'), ('manager', :'k_max', 'support_manager'),
  ('super user', :'k_sue', 'support_super_user');

-- the powers of each key through the one group it belongs to, and through nothing
CREATE TEMP TABLE single_group_powers AS
SELECT k.kind_name, pg_temp.powers(single.role_name, k.key_value) AS powers
  FROM key_kinds k
  JOIN combinations single ON single.groups = ARRAY[k.group_name];
SELECT pg_temp.powers('attack_nobody', :'k_tia') AS no_powers \gset

SELECT isnt((SELECT powers FROM single_group_powers WHERE kind_name = 'agent'), :'no_powers',
            'the probes tell an agent''s powers from none');
SELECT is(pg_temp.powers(c.role_name, k.key_value),
          CASE WHEN k.group_name = ANY (c.groups) THEN s.powers ELSE :'no_powers' END,
          format('%s key through a login in %s: %s', k.kind_name, array_to_string(c.groups, ', '),
                 CASE WHEN k.group_name = ANY (c.groups) THEN 'exactly its own group''s powers' ELSE 'no powers' END))
  FROM combinations c CROSS JOIN key_kinds k JOIN single_group_powers s USING (kind_name)
 ORDER BY c.role_name, k.kind_name;
-- the finding itself: the console's client key reads no internal note and forges no agent reply
SELECT is(pg_temp.value_as('attack_combo_c_a_s', :'k_rex',
          'SELECT count(*)::text FROM support.ticket_events WHERE visibility = ''internal'''), '0',
          'a reporting manager''s key on a console login reads no internal note');
SELECT is(pg_temp.error_of('attack_combo_c_a_s', :'k_ada', format(
            $$INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body)
              VALUES (%s, %s, 'public_reply', %s, 'agent', 'public', 'forged')$$, :acme, :t_acme, :ada)),
          '42501: new row violates row-level security policy for table "ticket_events"',
          'nor does a client admin''s key forge an agent''s reply');

------------------------------------------------------------------------------
-- 6. Columns a rule owns change only through its function
------------------------------------------------------------------------------
-- a different value for any column, whatever its type
CREATE FUNCTION pg_temp.other_value(column_name text, type_name text) RETURNS text
LANGUAGE sql AS $$
SELECT CASE
    WHEN column_name = 'channel' THEN '(SELECT min(c.channel) FROM support.channels c WHERE c.channel <> tickets.channel)'
    WHEN column_name = 'category' THEN '(SELECT min(c.category) FROM support.categories c WHERE c.category <> tickets.category)'
    WHEN type_name = 'boolean' THEN format('NOT COALESCE(%I, false)', column_name)
    WHEN type_name IN ('bigint', 'integer', 'smallint') OR type_name LIKE 'numeric%' THEN format('COALESCE(%I, 0) + 1', column_name)
    WHEN type_name = 'timestamp with time zone' THEN format('COALESCE(%I, now()) + interval ''1 hour''', column_name)
    WHEN type_name = 'interval' THEN format('COALESCE(%I, interval ''0'') + interval ''1 hour''', column_name)
    WHEN type_name = 'text' THEN format('COALESCE(%I, '''') || ''!''', column_name)
    WHEN type_name = 'support.priority' THEN format('CASE WHEN %I::text = ''P1'' THEN ''P2'' ELSE ''P1'' END::support.priority', column_name)
    WHEN type_name = 'support.ticket_status' THEN format('CASE WHEN %I::text = ''closed'' THEN ''new'' ELSE ''closed'' END::support.ticket_status', column_name)
    WHEN type_name = 'tstzmultirange' THEN format('%I + tstzmultirange(tstzrange(''2020-01-01'', ''2020-01-02''))', column_name)
    ELSE format('%I', column_name)
END $$;
CREATE TEMP TABLE ticket_columns AS
SELECT a.attnum, a.attname::text AS column_name, format_type(a.atttypid, a.atttypmod) AS type_name,
       CASE WHEN a.attname IN ('subject', 'description') THEN 'anyone'
            WHEN a.attname IN ('channel', 'category', 'service_outage', 'revenue_impact', 'security_or_data_integrity',
                               'campaign_delivery_failure', 'peak_period', 'api_failure', 'workaround_available',
                               'multi_client_impact') THEN 'staff'
            ELSE 'workflow' END AS writer
  FROM pg_attribute a
 WHERE a.attrelid = 'support.tickets'::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
SELECT is((SELECT count(*) FROM ticket_columns WHERE writer = 'workflow' AND type_name NOT IN
             ('boolean', 'bigint', 'integer', 'smallint', 'timestamp with time zone', 'interval', 'text',
              'support.priority', 'support.ticket_status', 'tstzmultirange')
             AND type_name NOT LIKE 'numeric%'), 0::bigint,
          'every owned column''s type gets a different value in these probes');

SELECT is(pg_temp.error_of(who, key, format('UPDATE support.tickets SET %I = %s WHERE ticket_id = %s',
                                            c.column_name, pg_temp.other_value(c.column_name, c.type_name), :t_acme)),
          CASE WHEN c.writer = 'anyone' OR (c.writer = 'staff' AND who <> 'attack_client') THEN 'ok'
               ELSE format('42501: %s of ticket %s cannot be changed by UPDATE', c.column_name, :t_acme) END,
          format('%s: a direct UPDATE of %s (%s)', who, c.column_name,
                 CASE WHEN c.writer = 'anyone' OR (c.writer = 'staff' AND who <> 'attack_client') THEN 'allowed' ELSE 'refused' END))
  FROM ticket_columns c
 CROSS JOIN (VALUES ('attack_agent', :'k_tia'), ('attack_manager', :'k_max'), ('attack_client', :'k_ada')) AS w (who, key)
 ORDER BY who, c.attnum;

-- the refusal names what to call
CREATE FUNCTION pg_temp.hint_of(who text, auth_key text, statement text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    hint text;
BEGIN
    PERFORM set_config('role', who, true);
    PERFORM set_config('support.auth_key', auth_key, true);
    EXECUTE statement;
    RAISE EXCEPTION 'no error';
EXCEPTION WHEN insufficient_privilege THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RETURN hint;
END $$;
SELECT is(pg_temp.hint_of('attack_agent', :'k_tia', format('UPDATE support.tickets SET priority = ''P1'' WHERE ticket_id = %s', :t_acme)),
          'To change it, call support.change_priority() with a reason.', 'a priority change names change_priority');
SELECT is(pg_temp.hint_of('attack_agent', :'k_tia', format('UPDATE support.tickets SET satisfaction_rating = 5 WHERE ticket_id = %s', :t_acme)),
          'To change it, call support.rate_ticket().', 'a forged rating names rate_ticket');
SELECT is(pg_temp.hint_of('attack_client', :'k_ada', format('UPDATE support.tickets SET status = ''pending_client'' WHERE ticket_id = %s', :t_acme)),
          'To change it, call support.change_status(), support.resolve_ticket() or support.close_ticket().',
          'a client''s status change (pausing the clocks) names the lifecycle functions');
-- the bulk moves of the review
SELECT is(pg_temp.error_of('attack_agent', :'k_tia', 'UPDATE support.tickets SET tier = 3'),
          format('42501: tier of ticket %s cannot be changed by UPDATE', :t_acme),
          'an agent cannot move every ticket of their tier to tier 3');
SELECT is(pg_temp.error_of('attack_agent', :'k_tia', 'UPDATE support.tickets SET actions_checked_at = ''infinity'''),
          format('42501: actions_checked_at of ticket %s cannot be changed by UPDATE', :t_acme),
          'nor silence the worker on them');
SELECT is(pg_temp.value_as('attack_agent', :'k_tia', 'WITH u AS (UPDATE support.tickets SET subject = subject RETURNING account_id) SELECT string_agg(DISTINCT account_id::text, '','') FROM u'),
          (SELECT string_agg(DISTINCT account_id::text, ',') FROM support.tickets WHERE tier = 1 OR assignee_id = :tia),
          'a bulk edit reaches only the tickets the agent may work');
-- the functions still do what the columns refuse
SELECT is(pg_temp.value_as('attack_agent', :'k_tia', format($$SELECT (support.change_priority(%s, 'P2', %s, 'client confirmed impact')).priority::text$$, :t_acme, :tia)),
          'P2', 'change_priority changes the priority the UPDATE may not');
SELECT is(pg_temp.value_as('attack_agent', :'k_tia', format($$SELECT (support.change_priority(%s, 'P2', %s, 'Globex too')).priority::text$$, :t_globex, :tia)),
          'P2', 'the agent''s tier covers Globex''s tier-1 ticket too');
SELECT is(pg_temp.value_as('attack_client', :'k_ada', format($$SELECT (support.close_ticket(%s, %s)).status::text$$, :t_globex, :ada)),
          format('ERROR: ticket %s does not exist', :t_globex), 'an owner-rights function still sees only the caller''s tickets');
SELECT is(pg_temp.value_as('attack_client', :'k_rex', format($$SELECT (support.close_ticket(%s, %s)).status::text$$, :t_acme, :rex)),
          format('ERROR: ticket %s is read-only for user %s', :t_acme, :rex), 'and a Reporting Manager still only reads');

------------------------------------------------------------------------------
-- 7. Nothing reaches the mail envelope or a header but one clean line
------------------------------------------------------------------------------
-- staff reach clients through the workflow, never by a raw outbox row: it
-- could mail anyone from the desk's sender, or carry the desk's webhook
-- signature over any payload
SELECT is(pg_temp.error_of(who, key, format(
            $$INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body)
              VALUES (%s, %s, %L, %L, 'Refund approved', '{"kind":"ticket_closed","refund_approved":true}')$$,
            :acme, :t_acme, destination, target)),
          '42501: permission denied for table outbound_messages',
          format('%s cannot queue a raw %s message', who, destination))
  FROM (VALUES ('attack_agent', :'k_tia', 'email', 'anyone@evil.example'),
               ('attack_agent', :'k_tia', 'webhook', 'jira'),
               ('attack_manager', :'k_max', 'email', 'anyone@evil.example'),
               ('attack_manager', :'k_max', 'webhook', 'jira'),
               ('attack_client', :'k_ada', 'email', 'anyone@evil.example')) AS t (who, key, destination, target);
SELECT is(pg_temp.error_of('attack_agent', :'k_tia', 'SELECT support.new_message_key()'),
          '42501: permission denied for function new_message_key', 'nor draw message keys of its own');
-- and the outbox's own constraints still hold for the desk's own paths
SELECT is(pg_temp.error_of('postgres', NULL, format(
            $$INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body)
              VALUES (%s, %s, 'email', %L, 'S', 'B')$$, :acme, :t_acme, target)),
          format('23514: new row for relation "outbound_messages" violates check constraint "%s"', constraint_name),
          'an email to ' || description || ' is refused')
  FROM (VALUES (E'ada@acme.example>\r\nRCPT TO:<spy@evil.example', 'email_targets_are_addresses', 'a smuggled RCPT TO'),
               (E'ada@acme.example\n', 'email_targets_are_addresses', 'an address with a line feed'),
               ('ada@acme.example> NOTIFY=NEVER', 'email_targets_are_addresses', 'an address with SMTP parameters'),
               ('<ada@acme.example>', 'email_targets_are_addresses', 'an address in brackets'),
               ('ada', 'email_targets_are_addresses', 'no domain'),
               ('ada@acme', 'email_targets_are_addresses', 'a bare host'),
               (repeat('a', 250) || '@acme.example', 'email_targets_are_addresses', 'an address over 254 characters'))
       AS t (target, constraint_name, description);
SELECT is(support.is_email_address(a), ok, format('is_email_address(%L)', a))
  FROM (VALUES ('ada@acme.example', true), ('o''brien+ads@mail.acme-ads.example', true), ('a.b.c@x-y.example', true),
               ('.ada@acme.example', false), ('ada.@acme.example', false), ('a..b@acme.example', false),
               ('ada@acme', false), ('ada@-acme.example', false), ('ada@acme-.example', false), ('ada@acme..example', false),
               ('ada@@acme.example', false), ('ada@acme.example@evil.example', false), ('@acme.example', false),
               ('ada@', false), ('ada acme@x.example', false), ('"ada"@acme.example', false), ('ada@[127.0.0.1]', false),
               (E'ada@acme.example\r', false), ('ada@' || repeat('a', 64) || '.example', false),
               (repeat('a', 64) || '@' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 58) || '.ex', true),
               (repeat('a', 64) || '@' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 59) || '.ex', false))
       AS t (a, ok);
SELECT is(support.is_one_line(v), ok, format('is_one_line(%L)', v))
  FROM (VALUES ('Re: #1', true), ('', true), (E'a\rb', false), (E'a\nb', false), (E'\r\n', false)) AS t (v, ok);
SELECT is(pg_temp.error_of('postgres', NULL, format(
            $$INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body)
              VALUES (%s, %s, 'email', 'ada@acme.example', %L, 'B')$$, :acme, :t_acme, E'Hello\r\nBcc: spy@evil.example')),
          '23514: new row for relation "outbound_messages" violates check constraint "subjects_are_one_line"',
          'a subject that would add a header is refused');
SELECT is(pg_temp.error_of('postgres', NULL, format(
            $$INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body)
              VALUES (%s, %s, 'email', 'o''brien+ads@mail.acme-ads.example', 'Re: #1', 'B')$$, :acme, :t_acme)),
          'ok', 'a real address with a quote, a plus and a hyphenated domain is accepted');
SELECT is(pg_temp.error_of('attack_client', :'k_ada', format(
            $$SELECT support.open_ticket(%s, %s, %L)$$, :acme, :ada, E'Pixel down\r\nBcc: spy@evil.example')),
          '23514: new row for relation "tickets" violates check constraint "subjects_are_one_line"',
          'a ticket whose subject would add a header to its acknowledgment is refused when it is opened');
SELECT is(pg_temp.error_of('attack_client', :'k_ada', format(
            $$UPDATE support.tickets SET subject = %L WHERE ticket_id = %s$$, E'New\nsubject', :t_acme)),
          '23514: new row for relation "tickets" violates check constraint "subjects_are_one_line"',
          'and when it is edited');
SELECT is(pg_temp.error_of('postgres', NULL, format(
            $$INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body)
              VALUES (%s, %s, 'slack', %L, 'S', 'B')$$, :acme, :t_acme, E'#ops\r\n#elsewhere')),
          '23514: new row for relation "outbound_messages" violates check constraint "targets_are_one_line"',
          'a Slack target is one line too');
SELECT is(pg_temp.error_of('attack_client', :'k_ada', format(
            $$INSERT INTO support.account_users (account_id, email, full_name, role)
              VALUES (%s, %L, 'Eve', 'campaign_manager')$$, :acme, 'eve@acme.example>,x')),
          '23514: new row for relation "account_users" violates check constraint "emails_are_addresses"',
          'an Admin cannot give a user an address that carries a second recipient');

------------------------------------------------------------------------------
-- 9. Errors never tell of another account
------------------------------------------------------------------------------
SELECT unalike(pg_temp.error_of(who, key, format(statement, ticket, actor)), '%account%',
               format('%s (%s) says nothing of the ticket''s account', description, COALESCE(who, '') || CASE WHEN key IS NULL THEN ', no key' ELSE '' END))
  FROM (VALUES ('rate_ticket', 'SELECT support.rate_ticket(%s, %s, 1, ''awful'')'),
               ('request_escalation', 'SELECT support.request_escalation(%s, %s, ''urgent'')'),
               ('close_ticket', 'SELECT support.close_ticket(%s, %s)'),
               ('post_client_message', 'SELECT support.post_client_message(%s, %s, ''hello'')')) AS f (description, statement)
 CROSS JOIN (VALUES ('attack_client', NULL, :t_acme, :gil), ('attack_client', :'k_gil', :t_acme, :gil),
                    ('attack_client', :'k_ada', :t_globex, :ada)) AS c (who, key, ticket, actor);


-- which user ids are active users of another account is not an answer either
SELECT is(pg_temp.error_of('attack_client', :'k_ada', format($$SELECT support.open_ticket(%s, %s, 'Probe')$$, account, probed)),
          format('42501: user %s is not an active user of account %s', probed, account),
          format('open_ticket(%s, %s) says the same as for any user who is not Ada''s colleague (%s)', account, probed, description))
  FROM (VALUES (:globex, :gil, 'Globex''s active Admin'), (:globex, 999999, 'nobody'), (:acme, :gil, 'Globex''s Admin at Acme'),
               (999999, :gil, 'no account')) AS t (account, probed, description);
-- sequences: each group draws only from those of the tables it inserts into
-- (a ticket's number tells its client how many tickets the desk opened
-- since the last one, as any desk-wide numbering does; that is accepted)
SELECT is(ARRAY(SELECT g.rolname || ': ' || s.relname FROM pg_class s CROSS JOIN pg_roles g
                 WHERE s.relnamespace = 'support'::regnamespace AND s.relkind = 'S'
                   AND g.rolname IN ('support_client', 'support_agent', 'support_manager', 'support_super_user', 'support_login')
                   AND has_sequence_privilege(g.oid, s.oid, 'USAGE') ORDER BY 1),
          ARRAY['support_agent: event_id_seq', 'support_agent: ticket_id_seq',
                'support_client: event_id_seq', 'support_client: ticket_id_seq', 'support_client: user_id_seq',
                'support_manager: account_id_seq', 'support_manager: calendar_id_seq', 'support_manager: dissatisfaction_rule_id_seq',
                'support_manager: event_id_seq', 'support_manager: revenue_threshold_id_seq', 'support_manager: ticket_id_seq',
                'support_manager: triage_rule_id_seq', 'support_manager: user_id_seq'],
          'the groups use only the sequences of the tables they insert into');
SELECT is(ARRAY(SELECT g.rolname || ': ' || s.relname FROM pg_class s CROSS JOIN pg_roles g
                 WHERE s.relnamespace = 'support'::regnamespace AND s.relkind = 'S'
                   AND g.rolname LIKE 'support_%' AND has_sequence_privilege(g.oid, s.oid, 'UPDATE') ORDER BY 1),
          '{}'::text[], 'and none may setval');

------------------------------------------------------------------------------
-- 8. An assumption ends with its super user's key or rights, not its backend
------------------------------------------------------------------------------
-- (Surviving a pool's closed connection and a restart: test/t/006_security_keys_and_sessions.pl.)
SET LOCAL ROLE attack_login;
SELECT support.enroll_totp(:sue) AS sue_secret \gset
RESET ROLE;
SELECT support.totp(:'sue_secret'::bytea) AS sue_code \gset
SET LOCAL ROLE attack_login;
SELECT support.issue_key(:sue, '8 hours', :'sue_code') AS k_sue_mfa \gset
RESET ROLE;
SELECT pg_temp.kept_value('attack_super', :'k_sue_mfa',
       format('SELECT auth_key FROM support.assume_user_role(%s, ''Ticket #%s: report shows zero spend'')', :rex, :t_acme)) AS k_as_rex \gset
SELECT is(pg_temp.value_as('attack_client', :'k_as_rex', 'SELECT count(*)::text FROM support.tickets'),
          (SELECT count(*)::text FROM support.tickets WHERE account_id = :acme), 'the assumed key works');
-- the sixth kind of key, an assumed user's, through every combination of groups:
-- exactly the assumed Reporting Manager's powers, or none
SELECT pg_temp.powers('attack_combo_c', :'k_rex') AS rex_powers \gset
SELECT is(pg_temp.powers(c.role_name, :'k_as_rex'),
          CASE WHEN 'support_client' = ANY (c.groups) THEN :'rex_powers' ELSE :'no_powers' END,
          format('an assumed Reporting Manager''s key through a login in %s: %s', array_to_string(c.groups, ', '),
                 CASE WHEN 'support_client' = ANY (c.groups) THEN 'exactly her powers' ELSE 'no powers' END))
  FROM combinations c ORDER BY c.role_name;
SELECT is((SELECT session_slot IS NOT NULL FROM support.auth_keys WHERE key_hash = support.auth_key_hash(:'k_as_rex')), true,
          'the backend that assumed it is still recorded, for the audit');

-- (each change is undone after its outcome is read: pgTAP's results must not be rolled back)
SAVEPOINT demoted;
UPDATE support.agents SET is_super_user = false WHERE agent_id = :sue;
SELECT pg_temp.error_of('attack_client', :'k_as_rex', 'SELECT count(*) FROM support.tickets') AS demoted_outcome,
       (SELECT details->>'reason' FROM support.assumption_audit WHERE assumed_by = :sue AND action = 'expired') AS demoted_audit \gset
ROLLBACK TO demoted;
SELECT is(:'demoted_outcome'::text, '28000: support.auth_key was released',
          'a super user who loses the role loses the assumption at once');
SELECT is(:'demoted_audit'::text, 'the super user is no longer an active super user', 'and the trail says why');
SAVEPOINT deactivated;
-- written behind the trigger's back (a restore, say): the lookup refuses it anyway
ALTER TABLE support.agents DISABLE TRIGGER super_user_rights_changed;
UPDATE support.agents SET active = false WHERE agent_id = :sue;
ALTER TABLE support.agents ENABLE TRIGGER super_user_rights_changed;
SELECT pg_temp.error_of('attack_client', :'k_as_rex', 'SELECT count(*) FROM support.tickets') AS deactivated_outcome,
       support.expire_assumptions() AS swept \gset
ROLLBACK TO deactivated;
SELECT is(:'deactivated_outcome'::text,
          '28000: support.auth_key ended: the super user who assumed it is no longer an active super user',
          'a deactivated super user''s assumption is refused by the key lookup itself');
SELECT is(:'swept'::int, 1, 'the worker''s sweep then ends and audits it');
SAVEPOINT logged_out;
SELECT support.revoke_key(:'k_sue_mfa');
SELECT pg_temp.error_of('attack_client', :'k_as_rex', 'SELECT count(*) FROM support.tickets') AS logged_out_outcome \gset
ROLLBACK TO logged_out;
SELECT is(:'logged_out_outcome'::text, '28000: support.auth_key was released', 'logging out ends it');
SAVEPOINT parent_expired;
UPDATE support.auth_keys SET expires_at = now() - interval '1 second' WHERE key_hash = support.auth_key_hash(:'k_sue_mfa');
SELECT pg_temp.error_of('attack_client', :'k_as_rex', 'SELECT count(*) FROM support.tickets') AS parent_expired_outcome \gset
ROLLBACK TO parent_expired;
SELECT is(:'parent_expired_outcome'::text, '28000: support.auth_key ended with the key that assumed it',
          'so does the super user''s key expiring');
SELECT is(pg_temp.value_as('attack_client', :'k_as_rex', 'SELECT count(*)::text FROM support.tickets'),
          (SELECT count(*)::text FROM support.tickets WHERE account_id = :acme), 'and nothing else does');


------------------------------------------------------------------------------
-- Opt-in: a role that must always present a key
------------------------------------------------------------------------------
SAVEPOINT require_key;
SET LOCAL support.require_key = on;
SELECT pg_temp.error_of('attack_client', NULL, 'SELECT count(*) FROM support.tickets') AS keyless_outcome,
       pg_temp.value_as('attack_client', :'k_ada', 'SELECT count(*)::text FROM support.tickets') AS keyed_outcome,
       pg_temp.error_of('attack_client', NULL, 'SET support.require_key = off') AS turn_off_outcome \gset
ROLLBACK TO require_key;
SELECT is(:'keyless_outcome'::text, '28000: support.auth_key is required for role "attack_client"',
          'with support.require_key, a statement without a key fails instead of seeing nothing');
SELECT is(:'keyed_outcome'::text, (SELECT count(*)::text FROM support.tickets WHERE account_id = :acme), 'a key still works');
SELECT is(:'turn_off_outcome'::text, '42501: permission denied to set parameter "support.require_key"',
          'and the role cannot turn it off');


------------------------------------------------------------------------------
-- Secrets: managers configure endpoints but read back no URL or secret
------------------------------------------------------------------------------
SELECT is(pg_temp.error_of('attack_manager', :'k_max', format('SELECT %I FROM support.delivery_endpoints', c)),
          '42501: permission denied for table delivery_endpoints', format('a manager cannot read an endpoint''s %s', c))
  FROM unnest(ARRAY['url', 'secret', 'username']) AS c;
SELECT is(pg_temp.error_of('attack_manager', :'k_max',
            $$UPDATE support.delivery_endpoints SET url = 'http://127.0.0.1:9/hook-rotated' WHERE endpoint = 'jira'$$),
          'ok', 'but can rotate it on the same host');

-- where the desk delivers is a DBA's: a manager rotates a URL on its host, nothing more
SELECT is(pg_temp.error_of('attack_manager', :'k_max',
            $$UPDATE support.delivery_endpoints SET url = 'https://mail.evil.example/collect' WHERE endpoint = 'jira'$$),
          '42501: only a superuser may set where endpoint "jira" delivers (https://mail.evil.example) and as whom',
          'a manager cannot point an endpoint at a server of theirs');
SELECT is(pg_temp.error_of('attack_manager', :'k_max',
            $$INSERT INTO support.delivery_endpoints (endpoint, destination, url, sender) VALUES ('mail2', 'email', 'smtp://mail.evil.example', 'desk@bedrock.example')$$),
          '42501: only a superuser may set where endpoint "mail2" delivers (smtp://mail.evil.example) and as whom',
          'nor add one');
SELECT is(pg_temp.error_of('attack_manager', :'k_max',
            $$UPDATE support.delivery_endpoints SET url = 'http://user@127.0.0.1:9/rotated' WHERE endpoint = 'jira'$$),
          '42501: only a superuser may set where endpoint "jira" delivers (http://127.0.0.1:9) and as whom',
          'credentials in a URL name whose account it is: changing them is a DBA''s, even on the same host');
SELECT is(pg_temp.error_of('attack_manager', :'k_max',
            $$UPDATE support.delivery_endpoints SET plain_text_on_loopback = true WHERE endpoint = 'jira'$$),
          '42501: only a superuser may set where endpoint "jira" delivers (http://127.0.0.1:9) and as whom',
          'nor let mail go out without TLS');
SELECT is(pg_temp.error_of('postgres', NULL,
            $$INSERT INTO support.delivery_endpoints (endpoint, destination, url, sender, plain_text_on_loopback)
              VALUES ('relay', 'email', 'smtp://mail.example.com:25', 'desk@bedrock.example', true)$$),
          '23514: new row for relation "delivery_endpoints" violates check constraint "plain_text_only_on_loopback"',
          'even a DBA sends mail in plain text only to this machine''s loopback');
SELECT is(pg_temp.error_of('postgres', NULL,
            $$INSERT INTO support.delivery_endpoints (endpoint, destination, url, sender, plain_text_on_loopback)
              VALUES ('relay', 'email', 'smtp://127.0.0.1:25', 'desk@bedrock.example', true)$$),
          'ok', 'a local relay may be plain text');
SELECT is(pg_temp.error_of('attack_manager', :'k_max', format($$UPDATE support.delivery_endpoints SET %s WHERE endpoint = 'jira'$$, change)),
          format('42501: only a superuser may set where endpoint "%s" delivers (%s) and as whom', endpoint, origin),
          format('nor %s', description))
  FROM (VALUES ($$url = 'https://127.0.0.1:9/hook'$$, 'jira', 'https://127.0.0.1:9', 'change its scheme'),
               ($$url = 'http://127.0.0.1:10/hook'$$, 'jira', 'http://127.0.0.1:10', 'change its port'),
               ($$endpoint = '*'$$, '*', 'http://127.0.0.1:9', 'rename it (to catch every channel''s messages)'),
               ($$destination = 'slack'$$, 'jira', 'http://127.0.0.1:9', 'change its destination')) AS t (change, endpoint, origin, description);
SELECT is(support.url_origin(u), o, format('the origin of %s', u))
  FROM (VALUES ('https://hooks.slack.com/services/T0/B0/x', 'https://hooks.slack.com'),
               ('smtp://user:pw@Mail.Example.COM:587/x', 'smtp://mail.example.com:587'),
               ('http://[::1]:8080/x', 'http://[::1]:8080'),
               ('https://hooks.slack.com@evil.example/', 'https://evil.example'),
               ('not a url', NULL)) AS t (u, o);
SELECT is(support.url_host(u), h, format('the host of %s', u))
  FROM (VALUES ('https://hooks.slack.com/services/T0/B0/x', 'hooks.slack.com'),
               ('smtp://user:pw@Mail.Example.COM:587', 'mail.example.com'),
               ('http://[::1]:8080/x', '[::1]'),
               ('https://evil.example#@hooks.slack.com/', 'evil.example'),
               ('https://hooks.slack.com@evil.example/', 'evil.example'),
               ('not a url', NULL)) AS t (u, h);

------------------------------------------------------------------------------
-- Staff powers are audited, and keep the two-person rule of a sensitive account
------------------------------------------------------------------------------
INSERT INTO support.agents (email, full_name, tier, is_support_manager) VALUES ('mia@bedrock.example', 'Mia Manager', 3, true);
SELECT agent_id AS mia FROM support.agents WHERE email = 'mia@bedrock.example' \gset
SET LOCAL ROLE attack_login;
SELECT support.issue_key(:mia) AS k_mia \gset
RESET ROLE;
-- the review's attack: a manager makes themselves a super user and Globex non-sensitive
UPDATE support.accounts SET sensitive = true WHERE account_id = :globex;
SELECT is(pg_temp.kept_value('attack_manager', :'k_max',
            format('WITH u AS (UPDATE support.agents SET is_super_user = true WHERE agent_id = %s RETURNING 1) SELECT count(*)::text FROM u', :max)),
          '1', 'a manager can still grant super-user rights (a manager''s job)');
SELECT is(pg_temp.kept_value('attack_manager', :'k_max',
            format('WITH u AS (UPDATE support.accounts SET sensitive = false WHERE account_id = %s RETURNING 1) SELECT count(*)::text FROM u', :globex)),
          '1', 'and mark an account non-sensitive');
SELECT results_eq(
    format($$SELECT kind, changed_by, subject_id, details::text FROM support.security_audit
              WHERE kind IN ('staff_rights', 'account_sensitivity') AND changed_by = %s ORDER BY audit_id$$, :max),
    format($$VALUES ('staff_rights', %s::bigint, %s::bigint, '{"active": [true, true], "manager": [true, true], "super_user": [false, true]}'),
                    ('account_sensitivity', %s::bigint, %s::bigint, '{"sensitive": [true, false]}')$$, :max, :max, :max, :globex),
    'both changes are in the append-only trail, with who made them');
SELECT is(pg_temp.value_as('attack_manager', :'k_mia', 'SELECT count(*)::text FROM support.security_audit'),
          (SELECT count(*)::text FROM support.security_audit), 'another manager reads the trail');
SELECT is(pg_temp.error_of('attack_manager', :'k_mia', 'DELETE FROM support.security_audit'),
          '42501: permission denied for table security_audit', 'nobody but the owner could even try to delete it');
SELECT is(pg_temp.error_of('postgres', NULL, 'DELETE FROM support.security_audit'),
          '42501: security_audit is append-only', 'and the owner is refused too');
-- Max, now a super user with a second factor, tries to assume Gil at the just-made-non-sensitive Globex
SELECT support.enroll_totp(:max) AS max_secret \gset
SET LOCAL ROLE attack_login;
SELECT support.issue_key(:max, '8 hours', support.totp(:'max_secret'::bytea)) AS k_max_mfa \gset
RESET ROLE;
SELECT is(pg_temp.error_of('attack_super', :'k_max_mfa', format('SELECT * FROM support.assume_user_role(%s, ''Ticket #1: checking the totals'')', :gil)),
          format('42501: account %s is sensitive: assuming its users needs a support manager''s approval', :globex),
          'an account made non-sensitive an hour ago still needs an approval');
SELECT is(pg_temp.error_of('attack_manager', :'k_max', format('SELECT support.approve_assumption(%s, %s, ''INC-1'')', :globex, :sue)),
          format('42501: a support manager who changed super-user or manager rights, the assumption policy or account %s''s sensitivity in the last 24 hours cannot approve an assumption', :globex),
          'and the manager who changed the powers cannot approve one (for anyone)');
SELECT ok(pg_temp.kept_value('attack_manager', :'k_mia', format('SELECT support.approve_assumption(%s, %s, ''INC-1: Globex totals'')', :globex, :max)) IS NOT NULL,
          'another manager can');
SELECT alike(pg_temp.value_as('attack_super', :'k_max_mfa', format('SELECT auth_key FROM support.assume_user_role(%s, ''Ticket #1: checking the totals'')', :gil)),
            'bsk_%', 'with that approval the assumption goes ahead');
SELECT is(pg_temp.value_as('attack_manager', :'k_max',
            format('SELECT support.approve_assumption(%s, %s, ''self-service'')', :acme, :sue)),
          format('ERROR: a support manager who changed super-user or manager rights, the assumption policy or account %s''s sensitivity in the last 24 hours cannot approve an assumption', :acme),
          'for 24 hours the changer approves nothing');

-- the review's second attack: renumbering rows to move rights onto a key one holds
SELECT is(pg_temp.error_of('attack_manager', :'k_mia', format('UPDATE support.agents SET agent_id = 100000 WHERE agent_id = %s', :tia)),
          '42501: permission denied for table agents', 'a manager cannot renumber an agent');
SELECT is(pg_temp.error_of('attack_manager', :'k_mia',
            $$INSERT INTO support.agents (agent_id, email, full_name, tier) VALUES (99999, 'new@bedrock.example', 'New', 1)$$),
          '42501: permission denied for table agents', 'nor choose a new agent''s id');
SELECT is(pg_temp.error_of('attack_manager', :'k_mia',
            $$INSERT INTO support.agents (email, full_name, tier) VALUES ('new@bedrock.example', 'New', 1)$$),
          'ok', 'but adds agents, numbered by the sequence');
SELECT is(pg_temp.error_of('attack_manager', :'k_mia', format('UPDATE support.account_users SET user_id = 100000 WHERE user_id = %s', :rex)),
          '42501: permission denied for table account_users', 'nor renumber a client user');
SELECT is(pg_temp.error_of('attack_manager', :'k_mia', format('UPDATE support.account_users SET account_id = %s WHERE user_id = %s', :globex, :rex)),
          '42501: permission denied for table account_users', 'nor move one to another account');
SELECT is(pg_temp.error_of('attack_manager', :'k_mia', format('UPDATE support.accounts SET account_id = 100000 WHERE account_id = %s', :acme)),
          '42501: permission denied for table accounts', 'nor renumber an account');
-- loosening the assumption policy is a change of powers too
SELECT is(pg_temp.kept_value('attack_manager', :'k_mia',
            $$WITH u AS (UPDATE support.assumption_policy SET approval_valid_for = '30 days' RETURNING 1) SELECT count(*)::text FROM u$$),
          '1', 'a manager can change the assumption policy');
SELECT is((SELECT details->'new'->>'approval_valid_for' FROM support.security_audit WHERE kind = 'assumption_policy' AND changed_by = :mia),
          '30 days', 'which the trail records');
SELECT is(pg_temp.value_as('attack_manager', :'k_mia', format('SELECT support.approve_assumption(%s, %s, ''INC-2'')::text', :acme, :sue)),
          format('ERROR: a support manager who changed super-user or manager rights, the assumption policy or account %s''s sensitivity in the last 24 hours cannot approve an assumption', :acme),
          'and then approves nothing for 24 hours');

-- the second review: removing powers or endpoints, replacing the policy, a key through a foreign login
SELECT is(pg_temp.error_of('attack_manager', :'k_mia', 'DELETE FROM support.assumption_policy'),
          '42501: permission denied for table assumption_policy', 'a manager cannot remove the assumption policy');
SELECT is(pg_temp.error_of('attack_manager', :'k_mia', 'INSERT INTO support.assumption_policy DEFAULT VALUES'),
          '42501: permission denied for table assumption_policy', 'nor replace it');
SELECT is(pg_temp.error_of('attack_manager', :'k_mia', $$DELETE FROM support.delivery_endpoints WHERE endpoint = 'jira'$$),
          '42501: only a superuser may remove endpoint "jira"', 'nor remove an endpoint (its channel''s messages would go to *)');
INSERT INTO support.agents (email, full_name, tier, is_super_user) VALUES ('zed@bedrock.example', 'Zed Super', 2, true);
SELECT is(pg_temp.kept_value('attack_manager', :'k_mia',
            $$WITH d AS (DELETE FROM support.agents WHERE email = 'zed@bedrock.example' RETURNING 1) SELECT count(*)::text FROM d$$),
          '1', 'a manager may remove a super user');
SELECT is((SELECT details::text FROM support.security_audit WHERE kind = 'staff_rights' AND changed_by = :mia
            AND details->'super_user'->>1 IS NULL ORDER BY audit_id DESC LIMIT 1),
          '{"active": [true, null], "manager": [false, null], "super_user": [true, null]}', 'and the trail records the removal');
SELECT is(pg_temp.error_of(who, key, format($$SELECT support.open_ticket(%s, %s, 'Through a foreign login', 'd', 'portal', 'reporting', created_by => %s)$$,
                                            :acme, :ada, COALESCE(created_by::text, 'NULL'))),
          format('42501: role %s cannot act with a %s key', who, kind),
          format('open_ticket refuses a %s key through a login without its group (%s)', kind, who))
  FROM (VALUES ('attack_client', :'k_tia', 'agent', :tia), ('attack_agent', :'k_ada', 'client', NULL::bigint),
               ('attack_login', :'k_ada', 'client', NULL::bigint)) AS t (who, key, kind, created_by);

-- a superuser can disable the trail's guard, and the trail says so
ALTER TABLE support.assumption_audit DISABLE TRIGGER assumption_audit_append_only;
ALTER TABLE support.assumption_audit ENABLE TRIGGER assumption_audit_append_only;
SELECT is((SELECT count(*) FROM support.security_audit WHERE kind = 'bypass' AND details->>'object' = 'support.assumption_audit'),
          2::bigint, 'disabling and enabling the audit''s guard are both recorded');
CREATE TRIGGER watch_sla AFTER INSERT ON support.sla_events FOR EACH STATEMENT EXECUTE FUNCTION support.outbox_changed();
DROP TRIGGER watch_sla ON support.sla_events;
SELECT is(ARRAY(SELECT details->>'command' || ': ' || (details->>'object') FROM support.security_audit
                 WHERE kind = 'bypass' ORDER BY audit_id DESC LIMIT 2),
          ARRAY['DROP TRIGGER: watch_sla on support.sla_events', 'CREATE TRIGGER: watch_sla on support.sla_events'],
          'so are a trigger added to a trail and its drop');
DROP POLICY IF EXISTS nobody_at_all ON support.sla_events;
CREATE POLICY nobody_at_all ON support.sla_events FOR SELECT TO support_client USING (false);
DROP POLICY nobody_at_all ON support.sla_events;
SELECT is(ARRAY(SELECT details->>'command' FROM support.security_audit WHERE kind = 'bypass' ORDER BY audit_id DESC LIMIT 2),
          ARRAY['DROP POLICY', 'CREATE POLICY'], 'and a policy''s');
-- whoever runs DDL elsewhere needs no right on the desk (the record runs as the trails' owner)
SET LOCAL ROLE attack_nobody;
CREATE TEMP TABLE nobodys (n integer);
ALTER TABLE nobodys RENAME TO nobodys_renamed;
ALTER TABLE IF EXISTS no_such_table ADD COLUMN m integer;
RESET ROLE;
SELECT pass('DDL by a role without rights on the desk is not refused by its event trigger');
CREATE TABLE pg_temp.someone_elses (n integer);
SELECT count(*) AS bypasses_before FROM support.security_audit WHERE kind = 'bypass' \gset
ALTER TABLE pg_temp.someone_elses ADD COLUMN m integer;
CREATE TRIGGER theirs AFTER INSERT ON pg_temp.someone_elses FOR EACH STATEMENT EXECUTE FUNCTION support.outbox_changed();
ALTER TABLE support.tickets ALTER COLUMN subject SET STATISTICS 200;
ALTER TABLE support.tickets ALTER COLUMN subject SET STATISTICS -1;
SELECT is((SELECT count(*) FROM support.security_audit WHERE kind = 'bypass'), :bypasses_before::bigint,
          'DDL on any other table, the desk''s own included, records nothing');

------------------------------------------------------------------------------
-- A client's shared Slack channel hears only client-safe texts
------------------------------------------------------------------------------
UPDATE support.accounts SET enterprise = true, slack_channel = '#acme-shared' WHERE account_id = :acme;
SELECT pg_temp.kept_value('attack_agent', :'k_tia', format('SELECT (support.escalate(%s, %s, %L)).tier::text', :t_acme, :tia,
       'Client''s pixel misconfigured, their dev team is slow')) AS escalated_tier \gset
SELECT is(ARRAY(SELECT body FROM support.outbound_messages WHERE target = '#acme-shared' ORDER BY message_id),
          ARRAY[format('Ticket #%s (Spend report shows zero) has been escalated to our tier 2 team, who now own it.', :t_acme)],
          'the client''s channel gets the client-safe escalation text');
SELECT is((SELECT count(*) FROM support.outbound_messages WHERE target = '#acme-shared' AND body LIKE '%slow%'), 0::bigint,
          'and never the internal reason');
SELECT ok((SELECT count(*) FROM support.outbound_messages WHERE target <> '#acme-shared' AND destination = 'slack' AND body LIKE '%slow%') > 0,
          'which the team''s channel gets');


------------------------------------------------------------------------------
-- The workflow without actor arguments acts as the key's user
------------------------------------------------------------------------------
SELECT ticket_id AS t_keyed FROM support.open_ticket(:acme, :ada, 'Keyed forms', 'd', 'portal', 'reporting') \gset
SELECT pg_temp.kept_value('attack_agent', :'k_tia', format($$SELECT support.reply_publicly(%s, 'Looking into it')::text$$, :t_keyed)) AS reply_event \gset
SELECT is((SELECT actor_id FROM support.ticket_events WHERE event_id = :reply_event), :tia::bigint,
          'reply_publicly(ticket, body) replies as the key''s agent');
SELECT pg_temp.kept_value('attack_agent', :'k_tia', format($$SELECT support.add_internal_note(%s, 'A note')::text$$, :t_keyed)) AS note_event \gset
SELECT is((SELECT actor_id FROM support.ticket_events WHERE event_id = :note_event), :tia::bigint,
          'add_internal_note(ticket, body) too');
SELECT is(pg_temp.kept_value('attack_agent', :'k_tia', format($$SELECT (support.change_status(%s, 'triaged', 'checked')).status::text$$, :t_keyed)),
          'triaged', 'change_status(ticket, status, reason)');
SELECT pg_temp.kept_value('attack_client', :'k_ada', format($$SELECT support.post_client_message(%s, 'Logs attached')::text$$, :t_keyed)) AS client_event \gset
SELECT is((SELECT actor_id FROM support.ticket_events WHERE event_id = :client_event), :ada::bigint,
          'post_client_message(ticket, body) as the key''s client');
SELECT pg_temp.kept_value('attack_agent', :'k_tia', format($$SELECT (support.change_status(%s, 'in_progress', 'working')).status::text$$, :t_keyed));
SELECT is(pg_temp.kept_value('attack_agent', :'k_tia', format($$SELECT (support.assign_ticket(%s, %s)).assignee_id::text$$, :t_keyed, :tia)),
          :'tia', 'assign_ticket(ticket, assignee)');
SELECT is(pg_temp.kept_value('attack_agent', :'k_tia', format($$SELECT (support.change_priority(%s, 'P3', 'not blocking')).priority::text$$, :t_keyed)),
          'P3', 'change_priority(ticket, priority, reason)');
SELECT ok(pg_temp.kept_value('attack_agent', :'k_tia', format($$SELECT support.send_progress_update(%s, 'Found it', 'A bad filter', 'Fixing', 'today')::text$$, :t_keyed)) IS NOT NULL,
          'send_progress_update(ticket, progress, findings, next steps, expected)');
SELECT is(pg_temp.kept_value('attack_agent', :'k_tia', format($$SELECT (support.resolve_ticket(%s, 'A bad filter', 'Removed it')).status::text$$, :t_keyed)),
          'resolved', 'resolve_ticket(ticket, root cause, solution)');
SELECT is(pg_temp.kept_value('attack_client', :'k_ada', format($$SELECT (support.rate_ticket(%s, 5, 'Thanks')).satisfaction_rating::text$$, :t_keyed)),
          '5', 'rate_ticket(ticket, rating, comment)');
SELECT is(pg_temp.kept_value('attack_client', :'k_ada', format($$SELECT (support.close_ticket(%s)).status::text$$, :t_keyed)),
          'closed', 'close_ticket(ticket)');
SELECT is(pg_temp.error_of('attack_agent', NULL, format($$SELECT support.reply_publicly(%s, 'no key')$$, :t_acme)),
          '28000: support.auth_key is not set', 'without a key the short forms refuse');
SELECT is(pg_temp.error_of('attack_agent', :'k_tia', format($$SELECT support.reply_publicly(%s, %s, 'as Max')$$, :t_globex, :max)),
          format('42501: the key in support.auth_key belongs to user %s, who cannot act as user %s', :tia, :max),
          'and naming another actor is still refused');

-- row_security = off is a restore only for a role that bypasses row-level
-- security: a client who sets it still gets triage, deadlines and history
SELECT pg_temp.kept_value('attack_client', :'k_ada', format($$
    SELECT CASE WHEN set_config('row_security', 'off', true) = 'off' THEN
        (SELECT t.ticket_id::text FROM support.open_ticket(%s, %s, 'Restoring, says the client', 'x', 'portal', 'reporting') t)
    END$$, :acme, :ada)) AS t_restoring \gset
SELECT set_config('row_security', 'on', true);
SELECT is((SELECT concat_ws(' ', t.first_response_due IS NOT NULL, t.next_action_at IS NOT NULL, t.priority_source,
                            (SELECT count(*) FROM support.ticket_events e
                              WHERE e.account_id = t.account_id AND e.ticket_id = t.ticket_id AND e.kind = 'created'))
             FROM support.tickets t WHERE t.ticket_id::text = :'t_restoring'),
          't t category 1', 'row_security = off makes no restore of a client''s ticket');
SELECT is(pg_temp.value_as('postgres', NULL, 'SELECT set_config(''row_security'', ''off'', true)::text || support.restoring()::text'),
          'offtrue', 'for a superuser it is one');


------------------------------------------------------------------------------
-- 10. Nobody holds the desk's tables or rows by hand
------------------------------------------------------------------------------
-- A table lock froze every account; a row lock by hand held up the worker
-- and other accounts' tickets. Both are refused to every group (PREPARE
-- TRANSACTION, which would keep them past the session, is refused in
-- sql/security_lock_guard.sql: it cannot run inside this suite's transaction).
SELECT is(pg_temp.error_of(who, key, format('LOCK TABLE support.%I IN %s MODE', table_name, mode)),
          format('42501: only a superuser may lock table support.%s', table_name),
          format('%s cannot LOCK TABLE support.%s IN %s MODE', who, table_name, mode))
  FROM (VALUES ('attack_client', :'k_ada'), ('attack_client', NULL), ('attack_agent', :'k_tia'),
               ('attack_manager', :'k_max')) AS w (who, key)
 CROSS JOIN (VALUES ('tickets'), ('account_users'), ('agents'), ('outbound_messages')) AS t (table_name)
 CROSS JOIN (VALUES ('ACCESS EXCLUSIVE'), ('ROW EXCLUSIVE'), ('ACCESS SHARE')) AS m (mode);
SELECT is(pg_temp.error_of(who, key, format('SELECT 1 FROM %s FOR %s', relation, strength)),
          format('42501: only a superuser may lock rows of support.%s', table_name),
          format('%s cannot SELECT ... FOR %s from %s', who, strength, relation))
  FROM (VALUES ('attack_client', :'k_ada'), ('attack_agent', :'k_tia'), ('attack_manager', :'k_max')) AS w (who, key)
 CROSS JOIN (VALUES ('support.tickets', 'tickets'), ('support.agents', 'agents'),
                    ('support.account_users', 'account_users')) AS t (relation, table_name)
 CROSS JOIN (VALUES ('UPDATE'), ('NO KEY UPDATE'), ('SHARE'), ('KEY SHARE'), ('UPDATE SKIP LOCKED')) AS m (strength);
SELECT is(pg_temp.error_of('attack_agent', :'k_tia',
            'SELECT 1 FROM support.tickets t JOIN support.agents a ON a.agent_id = t.assignee_id FOR UPDATE OF a'),
          '42501: only a superuser may lock rows of support.agents', 'nor one table of a join');
SELECT is(pg_temp.error_of('attack_agent', :'k_tia',
            'SELECT * FROM (SELECT ticket_id FROM support.tickets) s, LATERAL (SELECT 1) l FOR SHARE'),
          '42501: only a superuser may lock rows of support.tickets', 'nor through a subquery');
SELECT is(pg_temp.error_of('attack_agent', :'k_tia',
            'SELECT 1 FROM support.tickets FOR UPDATE', true),
          '42501: only a superuser may lock rows of support.tickets | A row of the desk held by hand holds up the worker''s deadline actions and other accounts'' tickets. | Read without FOR UPDATE or FOR SHARE; the workflow functions lock the rows they change.',
          'and the error says why and what to do instead');
-- what the groups may do is unchanged: read, and change through their grants and the workflow
SELECT is(pg_temp.error_of('attack_agent', :'k_tia', 'SELECT count(*) FROM support.tickets'), 'ok', 'reading is not locking');
SELECT is(pg_temp.error_of('attack_client', :'k_ada', format($$UPDATE support.tickets SET description = 'More detail' WHERE ticket_id = %s$$, :t_acme)),
          'ok', 'an UPDATE the grants allow still locks its own rows');
SELECT is(pg_temp.error_of('attack_agent', :'k_tia', format($$SELECT support.add_internal_note(%s, 'locked by the workflow')$$, :t_globex)),
          'ok', 'and the workflow functions lock what they change');
CREATE TEMP TABLE own_rows (n int);
GRANT ALL ON own_rows TO PUBLIC;
SELECT is(pg_temp.error_of('attack_agent', :'k_tia', 'SELECT 1 FROM pg_temp.own_rows o, support.tickets t FOR UPDATE OF o'),
          'ok', 'a row lock on one''s own table beside a read of the desk is one''s own business');
-- nor through a view of one's own, which LOCK TABLE locks down to its tables
CREATE TEMP VIEW pg_temp.my_tickets AS SELECT * FROM support.tickets;
CREATE TEMP VIEW pg_temp.my_tickets_again AS SELECT t.ticket_id FROM pg_temp.my_tickets t JOIN (SELECT 1) o ON true;
CREATE TEMP VIEW pg_temp.my_users AS SELECT * FROM (SELECT * FROM support.account_users) u;
GRANT SELECT ON pg_temp.my_tickets, pg_temp.my_tickets_again, pg_temp.my_users TO PUBLIC;
SELECT is(pg_temp.error_of('attack_client', :'k_ada', format('LOCK TABLE pg_temp.%I IN ACCESS EXCLUSIVE MODE', v)),
          format('42501: only a superuser may lock view %s: it reads the desk''s tables', v),
          format('a client cannot lock the desk through view %s', v))
  FROM unnest(ARRAY['my_tickets', 'my_tickets_again', 'my_users']) v;
SELECT is(pg_temp.error_of('attack_client', :'k_ada',
            $outer$DO $do$ BEGIN
                  CREATE TEMP VIEW clients_own AS SELECT ticket_id FROM support.tickets;
                  LOCK TABLE clients_own IN ACCESS EXCLUSIVE MODE;
              END $do$$outer$),
          '42501: only a superuser may lock view clients_own: it reads the desk''s tables',
          'nor through a view the client made itself');
SELECT is(pg_temp.error_of('attack_nobody', NULL, 'LOCK TABLE support.tickets'),
          '42501: permission denied for schema support', 'a login of no group does not reach the tables at all');
-- FOR UPDATE through a view needs UPDATE on the view, which no group has
SELECT is(pg_temp.error_of('attack_agent', :'k_tia', 'SELECT 1 FROM support.ticket_queue FOR UPDATE'),
          '42501: permission denied for view ticket_queue', 'nor through a view');
SELECT is(pg_temp.error_of('postgres', NULL, 'LOCK TABLE support.tickets IN ACCESS SHARE MODE'), 'ok', 'a superuser may lock');

------------------------------------------------------------------------------
-- 11. An endpoint's path and credentials on a shared host are a DBA's
------------------------------------------------------------------------------
INSERT INTO support.delivery_endpoints (endpoint, destination, url) VALUES
  ('#support-escalations', 'slack', 'https://hooks.slack.com/services/T000/B000/desk');
INSERT INTO support.delivery_endpoints (endpoint, destination, url, username, secret, sender) VALUES
  ('mail', 'email', 'smtps://smtp.mail.example:465', 'desk', 'smtp-password', 'support@bedrock.example');
SELECT is(pg_temp.error_of('attack_manager', :'k_max', format($$UPDATE support.delivery_endpoints SET %s WHERE endpoint = %L$$, change, endpoint)),
          format('42501: only a superuser may set where endpoint "%s" delivers (%s) and as whom', endpoint, origin),
          format('a manager cannot %s', description))
  FROM (VALUES ($$url = 'https://hooks.slack.com/services/T999/B999/theirs'$$, '#support-escalations', 'https://hooks.slack.com',
                'move a Slack endpoint to another workspace on hooks.slack.com'),
               ($$username = 'mallory'$$, 'mail', 'smtps://smtp.mail.example:465', 'change the SMTP login'),
               ($$secret = 'their-password'$$, 'mail', 'smtps://smtp.mail.example:465', 'change the SMTP password'),
               ($$sender = 'refunds@bedrock.example'$$, 'mail', 'smtps://smtp.mail.example:465', 'change the sender'),
               ($$url = 'smtps://mallory:pw@smtp.mail.example:465'$$, 'mail', 'smtps://smtp.mail.example:465', 'put credentials in the URL'))
       AS t (change, endpoint, origin, description);
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret) VALUES
  ('teams', 'webhook', 'https://acme.webhook.office.com/webhookb2/desk', 'teams-signing-secret-0123'),
  ('discord', 'webhook', 'https://canary.discord.com./api/webhooks/1/desk', 'discord-signing-secret-01');
SELECT is(pg_temp.error_of('attack_manager', :'k_max', format($$UPDATE support.delivery_endpoints SET url = %L WHERE endpoint = %L$$, url, endpoint)),
          format('42501: only a superuser may set where endpoint "%s" delivers (%s) and as whom', endpoint, origin),
          format('nor move %s to another path on a subdomain of a shared host', endpoint))
  FROM (VALUES ('teams', 'https://acme.webhook.office.com/webhookb2/theirs', 'https://acme.webhook.office.com'),
               ('discord', 'https://canary.discord.com./api/webhooks/2/theirs', 'https://canary.discord.com.')) AS t (endpoint, url, origin);
SELECT is(pg_temp.error_of('attack_manager', :'k_max', 'DELETE FROM support.delivery_endpoints WHERE endpoint = ''mail'''),
          '42501: only a superuser may remove endpoint "mail"', 'nor remove one');
SELECT is(pg_temp.error_of('attack_manager', :'k_max', format($$UPDATE support.delivery_endpoints SET %s WHERE endpoint = %L$$, change, endpoint)),
          'ok', format('a manager may still %s', description))
  FROM (VALUES ($$active = false$$, 'mail', 'pause the mail'),
               ($$event_kinds = '{ticket_created}'$$, '#support-escalations', 'choose a Slack endpoint''s event kinds'),
               ($$secret = 'whsec_rotated_0123456789'$$, 'jira', 'rotate a webhook''s signing secret')) AS t (change, endpoint, description);
-- and the audit says what changed: here a path on the manager's own host
SET LOCAL ROLE attack_manager;
SELECT set_config('support.auth_key', :'k_max', true) IS NOT NULL AS keyed;
UPDATE support.delivery_endpoints SET url = 'http://127.0.0.1:9/hook-v2', secret = 'whsec_rotated_again_0123' WHERE endpoint = 'jira';
RESET ROLE;
SELECT set_config('support.auth_key', '', true) IS NOT NULL AS unkeyed;
SELECT is((SELECT details - 'operation' FROM support.security_audit WHERE kind = 'endpoint' ORDER BY audit_id DESC LIMIT 1),
          jsonb_build_object('endpoint', 'jira', 'host', jsonb_build_array('127.0.0.1', '127.0.0.1'),
                             'changed', jsonb_build_array('url path', 'secret'), 'credentials_changed', true),
          'the audit row names what changed, never its value');

------------------------------------------------------------------------------
-- 12. A template says only what the desk fills
------------------------------------------------------------------------------
SELECT is(pg_temp.error_of('attack_manager', :'k_max',
            $$UPDATE support.templates SET body = body || E'\n{{unsubscribe_link}} [Account Manager]' WHERE template = 'initial_response'$$, true),
          '23514: template "initial_response" uses account_manager, unsubscribe_link, which the desk does not fill |  | '
          || 'Its placeholders may name: ' || array_to_string(support.template_variable_names('initial_response'), ', ')
          || ' (as [Client Name] or {{client_name}}; #12345 is ticket_number).',
          'a placeholder the desk does not fill is refused when written, with the ones it does in the hint');
SELECT is(pg_temp.error_of('attack_manager', :'k_max',
            $$UPDATE support.templates SET subject = 'Ticket #12345 for [Client Name]: [Brief Description]' WHERE template = 'initial_response'$$),
          'ok', 'the placeholders it fills are accepted');
SELECT is(pg_temp.error_of('attack_manager', :'k_max',
            $$INSERT INTO support.templates (template, name, subject, body) VALUES ('survey', 'Survey', 'How did we do on #12345?', '{{survey_link}}')$$),
          '23514: template "survey" uses survey_link, which the desk does not fill', 'nor in a new template');
SELECT is(pg_temp.error_of('attack_manager', :'k_max',
            format($$UPDATE support.templates SET body = %L WHERE template = 'initial_response'$$, repeat('x', 65537))),
          '23514: new row for relation "templates" violates check constraint "templates_are_at_most_64_kb"', 'and a template is at most 64 kB');
SELECT is(pg_temp.error_of('attack_client', :'k_ada', format($$SELECT support.open_ticket(%s, %s, 'Still works', '', 'portal', 'reporting')$$, :acme, :ada)),
          'ok', 'so a ticket can still be opened after a manager''s edits');

------------------------------------------------------------------------------
-- 13. A client Admin adds colleagues at the account's own domains, named plainly
------------------------------------------------------------------------------
SELECT is(pg_temp.error_of('attack_client', :'k_ada', format(
            $$INSERT INTO support.account_users (account_id, email, full_name, role) VALUES (%s, %L, 'Eve', 'campaign_manager')$$, :acme, email), true),
          format('42501: the users of account %s have addresses at acme.example, not at %s |  | A support manager sets the account''s mail domains (support.accounts.email_domains).', :acme, domain),
          format('an Admin cannot add a colleague at %s', domain))
  FROM (VALUES ('victim@gmail.example', 'gmail.example'), ('eve@acme.example.evil.example', 'acme.example.evil.example'),
               ('eve@ACME.example.evil', 'acme.example.evil')) AS t (email, domain);
SELECT is(pg_temp.error_of('attack_client', :'k_ada', format(
            $$UPDATE support.account_users SET email = 'victim@gmail.example' WHERE user_id = %s$$, :rex)),
          format('42501: the users of account %s have addresses at acme.example, not at gmail.example', :acme),
          'nor move one there');
SELECT is(pg_temp.error_of('attack_client', :'k_ada', format(
            $$INSERT INTO support.account_users (account_id, email, full_name, role) VALUES (%s, 'eve@ACME.example', 'Eve Example', 'campaign_manager')$$, :acme)),
          'ok', 'a colleague at the Admin''s own domain is added');
SELECT is(pg_temp.error_of('attack_client', :'k_ada', format(
            $$INSERT INTO support.account_users (account_id, email, full_name, role) VALUES (%s, 'eve@acme.example', %L, 'campaign_manager')$$, :acme, name)),
          '23514: new row for relation "account_users" violates check constraint "names_are_one_short_line"',
          format('a name that %s is refused', description))
  FROM (VALUES ('Your account is locked: verify at https://evil.example/login', 'carries a link'),
               (E'Eve

Your invoice is overdue', 'spans lines'),
               ('<a href="x">Eve</a>', 'carries markup'),
               (repeat('Eve ', 60), 'runs over 200 characters')) AS t (name, description);
UPDATE support.accounts SET email_domains = '{acme.example,acme-ads.example}' WHERE account_id = :acme;
SELECT is(pg_temp.error_of('attack_client', :'k_ada', format(
            $$INSERT INTO support.account_users (account_id, email, full_name, role) VALUES (%s, 'eve@acme-ads.example', 'Eve', 'campaign_manager')$$, :acme)),
          'ok', 'the account''s mail domains, set by a manager, are the list');
SELECT is(pg_temp.error_of('attack_manager', :'k_max', format(
            $$UPDATE support.accounts SET email_domains = '{Evil.Example}' WHERE account_id = %s$$, :acme)),
          '23514: new row for relation "accounts" violates check constraint "email_domains_are_lower_case_names"', 'domains are written lower case');
SELECT is(pg_temp.error_of('attack_manager', :'k_max', format(
            $$UPDATE support.accounts SET email_domains = '{acme.example,NULL}' WHERE account_id = %s$$, :acme)),
          '23514: new row for relation "accounts" violates check constraint "email_domains_are_lower_case_names"', 'and none is NULL (which would let any domain through)');
SELECT is(pg_temp.error_of('attack_client', :'k_ada', format(
            $$UPDATE support.accounts SET email_domains = '{evil.example}' WHERE account_id = %s$$, :acme)),
          '42501: permission denied for table accounts', 'and an Admin cannot widen the list');
SELECT is(pg_temp.error_of('attack_manager', :'k_max', format(
            $$INSERT INTO support.account_users (account_id, email, full_name, role) VALUES (%s, 'contractor@partner.example', 'Cora Contractor', 'campaign_manager')$$, :acme)),
          'ok', 'a support manager adds users at any address');

------------------------------------------------------------------------------
-- 14. The second factor holds against the login service
------------------------------------------------------------------------------
-- Wrong codes are counted outside the transaction (it fails with them) and
-- lock the second factor; replacing a second factor needs its current code
-- or a superuser; all of it audited. (The worker's recording within a
-- second, and a lockout across a restart: test/t/006_security_keys_and_sessions.pl.)
INSERT INTO support.agents (email, full_name, tier, on_shift, is_super_user) VALUES
  ('otto@bedrock.example', 'Otto Overnight', 2, true, true);
SELECT agent_id AS otto FROM support.agents WHERE email = 'otto@bedrock.example' \gset
SELECT pg_temp.kept_value('attack_login', NULL, format('SELECT support.enroll_totp(%s)', :otto)) AS otto_secret \gset
SELECT is((SELECT details FROM support.security_audit WHERE kind = 'second_factor' AND subject_id = :otto),
          '{"operation": "enrolled"}'::jsonb, 'a first enrolment is audited');
SELECT is(pg_temp.error_of('attack_login', NULL, format($$SELECT support.issue_key(%s, '1 hour', %L)$$, :otto, code)),
          '28P01: the one-time code is not valid', format('a wrong code (%s) is refused', code))
  FROM unnest(ARRAY['000000', '111111', 'abcdef', repeat('9', 1000)]) AS code;
SELECT alike(pg_temp.error_of('attack_login', NULL, format($$SELECT support.issue_key(%s, '1 hour', '222222')$$, :otto), true),
            '28P01: the one-time code is not valid | That was 5 wrong codes in a row: the second factor is locked until % | Use the current code%',
            'the fifth wrong code in a row locks the second factor');
SELECT alike(pg_temp.error_of('attack_login', NULL,
              format($$SELECT support.issue_key(%s, '1 hour', support.totp(%L::bytea))$$, :otto, :'otto_secret')),
            format('28000: the second factor of user %s is locked until %%', :otto),
            'then even the right code is refused: no sweep of a million codes');
SELECT is(pg_temp.error_of('attack_login', NULL, format('SELECT support.enroll_totp(%s)', :otto)),
          format('28000: user %s already has a second factor', :otto),
          'the login service cannot replace a second factor with one it knows');
SELECT alike(pg_temp.error_of('attack_login', NULL,
              format($$SELECT support.enroll_totp(%s, support.totp(%L::bytea))$$, :otto, :'otto_secret')),
            format('28000: the second factor of user %s is locked until %%', :otto),
            'nor with the current code while it is locked');
-- (the desk's worker, running, may record some of it first: in its own
-- transaction, woken by the first wrong code)
SELECT support.record_second_factor_events() IS NOT NULL AS recorded;
CREATE FUNCTION pg_temp.second_factor_sums(agent bigint) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    sums bigint[];
BEGIN
    FOR i IN 1..50 LOOP     -- what the worker took commits in its own time
        SELECT array[sum((details->>'wrong_codes')::int), sum((details->>'refused_while_locked')::int),
                     count(*) FILTER (WHERE details->>'operation' = 'locked_out')] INTO sums
          FROM support.security_audit WHERE kind = 'second_factor' AND subject_id = agent;
        EXIT WHEN sums = '{5,2,1}';
        PERFORM pg_sleep(0.1);
    END LOOP;
    RETURN sums;
END $$;
SELECT is(pg_temp.second_factor_sums(:otto),
          '{5,2,1}'::bigint[], 'the audit counts the wrong codes, the refusals while locked, and the lockout');
SELECT is(support.record_second_factor_events(), 0, 'each is recorded once');
SELECT is(pg_temp.error_of('postgres', NULL, format($$SELECT support.check_second_factor(%s, '\x00112233445566778899', '123456', 0, '-infinity', NULL, '1 hour')$$, :otto)),
          '22004: support.check_second_factor needs every argument, not a NULL', 'a missing policy row passes for no code');
-- a superuser ends the lockout with a new second factor
SELECT support.enroll_totp(:otto) AS otto_secret \gset
SELECT is((SELECT details FROM support.security_audit WHERE kind = 'second_factor' AND subject_id = :otto ORDER BY audit_id DESC LIMIT 1),
          '{"operation": "re-enrolled", "proof": "superuser"}'::jsonb, 'a superuser re-enrols, audited');
SELECT alike(pg_temp.value_as('attack_login', NULL,
               format($$SELECT support.issue_key(%s, '1 hour', support.totp(%L::bytea))$$, :otto, :'otto_secret')),
             'bsk_%', 'and the new second factor works at once');
-- the login service with the current code
SELECT ok(pg_temp.kept_value('attack_login', NULL,
            format($$SELECT support.enroll_totp(%s, support.totp(%L::bytea))$$, :otto, :'otto_secret')) ~ '^\\x',
          'with the current code the login service re-enrols');
SELECT is((SELECT details FROM support.security_audit WHERE kind = 'second_factor' AND subject_id = :otto ORDER BY audit_id DESC LIMIT 1),
          '{"operation": "re-enrolled", "proof": "current code"}'::jsonb, 'audited with its proof');
-- the limits are the managers' to set
SELECT is(pg_temp.error_of('attack_manager', :'k_mia', 'UPDATE support.assumption_policy SET second_factor_failures = 2, second_factor_lockout = ''1 hour'''),
          'ok', 'a manager sets the lockout''s limits');
UPDATE support.assumption_policy SET second_factor_failures = 2, second_factor_lockout = '1 hour';
SELECT is(pg_temp.error_of('attack_login', NULL, format($$SELECT support.issue_key(%s, '1 hour', '333333')$$, :otto)),
          '28P01: the one-time code is not valid', 'one wrong code');
SELECT alike(pg_temp.error_of('attack_login', NULL, format($$SELECT support.issue_key(%s, '1 hour', '444444')$$, :otto), true),
            '28P01: the one-time code is not valid | That was 2 wrong codes in a row: the second factor is locked until %',
            'and the second locks it, for an hour');
SELECT is(pg_temp.error_of('attack_manager', :'k_mia', 'UPDATE support.assumption_policy SET second_factor_lockout = ''0'''),
          '23514: new row for relation "assumption_policy" violates check constraint "second_factor_lockouts_are_bounded"',
          'nor make the lockout end as it starts');
SELECT is(pg_temp.error_of('attack_manager', :'k_mia', 'UPDATE support.assumption_policy SET second_factor_failures = 0'),
          '23514: new row for relation "assumption_policy" violates check constraint "second_factor_lockouts_are_bounded"',
          'and cannot turn it off');
SELECT is(pg_temp.error_of(who, key, format('SELECT * FROM support.%s', f)),
          format('42501: permission denied for function %s', regexp_replace(f, '\(.*', '')),
          format('%s cannot call support.%s', who, f))
  FROM (VALUES ('attack_login', NULL), ('attack_manager', :'k_mia'), ('attack_super', :'k_sue')) AS w (who, key)
 CROSS JOIN (VALUES ('take_second_factor_events()'), ('record_second_factor_events()'),
                    (format('forget_second_factor_failures(%s)', :otto)),
                    (format($$check_second_factor(%s, '\x00112233445566778899', '123456', 0, '-infinity', 1000, '0')$$, :otto)))
            AS f (f);
SELECT is(pg_temp.error_of('postgres', NULL, format($$SELECT support.check_second_factor(%s, '\x00112233445566778899', '123456', 0, '-infinity', 0, '0')$$, :otto)),
          '22023: a second factor locks after 1 to 1000 wrong codes, not 0', 'its C entry point checks its input');
SELECT is(pg_temp.error_of('postgres', NULL, format($$SELECT support.check_second_factor(%s, '\x00112233445566778899', '123456', 0, '-infinity', 5, '-1 hour')$$, :otto)),
          '22023: a second factor''s lockout lasts from 0 to 366 days', 'a negative lockout too');

SELECT * FROM finish();
ROLLBACK;
