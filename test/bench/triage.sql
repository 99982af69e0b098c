-- Benchmark: one INSERT ... SELECT of 100,000 tickets through triage
-- (the C classification and routing trigger, and the statement trigger that
-- records escalations and renders each acknowledgment with the C template
-- function), with and without assignment, against
--   the same INSERT with the triage triggers disabled (priority and tier
--   given in the statement), and
--   the same triage written in PL/pgSQL the way a user would: a BEFORE row
--   trigger that reads the rules table per ticket and matches keywords with
--   to_tsvector, and an AFTER row trigger that records the escalation and
--   queues the acknowledgment, its template filled by a regexp loop.
-- Each run is rolled back; the best of three is kept.
--   psql -v tickets=100000 -f test/bench/triage.sql   (in a database with the extension)
\ir include/session.sql
\if :{?tickets}
\else
\set tickets 100000
\endif

INSERT INTO support.accounts (name, time_zone, calendar_id)
SELECT 'triage bench ' || i, 'UTC', 2 FROM generate_series(1, 50) i;
INSERT INTO support.account_users (account_id, email, full_name, role)
SELECT a.account_id, 'user' || a.account_id || '@triage.example', 'Bench User ' || a.account_id, 'campaign_manager'
  FROM support.accounts a WHERE a.name LIKE 'triage bench %';
INSERT INTO support.agents (email, full_name, tier, skills, on_shift)
SELECT 'agent' || i || '@triage.example', 'Agent ' || i, 1 + i % 3,
       CASE i % 3 WHEN 0 THEN ARRAY['campaign_management', 'reporting', 'documentation', 'platform_ui', 'account_administration']
                  WHEN 1 THEN ARRAY['api_integration', 'data_analysis', 'reporting', 'campaign_management']
                  ELSE ARRAY['infrastructure', 'software_engineering', 'security', 'product'] END,
       true
  FROM generate_series(1, 12) i;
CREATE TEMP TABLE bench_requesters AS
SELECT row_number() OVER (ORDER BY account_id) AS n, account_id, user_id
  FROM support.account_users WHERE email LIKE '%@triage.example';
-- a realistic mix: every category, channel and flag, subjects that hit keyword rules
CREATE TEMP TABLE bench_shapes AS
SELECT row_number() OVER () AS n, * FROM (VALUES
  ('Dashboards are slow today', 'portal', 'reporting', false, false, false),
  ('Budget pacing far below plan', 'email', 'campaign_performance', false, false, false),
  ('Conversions do not match our analytics', 'email', 'data_discrepancy', false, false, false),
  ('Product feed sync fails, manual upload works', 'api', 'technical_integration', false, false, true),
  ('How do I set up lookalike audiences', 'email', 'training', false, false, false),
  ('Please add an export button', 'portal', 'feature_request', false, false, false),
  ('Chart labels overlap', 'portal', 'ui_issue', false, false, false),
  ('Question about our invoice', 'email', 'general_inquiry', false, false, false),
  ('Spend per month for last year', 'portal', 'historical_data', false, false, false),
  ('Ad serving down', 'monitoring', 'service_outage', true, true, false),
  ('Bidding API returns errors', 'api', 'technical_integration', false, false, false),
  ('Cannot log in', 'portal', 'account_access', false, false, false)) AS s(subject, channel, category, outage, revenue, workaround);

CREATE OR REPLACE FUNCTION pg_temp.insert_ms(tickets int, given boolean) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz := clock_timestamp();
BEGIN
    INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority, tier,
                                 service_outage, revenue_impact, workaround_available)
    SELECT r.account_id, r.user_id, s.subject || ' ' || i, s.channel, s.category,
           CASE WHEN given THEN 'P3'::support.priority END, CASE WHEN given THEN 1 ELSE 1 END,
           s.outage, s.revenue, s.workaround
      FROM generate_series(1, tickets) i
      JOIN bench_requesters r ON r.n = 1 + i % 50
      JOIN bench_shapes s ON s.n = 1 + i % 12;
    RETURN extract(epoch FROM clock_timestamp() - started) * 1000;
END $$;

-- The PL/pgSQL baseline, in its own schema for the length of the run.
DROP SCHEMA IF EXISTS triage_plpgsql CASCADE;
CREATE SCHEMA triage_plpgsql;
CREATE FUNCTION triage_plpgsql.render(template text, vars jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    placeholder text[];
    key text;
    result text := template;
BEGIN
    IF result LIKE '%#12345%' THEN
        IF vars ->> 'ticket_number' IS NULL THEN
            RAISE EXCEPTION 'template variable "ticket_number" has no value';
        END IF;
        result := replace(result, '#12345', '#' || (vars ->> 'ticket_number'));
    END IF;
    FOR placeholder IN SELECT regexp_matches(template, '\[([^\]#\n]+)\]', 'g') LOOP
        key := CASE WHEN placeholder[1] = 'P1/P2/P3/P4' THEN 'priority'
                    ELSE trim(both '_' FROM regexp_replace(lower(placeholder[1]), '[^a-z0-9]+', '_', 'g')) END;
        IF vars ->> key IS NULL THEN
            RAISE EXCEPTION 'template variable "%" has no value', key;
        END IF;
        result := replace(result, '[' || placeholder[1] || ']', vars ->> key);
    END LOOP;
    RETURN result;
END $$;

CREATE FUNCTION triage_plpgsql.classify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    chosen support.categories;
    rule support.triage_rules;
    matched support.triage_rules;
    flags text[];
    document tsvector;
BEGIN
    SELECT * INTO chosen FROM support.categories c WHERE c.category = NEW.category;
    flags := array_remove(ARRAY[
        CASE WHEN NEW.service_outage THEN 'service_outage' END,
        CASE WHEN NEW.revenue_impact THEN 'revenue_impact' END,
        CASE WHEN NEW.security_or_data_integrity THEN 'security_or_data_integrity' END,
        CASE WHEN NEW.campaign_delivery_failure THEN 'campaign_delivery_failure' END,
        CASE WHEN NEW.peak_period THEN 'peak_period' END,
        CASE WHEN NEW.api_failure THEN 'api_failure' END,
        CASE WHEN NEW.workaround_available THEN 'workaround_available' END,
        CASE WHEN NEW.multi_client_impact THEN 'multi_client_impact' END], NULL);
    FOR rule IN SELECT * FROM support.triage_rules r WHERE r.active ORDER BY r.position LOOP
        CONTINUE WHEN rule.category IS NOT NULL AND rule.category <> NEW.category;
        CONTINUE WHEN rule.channel IS NOT NULL AND rule.channel <> NEW.channel;
        CONTINUE WHEN NOT rule.required_flags <@ flags OR rule.excluded_flags && flags;
        IF rule.keywords IS NOT NULL THEN
            document := COALESCE(document, to_tsvector('english', NEW.subject || ' ' || NEW.description));
            CONTINUE WHEN NOT document @@ websearch_to_tsquery('english', rule.keywords);
        END IF;
        matched := rule;
        EXIT;
    END LOOP;
    IF NEW.priority IS NULL THEN
        NEW.priority := COALESCE(matched.priority, chosen.default_priority);
        NEW.priority_source := CASE WHEN matched.rule_id IS NULL THEN 'category' ELSE 'rule' END;
    ELSE
        NEW.priority_source := 'given';
    END IF;
    NEW.triage_rule_id := matched.rule_id;
    NEW.tier := COALESCE(matched.escalate_to_tier, chosen.default_tier);
    RETURN NEW;
END $$;
-- after each new ticket: the escalation event and alert, the acknowledgment
CREATE FUNCTION triage_plpgsql.after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rule support.triage_rules;
    client support.account_users;
    account support.accounts;
    chosen support.categories;
    agent support.agents;
    template support.templates;
    vars jsonb;
BEGIN
    SELECT * INTO rule FROM support.triage_rules r WHERE r.rule_id = NEW.triage_rule_id;
    SELECT * INTO account FROM support.accounts a WHERE a.account_id = NEW.account_id;
    IF rule.alert_channel IS NOT NULL THEN
        INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_kind, visibility, body, new_value, details)
        VALUES (NEW.account_id, NEW.ticket_id, 'escalation', 'system', 'internal',
                format('Escalated on creation to tier %s by rule "%s"; %s alerted', NEW.tier, rule.name, rule.alert_channel),
                NEW.tier::text, jsonb_build_object('rule', rule.name, 'tier', NEW.tier, 'alert_channel', rule.alert_channel));
        INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, body, payload)
        VALUES (NEW.account_id, NEW.ticket_id, 'slack', rule.alert_channel,
                format('%s #%s %s (%s): %s', NEW.priority::text, NEW.ticket_id, account.name, NEW.channel, NEW.subject),
                jsonb_build_object('ticket', NEW.ticket_id, 'priority', NEW.priority::text, 'account', account.name,
                                   'channel', NEW.channel, 'tier', NEW.tier, 'rule', rule.name, 'subject', NEW.subject));
    END IF;
    SELECT * INTO client FROM support.account_users u WHERE u.account_id = NEW.account_id AND u.user_id = NEW.requester_id;
    SELECT * INTO chosen FROM support.categories c WHERE c.category = NEW.category;
    SELECT * INTO agent FROM support.agents g WHERE g.agent_id = NEW.assignee_id;
    SELECT * INTO template FROM support.templates t WHERE t.template = 'initial_response';
    vars := jsonb_build_object(
        'client_name', client.full_name, 'brief_description', NEW.subject, 'brief_issue_description', NEW.subject,
        'ticket_number', NEW.ticket_id,
        'priority', NEW.priority::text || ' (' || support.priority_label(NEW.priority) || ')',
        'name', COALESCE(agent.full_name, 'to be assigned from the tier ' || NEW.tier || ' queue'),
        'timeframe', COALESCE('by ' || to_char(NEW.resolution_due AT TIME ZONE account.time_zone, 'Dy DD Mon YYYY HH24:MI')
                              || ' ' || account.time_zone, 'to be confirmed'),
        'specific_action_items', COALESCE(chosen.diagnostic_steps[1], 'Review the details of your request'),
        'investigation_steps', COALESCE(chosen.diagnostic_steps[2], 'Reproduce and investigate the issue'),
        'expected_timeline', 'First response by ' || to_char(NEW.first_response_due AT TIME ZONE account.time_zone,
                                                             'Dy DD Mon YYYY HH24:MI') || ' ' || account.time_zone,
        'alternative_channel', CASE WHEN account.enterprise THEN 'your Slack channel ' || account.slack_channel
                                    ELSE 'the Emergency Hotline' END,
        'support_engineer_name', COALESCE(agent.full_name, 'Bedrock Platform Support'));
    INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, template, subject, body)
    VALUES (NEW.account_id, NEW.ticket_id, 'email', client.email, 'initial_response',
            triage_plpgsql.render(template.subject, vars), triage_plpgsql.render(template.body, vars));
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_20_classify_plpgsql BEFORE INSERT ON support.tickets
    FOR EACH ROW EXECUTE FUNCTION triage_plpgsql.classify();
CREATE TRIGGER ticket_80_triaged_plpgsql AFTER INSERT ON support.tickets
    FOR EACH ROW EXECUTE FUNCTION triage_plpgsql.after_insert();
ALTER TABLE support.tickets DISABLE TRIGGER ticket_20_classify_plpgsql, DISABLE TRIGGER ticket_80_triaged_plpgsql;

-- the baseline renders what the C function renders
SELECT count(*) AS template_disagreements
  FROM support.templates t,
       LATERAL (SELECT jsonb_object_agg(k, '<' || k || '>') AS vars
                  FROM unnest(ARRAY['client_name', 'brief_description', 'brief_issue_description', 'ticket_number',
                                    'priority', 'name', 'timeframe', 'specific_action_items', 'investigation_steps',
                                    'expected_timeline', 'alternative_channel', 'support_engineer_name',
                                    'detailed_progress_description', 'key_discoveries_or_root_cause_identification',
                                    'planned_actions_and_timeline', 'updated_estimate', 'any_blocking_factors',
                                    'verification_approach', 'explanation_of_underlying_issue',
                                    'detailed_description_of_fix', 'how_resolution_was_confirmed',
                                    'steps_to_prevent_recurrence', 'support_tier']) AS k) v
 WHERE support.render_template(t.body, v.vars) <> triage_plpgsql.render(t.body, v.vars) \gset

-- off: triage disabled, priority and tier given; c: C triage without and
-- with assignment; plpgsql: the PL/pgSQL triage (without assignment)
\set off 'ALTER TABLE support.tickets DISABLE TRIGGER ticket_20_classify, DISABLE TRIGGER ticket_80_triaged;'
\set plpgsql 'ALTER TABLE support.tickets DISABLE TRIGGER ticket_20_classify, DISABLE TRIGGER ticket_80_triaged, ENABLE TRIGGER ticket_20_classify_plpgsql, ENABLE TRIGGER ticket_80_triaged_plpgsql; SET LOCAL support.auto_assign = off;'
\set c 'SET LOCAL support.auto_assign = off;'
\set assign 'SET LOCAL support.auto_assign = on;'
BEGIN; :off SELECT pg_temp.insert_ms(:tickets, true) AS off1 \gset
ROLLBACK;
BEGIN; :c SELECT pg_temp.insert_ms(:tickets, false) AS c1 \gset
ROLLBACK;
BEGIN; :assign SELECT pg_temp.insert_ms(:tickets, false) AS assign1 \gset
ROLLBACK;
BEGIN; :plpgsql SELECT pg_temp.insert_ms(:tickets, false) AS plpgsql1 \gset
ROLLBACK;
BEGIN; :off SELECT pg_temp.insert_ms(:tickets, true) AS off2 \gset
ROLLBACK;
BEGIN; :c SELECT pg_temp.insert_ms(:tickets, false) AS c2 \gset
ROLLBACK;
BEGIN; :assign SELECT pg_temp.insert_ms(:tickets, false) AS assign2 \gset
ROLLBACK;
BEGIN; :off SELECT pg_temp.insert_ms(:tickets, true) AS off3 \gset
ROLLBACK;
BEGIN; :c SELECT pg_temp.insert_ms(:tickets, false) AS c3 \gset
ROLLBACK;
BEGIN; :assign SELECT pg_temp.insert_ms(:tickets, false) AS assign3 \gset
ROLLBACK;

\pset tuples_only on
\pset format unaligned
\echo
\echo 'INSERT ... SELECT of' :tickets 'tickets through triage, 12 ticket shapes across 50 accounts, 12 agents (best of 3; PL/pgSQL: 1 run)'
SELECT format('  triage triggers disabled          %s ms  %s tickets/s', lpad(round(least(:off1, :off2, :off3)::numeric)::text, 7),
              round(:tickets / least(:off1, :off2, :off3) * 1000))
UNION ALL SELECT format('  C triage (classify, route, render) %s ms  %s tickets/s  %s of the rate without triage',
              lpad(round(least(:c1, :c2, :c3)::numeric)::text, 6), round(:tickets / least(:c1, :c2, :c3) * 1000),
              round((least(:off1, :off2, :off3) / least(:c1, :c2, :c3))::numeric, 2))
UNION ALL SELECT format('  C triage with assignment          %s ms  %s tickets/s  %s of the rate without triage',
              lpad(round(least(:assign1, :assign2, :assign3)::numeric)::text, 7), round(:tickets / least(:assign1, :assign2, :assign3) * 1000),
              round((least(:off1, :off2, :off3) / least(:assign1, :assign2, :assign3))::numeric, 2))
UNION ALL SELECT format('  PL/pgSQL triage (no assignment)   %s ms  %s tickets/s  C is %sx its rate',
              lpad(round(:plpgsql1::numeric)::text, 7), round(:tickets / :plpgsql1 * 1000),
              round((:plpgsql1 / least(:c1, :c2, :c3))::numeric, 1))
UNION ALL SELECT format('  templates where the PL/pgSQL renderer disagrees: %s', :template_disagreements);
\pset tuples_only off
\pset format aligned
DROP SCHEMA triage_plpgsql CASCADE;
