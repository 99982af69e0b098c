-- The shape every later feature relies on: keys that lead with account_id,
-- row-level security everywhere, pinned search paths, documented objects.
BEGIN;
SELECT plan(28);

SELECT has_extension('bedrock_support', 'the extension is installed');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'bedrock_support'), false,
          'the extension is not relocatable');
SELECT is((SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname = 'bedrock_support'), 'support', 'everything lives in schema support');

SELECT tables_are('support', ARRAY['tiers', 'sla_policies', 'categories', 'channels', 'internal_channels',
    'templates', 'troubleshooting_steps', 'calendar', 'accounts', 'account_users', 'agents',
    'tickets', 'ticket_events', 'sla_events', 'triage_rules', 'outbound_messages', 'delivery_endpoints', 'slack_routes',
    'auth_keys', 'staff_totp', 'assumption_policy', 'assumption_approvals', 'assumption_audit', 'security_audit',
    'worker_actions', 'escalation_triggers', 'dissatisfaction_rules', 'revenue_thresholds', 'war_rooms',
    'action_failures', 'agent_load_changes', 'shared_endpoint_hosts'],
    'the data model has exactly these tables');
SELECT views_are('support', ARRAY['open_tickets_by_priority', 'agent_workload', 'response_kpis',
    'daily_summary', 'sla_status', 'ticket_queue', 'worker_status', 'delivery_status', 'war_room_tasks'], 'the reporting views');

-- tenant tables: account_id first in the primary key and in every foreign key between tenant tables
-- (auth_keys is not one: staff's keys have no account; it stays local, like a session table;
-- nor is revenue_thresholds: configuration, where an account may have a threshold of its own)
SELECT is(ARRAY(
    SELECT c.relname::text FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'support' AND k.contype = 'p' AND c.relname NOT IN ('auth_keys', 'revenue_thresholds')
       AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'account_id')
       AND (SELECT attname FROM pg_attribute WHERE attrelid = c.oid AND attnum = k.conkey[1]) <> 'account_id'
     ORDER BY 1), '{}'::text[], 'every tenant table''s primary key leads with account_id');
SELECT is(ARRAY(
    SELECT k.conname::text FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_class r ON r.oid = k.confrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'support' AND k.contype = 'f'
       AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = r.oid AND a.attname = 'account_id')
       AND (SELECT attname FROM pg_attribute WHERE attrelid = c.oid AND attnum = k.conkey[1]) <> 'account_id'
     ORDER BY 1), '{}'::text[], 'every foreign key to a tenant table leads with account_id');
SELECT is(ARRAY(
    SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'support' AND c.relname IN ('accounts', 'account_users', 'tickets', 'ticket_events', 'sla_events', 'outbound_messages')
       AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'account_id'
                        AND a.attnotnull)
     ORDER BY 1), '{}'::text[], 'tenant tables carry a NOT NULL account_id');

SELECT is(ARRAY(
    SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'support' AND c.relkind = 'r' AND NOT c.relrowsecurity ORDER BY 1),
    '{}'::text[], 'row-level security is enabled on every table');

SELECT is(ARRAY(
    SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'support' AND c.relkind = 'v'
       AND NOT COALESCE('security_invoker=true' = ANY (c.reloptions), false) ORDER BY 1),
    '{}'::text[], 'every view runs with the reader''s rights');

SELECT is(ARRAY(
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'support' AND p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('plpgsql', 'sql'))
       AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=pg_catalog%')
       AND p.prosqlbody IS NULL      -- a SQL-standard body binds its names when it is created
     ORDER BY 1), '{}'::text[], 'every SQL and PL/pgSQL function whose names bind at run time pins search_path to pg_catalog first');

-- SECURITY DEFINER only where a caller must do what its own rights do not
-- allow (write history, read keys, change the columns a rule owns once
-- locked_ticket has asked row-level security as the caller), each with a
-- pinned search_path
SELECT is(ARRAY(
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'support' AND p.prosecdef
       AND 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) ORDER BY 1),
    ARRAY['support.active_assumptions()', 'support.actor_kind_of(bigint)',
          'support.add_internal_note(bigint,bigint,text)', 'support.approve_assumption(bigint,bigint,text)',
          'support.assign_ticket(bigint,bigint,bigint)', 'support.assume_user_role(bigint,text)',
          'support.audit_account_sensitivity()', 'support.audit_assumed_write()', 'support.audit_assumption_policy()',
          'support.audit_staff_rights()', 'support.change_priority(bigint,support.priority,bigint,text)',
          'support.change_status(bigint,support.ticket_status,bigint,text)',
          'support.check_template()', 'support.check_user_domain()',
          'support.close_ticket(bigint,bigint)', 'support.end_assumptions_of_former_super_users()',
          'support.enroll_totp(bigint,text)', 'support.escalate(bigint,bigint,text)',
          'support.escalate_to_executive(bigint,bigint,text)', 'support.expire_assumptions()',
          'support.guard_endpoint_host()', 'support.issue_key(bigint,interval,text)',
          'support.list_accounts_and_users()', 'support.locked_ticket(bigint)',
          'support.log_sla_activation()', 'support.log_sla_changes()', 'support.log_ticket_changes()',
          'support.open_ticket(bigint,bigint,text,text,text,text,support.priority,bigint,boolean,boolean,boolean,boolean,boolean,boolean,boolean,boolean)',
          'support.outbox_changed()', 'support.post_client_message(bigint,bigint,text)',
          'support.queue_webhooks()', 'support.rate_ticket(bigint,bigint,integer,text)',
          'support.record_escalation_call(bigint,bigint,text)', 'support.record_post_incident_review(bigint,bigint,text)',
          'support.record_trail_commands()', 'support.record_trail_drops()',
          'support.release_user_role()', 'support.reply_publicly(bigint,bigint,text)',
          'support.report_revenue_at_risk(bigint,bigint,numeric,text,text)',
          'support.request_escalation(bigint,bigint,text)', 'support.requeue_message(bigint,bigint)',
          'support.resolve_ticket(bigint,bigint,text,text,text,text)', 'support.revoke_key(text)',
          'support.send_progress_update(bigint,bigint,text,text,text,text,text,text)',
          'support.ticket_event_effects_trigger()', 'support.ticket_triaged_trigger()',
          'support.track_agent_load()', 'support.unpark_messages()', 'support.watch_dissatisfaction()'],
    'exactly these SECURITY DEFINER functions, each pinning search_path to pg_catalog, pg_temp');

SELECT is(ARRAY(
    SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'support' AND c.relkind IN ('r', 'v')
       AND obj_description(c.oid, 'pg_class') IS NULL ORDER BY 1),
    '{}'::text[], 'every table and view has a comment');
SELECT is(ARRAY(
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'support' AND obj_description(p.oid, 'pg_proc') IS NULL ORDER BY 1),
    '{}'::text[], 'every function and aggregate has a comment');
SELECT is(ARRAY(
    SELECT t.typname::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = 'support' AND t.typtype IN ('b', 'e') AND t.typcategory <> 'A' AND obj_description(t.oid, 'pg_type') IS NULL
     ORDER BY 1), '{}'::text[], 'every type has a comment');

-- pg_dump brings back every table's data and every sequence's position
-- (the keys too: an assumption's trail refers to its key, and a key works
-- only for the hash's owner, on a copy as on the source)
SELECT is(ARRAY(
    SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'support' AND c.relkind IN ('r', 'S')
       AND c.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = 'bedrock_support')::oid[])
     ORDER BY 1), '{}'::text[], 'every table and sequence is registered with pg_extension_config_dump');

-- one writer of the SLA trail's changes and breaches; activation is the insert trigger's
SELECT is(ARRAY(SELECT p.proname::text FROM pg_proc p
                 WHERE p.pronamespace = 'support'::regnamespace AND p.prosrc ILIKE '%INSERT INTO support.sla_events%'
                 ORDER BY 1),
          ARRAY['log_sla_activation', 'record_sla_events'], 'only record_sla_events writes SLA changes and breaches');
-- every action the worker's schedule names has its row: one list of names
SELECT is(ARRAY(SELECT a::text FROM unnest(enum_range(NULL::support.worker_action)) a
                EXCEPT SELECT w.action::text FROM support.worker_actions w),
          '{}'::text[], 'every worker action has its row in support.worker_actions');
-- the comparison operators live in pg_catalog, found with any search_path
SELECT is(ARRAY(
    SELECT o.oprname::text FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
     WHERE n.nspname = 'pg_catalog' AND o.oprleft = 'support.priority'::regtype
     ORDER BY 1), ARRAY['<', '<=', '<>', '=', '>', '>='], 'priority has the six comparison operators, in pg_catalog');
SELECT is(ARRAY(
    SELECT DISTINCT t.typname || ' ' || o.oprnamespace::regnamespace::text || ' ' || count(*) OVER (PARTITION BY t.oid)
      FROM pg_type t JOIN pg_operator o ON o.oprleft = t.oid AND o.oprright = t.oid
     WHERE t.typnamespace = 'support'::regnamespace AND t.typtype IN ('e', 'b') AND t.typname NOT LIKE '\_%'
     ORDER BY 1),
    ARRAY['account_role pg_catalog 6', 'actor_kind pg_catalog 6', 'business_hours pg_catalog 6',
          'event_kind pg_catalog 6', 'priority pg_catalog 6', 'sla_event_kind pg_catalog 6',
          'sla_target pg_catalog 6', 'ticket_status pg_catalog 6', 'visibility pg_catalog 6',
          'worker_action pg_catalog 6'],
    'every type of the extension has its six comparison operators in pg_catalog, none elsewhere');
SELECT is(ARRAY(
    SELECT t.typname || ' ' || s.typname FROM pg_cast c
      JOIN pg_type s ON s.oid = c.castsource JOIN pg_type t ON t.oid = c.casttarget
     WHERE t.typnamespace = 'support'::regnamespace AND c.castcontext = 'i'
     ORDER BY 1),
    ARRAY['account_role text', 'account_role varchar', 'actor_kind text', 'actor_kind varchar',
          'event_kind text', 'event_kind varchar', 'priority text', 'priority varchar',
          'sla_event_kind text', 'sla_event_kind varchar', 'sla_target text', 'sla_target varchar',
          'ticket_status text', 'ticket_status varchar', 'visibility text', 'visibility varchar',
          'worker_action text', 'worker_action varchar'],
    'text and varchar cast implicitly to priority and the enums (bound parameters), to nothing else');
SELECT is(ARRAY(
    SELECT p.proname || ' ' || p.pronamespace::regnamespace::text FROM pg_proc p
     WHERE p.prokind = 'a' AND p.proargtypes[0] = 'support.priority'::regtype ORDER BY 1),
    ARRAY['max pg_catalog', 'min pg_catalog'], 'min and max of priority live in pg_catalog');

SELECT is(ARRAY(SELECT c.opcname::text FROM pg_opclass c
                 WHERE c.opcnamespace = 'support'::regnamespace AND c.opcmethod = (SELECT oid FROM pg_am WHERE amname = 'btree')
                   AND NOT EXISTS (SELECT 1 FROM pg_amproc p WHERE p.amprocfamily = c.opcfamily AND p.amprocnum = 4
                                      AND p.amproc = 'pg_catalog.btequalimage'::regproc)
                 ORDER BY 1), '{}'::text[], 'every B-tree operator class of the extension lets its indexes deduplicate');

-- Volatility and parallel safety say what each function does: one that
-- writes is VOLATILE; one that only reads is PARALLEL SAFE (or RESTRICTED,
-- with its reason); neither calls a function that claims less (names in
-- string literals, such as hints, are not calls)
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
                 WHERE p.pronamespace = 'support'::regnamespace AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
                   AND p.provolatile IN ('i', 's') AND p.proparallel = 'u' ORDER BY 1),
          '{}'::text[], 'no IMMUTABLE or STABLE function is PARALLEL UNSAFE');
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
                 WHERE p.pronamespace = 'support'::regnamespace AND p.provolatile <> 'v'
                   AND p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))
                   AND p.prosrc ~* '(\mINSERT\s+INTO|\mUPDATE\s+support\.|\mDELETE\s+FROM|set_config\(|nextval\()'
                 ORDER BY 1),
          '{}'::text[], 'no SQL or PL/pgSQL function that writes claims to be IMMUTABLE or STABLE');
SELECT is(ARRAY(SELECT DISTINCT p.oid::regprocedure::text || ' calls ' || m[1] FROM pg_proc p
                 CROSS JOIN LATERAL regexp_matches(regexp_replace(p.prosrc, '''([^'']|'''')*''', '', 'g'), 'support\.([a-z_0-9]+)\(', 'g') m
                 WHERE p.pronamespace = 'support'::regnamespace
                   AND p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))
                   AND EXISTS (SELECT 1 FROM pg_proc c WHERE c.pronamespace = 'support'::regnamespace AND c.proname = m[1])
                   AND NOT EXISTS (SELECT 1 FROM pg_proc c WHERE c.pronamespace = 'support'::regnamespace AND c.proname = m[1]
                                      AND (c.provolatile = 'i' OR c.provolatile = p.provolatile OR p.provolatile = 'v'))
                 ORDER BY 1),
          '{}'::text[], 'no IMMUTABLE or STABLE function calls a function more volatile than itself');
SELECT is(ARRAY(SELECT DISTINCT p.oid::regprocedure::text || ' calls ' || m[1] FROM pg_proc p
                 CROSS JOIN LATERAL regexp_matches(regexp_replace(p.prosrc, '''([^'']|'''')*''', '', 'g'), 'support\.([a-z_0-9]+)\(', 'g') m
                 WHERE p.pronamespace = 'support'::regnamespace AND p.proparallel = 's'
                   AND p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))
                   AND EXISTS (SELECT 1 FROM pg_proc c WHERE c.pronamespace = 'support'::regnamespace AND c.proname = m[1])
                   AND NOT EXISTS (SELECT 1 FROM pg_proc c WHERE c.pronamespace = 'support'::regnamespace AND c.proname = m[1]
                                      AND c.proparallel = 's')
                 ORDER BY 1),
          '{}'::text[], 'no PARALLEL SAFE function calls one that is not');
-- volatile and still parallel safe: each reads something that changes
-- between calls, the same in a parallel worker as in its leader
SELECT is(ARRAY(SELECT p.proname::text FROM pg_proc p
                 WHERE p.pronamespace = 'support'::regnamespace AND p.provolatile = 'v' AND p.proparallel = 's'
                 ORDER BY 1),
          ARRAY['new_auth_key',     -- pg_strong_random
                'session_alive',    -- shared memory's session registry
                'verify_totp'],     -- the clock
          'the VOLATILE PARALLEL SAFE functions are these');

SELECT * FROM finish();
ROLLBACK;
