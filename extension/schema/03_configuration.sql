-- Configuration: the handbook as data a support manager edits with SQL
-- (calendars of business hours, tiers, SLA policies, categories, channels,
-- troubleshooting steps, templates, Slack routes), with the triggers that
-- drop the C caches when it changes and that let a restore replace seeded
-- rows.

CREATE FUNCTION support.business_add(start timestamp with time zone, amount interval, calendar_id bigint) RETURNS timestamp with time zone
    LANGUAGE sql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT support.business_add(start, amount, c.hours, c.holidays) FROM support.calendar_row(calendar_id) c
$$;
COMMENT ON FUNCTION support.business_add(start timestamp with time zone, amount interval, calendar_id bigint) IS 'business_add on a calendar''s hours and holidays';

CREATE FUNCTION support.business_add(start timestamp with time zone, amount interval, hours support.business_hours, holidays date[] DEFAULT '{}'::date[]) RETURNS timestamp with time zone
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'business_add';
COMMENT ON FUNCTION support.business_add(start timestamp with time zone, amount interval, hours support.business_hours, holidays date[]) IS 'the earliest instant x >= start such that the business time in [start, x) equals amount (22023 for a negative amount)';

CREATE FUNCTION support.business_days_add(start timestamp with time zone, days integer, calendar_id bigint) RETURNS timestamp with time zone
    LANGUAGE sql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT support.business_days_add(start, days, c.hours, c.holidays) FROM support.calendar_row(calendar_id) c
$$;
COMMENT ON FUNCTION support.business_days_add(start timestamp with time zone, days integer, calendar_id bigint) IS 'business_days_add on a calendar''s hours and holidays';

CREATE FUNCTION support.business_days_add(start timestamp with time zone, days integer, hours support.business_hours, holidays date[] DEFAULT '{}'::date[]) RETURNS timestamp with time zone
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'business_days_add';
COMMENT ON FUNCTION support.business_days_add(start timestamp with time zone, days integer, hours support.business_hours, holidays date[]) IS 'the same local time days business days later (from the next opening if start is outside hours; the next opening if that time is not in hours)';

CREATE FUNCTION support.business_diff("from" timestamp with time zone, "to" timestamp with time zone, calendar_id bigint) RETURNS interval
    LANGUAGE sql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT support.business_diff("from", "to", c.hours, c.holidays) FROM support.calendar_row(calendar_id) c
$$;
COMMENT ON FUNCTION support.business_diff("from" timestamp with time zone, "to" timestamp with time zone, calendar_id bigint) IS 'business_diff on a calendar''s hours and holidays';

CREATE FUNCTION support.business_diff("from" timestamp with time zone, "to" timestamp with time zone, hours support.business_hours, holidays date[] DEFAULT '{}'::date[]) RETURNS interval
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'business_diff';
COMMENT ON FUNCTION support.business_diff("from" timestamp with time zone, "to" timestamp with time zone, hours support.business_hours, holidays date[]) IS 'business time in [from, to), negative when to is before from';

CREATE SEQUENCE support.calendar_id_seq;
GRANT USAGE ON SEQUENCE support.calendar_id_seq TO support_manager;
CREATE TABLE support.calendar (
    calendar_id bigint NOT NULL,
    name text NOT NULL,
    hours support.business_hours NOT NULL,
    holidays date[] DEFAULT '{}'::date[] NOT NULL
);
ALTER TABLE ONLY support.calendar ALTER COLUMN calendar_id SET DEFAULT nextval('support.calendar_id_seq'::regclass);
ALTER TABLE ONLY support.calendar
    ADD CONSTRAINT calendar_name_key UNIQUE (name);
ALTER TABLE ONLY support.calendar
    ADD CONSTRAINT calendar_pkey PRIMARY KEY (calendar_id);
ALTER SEQUENCE support.calendar_id_seq OWNED BY support.calendar.calendar_id;
ALTER TABLE support.calendar ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.calendar IS 'business calendars: weekly hours in a time zone (''mon-fri 09:00-17:00 @ America/New_York'' or ''24x7'') and local holiday dates';
COMMENT ON COLUMN support.calendar.hours IS 'weekly business hours and their time zone';
COMMENT ON COLUMN support.calendar.holidays IS 'local dates without business hours';
GRANT SELECT ON TABLE support.calendar TO support_client, support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.calendar TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.calendar', '');
SELECT pg_catalog.pg_extension_config_dump('support.calendar_id_seq', '');

CREATE FUNCTION support.calendar_row(calendar_id bigint) RETURNS support.calendar
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    row support.calendar;
BEGIN
    SELECT * INTO row FROM support.calendar c
     WHERE c.calendar_id OPERATOR(pg_catalog.=) calendar_row.calendar_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'calendar % does not exist', calendar_id
              USING ERRCODE = 'no_data_found', HINT = 'Calendars are listed in support.calendar.';
    END IF;
    RETURN row;
END $$;
COMMENT ON FUNCTION support.calendar_row(calendar_id bigint) IS 'the calendar with this id; P0002 when there is none';

CREATE FUNCTION support.config_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'config_changed';
COMMENT ON FUNCTION support.config_changed() IS 'drops every backend''s cached copy of the configuration table it fires on, once the change commits';
REVOKE ALL ON FUNCTION support.config_changed() FROM PUBLIC;

CREATE FUNCTION support.render_template(template text, vars jsonb) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'render_template';
COMMENT ON FUNCTION support.render_template(template text, vars jsonb) IS 'fills [Bracketed Phrase] (variable bracketed_phrase; [P1/P2/P3/P4] is priority), {{name}} and #12345 (ticket_number) from vars; a missing variable is an error naming it (22023)';

-- pg_dump dumps the data of the configuration tables (seeded and added rows
-- alike) and pg_restore replays it after CREATE EXTENSION has seeded them
-- again (support.restoring()); for it a row whose key already exists
-- replaces the seeded row instead of failing, so edited seed rows keep
-- their edits.
CREATE FUNCTION support.restore_config_row() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $_$
DECLARE
    key_column text := TG_ARGV[0];
    assignments text;
    replaced integer;
BEGIN
    IF NOT support.restoring() THEN
        RETURN NEW;
    END IF;
    SELECT string_agg(format('%I = ($1).%I', attname, attname), ', ')
      INTO assignments
      FROM pg_attribute
     WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped AND attname <> key_column;
    -- keys compared as text: the key's own operators need not be on the
    -- (pinned) search_path
    EXECUTE format('UPDATE %I.%I SET %s WHERE %I::text OPERATOR(pg_catalog.=) (($1).%I)::text',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME, assignments, key_column, key_column)
      USING NEW;
    GET DIAGNOSTICS replaced = ROW_COUNT;
    RETURN CASE WHEN replaced > 0 THEN NULL ELSE NEW END;
END $_$;
COMMENT ON FUNCTION support.restore_config_row() IS 'during a restore (row_security = off), turns the insert of an existing configuration key into an update of the seeded row';
REVOKE ALL ON FUNCTION support.restore_config_row() FROM PUBLIC;

CREATE FUNCTION support.slack_channel(route text) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    channel text;
BEGIN
    SELECT r.channel INTO channel FROM support.slack_routes r WHERE r.route OPERATOR(pg_catalog.=) slack_channel.route;
    IF channel IS NULL THEN
        RAISE EXCEPTION 'no Slack route "%"', route
              USING ERRCODE = 'no_data_found',
                    HINT = 'support.slack_routes needs a row for critical, escalations, feedback and general.';
    END IF;
    RETURN channel;
END $$;
COMMENT ON FUNCTION support.slack_channel(route text) IS 'the channel support.slack_routes names for an alert route; P0002 when it has none';
REVOKE ALL ON FUNCTION support.slack_channel(route text) FROM PUBLIC;

CREATE TABLE support.tiers (
    tier smallint NOT NULL,
    name text NOT NULL,
    responsibilities text[] DEFAULT '{}'::text[] NOT NULL,
    skills_required text[] DEFAULT '{}'::text[] NOT NULL,
    initial_response interval NOT NULL,
    resolution_target interval,
    escalation_threshold interval,
    escalation_condition text,
    business_hours_only boolean DEFAULT true NOT NULL,
    targets_apply_to support.priority[] DEFAULT '{P1,P2,P3,P4}'::support.priority[] NOT NULL,
    CONSTRAINT tiers_escalation_threshold_check CHECK (((EXTRACT(epoch FROM escalation_threshold) > (0)::numeric) AND (escalation_threshold <= '1 year'::interval))),
    CONSTRAINT tiers_initial_response_check CHECK (((EXTRACT(epoch FROM initial_response) > (0)::numeric) AND (initial_response <= '30 days'::interval))),
    CONSTRAINT tiers_resolution_target_check CHECK (((EXTRACT(epoch FROM resolution_target) > (0)::numeric) AND (resolution_target <= '1 year'::interval))),
    CONSTRAINT tiers_tier_check CHECK (((tier >= 1) AND (tier <= 3)))
);
ALTER TABLE ONLY support.tiers
    ADD CONSTRAINT tiers_pkey PRIMARY KEY (tier);
ALTER TABLE support.tiers ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.tiers IS 'support tiers 1-3 with the handbook''s response, resolution and escalation targets (NULL resolution target: variable with complexity)';
COMMENT ON COLUMN support.tiers.targets_apply_to IS 'the priorities whose tickets the tier''s initial_response and resolution_target apply to, from when a ticket enters the tier, beside its priority''s targets (the earliest "breach imminent" mark of them all escalates); empty: for reference only. Seeded: tiers 1 and 2 every priority, tier 3 (its 30 minutes are for critical issues) P1';
GRANT SELECT ON TABLE support.tiers TO support_client, support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.tiers TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.tiers', '');

CREATE TABLE support.categories (
    category text NOT NULL,
    name text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    default_priority support.priority NOT NULL,
    default_tier smallint NOT NULL,
    required_skill text NOT NULL,
    symptoms text[] DEFAULT '{}'::text[] NOT NULL,
    diagnostic_steps text[] DEFAULT '{}'::text[] NOT NULL,
    common_solutions text[] DEFAULT '{}'::text[] NOT NULL,
    active boolean DEFAULT true NOT NULL,
    CONSTRAINT categories_category_check CHECK ((category ~ '^[a-z][a-z0-9_]*$'::text))
);
ALTER TABLE ONLY support.categories
    ADD CONSTRAINT categories_pkey PRIMARY KEY (category);
ALTER TABLE ONLY support.categories
    ADD CONSTRAINT categories_default_tier_fkey FOREIGN KEY (default_tier) REFERENCES support.tiers(tier);
ALTER TABLE support.categories ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.categories IS 'issue categories with their default priority and tier, the skill they need, and the handbook''s symptoms, diagnostic steps and common solutions';
GRANT SELECT ON TABLE support.categories TO support_client, support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.categories TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.categories', '');

CREATE TABLE support.channels (
    channel text NOT NULL,
    name text NOT NULL,
    address text,
    hours text NOT NULL,
    response_target interval,
    use_cases text[] DEFAULT '{}'::text[] NOT NULL,
    active boolean DEFAULT true NOT NULL,
    CONSTRAINT channels_channel_check CHECK ((channel ~ '^[a-z][a-z0-9_]*$'::text)),
    CONSTRAINT channels_response_target_check CHECK ((response_target > '00:00:00'::interval))
);
ALTER TABLE ONLY support.channels
    ADD CONSTRAINT channels_pkey PRIMARY KEY (channel);
ALTER TABLE support.channels ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.channels IS 'the channels through which tickets arrive, with their hours and acknowledgment targets';
GRANT SELECT ON TABLE support.channels TO support_client, support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.channels TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.channels', '');

CREATE TABLE support.internal_channels (
    name text NOT NULL,
    purpose text NOT NULL,
    CONSTRAINT internal_channels_name_check CHECK ((name ~ '^#[a-z0-9_-]+$'::text))
);
ALTER TABLE ONLY support.internal_channels
    ADD CONSTRAINT internal_channels_pkey PRIMARY KEY (name);
ALTER TABLE support.internal_channels ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.internal_channels IS 'internal Slack channels of the support team and what each is for';
GRANT SELECT ON TABLE support.internal_channels TO support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.internal_channels TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.internal_channels', '');

CREATE TABLE support.sla_policies (
    priority support.priority NOT NULL,
    name text NOT NULL,
    criteria text[] DEFAULT '{}'::text[] NOT NULL,
    response_target interval NOT NULL,
    resolution_target interval NOT NULL,
    update_cadence interval NOT NULL,
    update_cadence_unit text NOT NULL,
    clock text NOT NULL,
    escalation_ratio numeric(4,3) DEFAULT 0.8 NOT NULL,
    follow_up_after interval DEFAULT '24:00:00'::interval NOT NULL,
    auto_close_after interval DEFAULT '72:00:00'::interval NOT NULL,
    escalation_call_within interval DEFAULT '02:00:00'::interval NOT NULL,
    escalated_update_cadence interval DEFAULT '02:00:00'::interval NOT NULL,
    executive_update_cadence interval DEFAULT '01:00:00'::interval NOT NULL,
    post_incident_review_within interval DEFAULT '5 days'::interval NOT NULL,
    CONSTRAINT business_day_cadence_in_whole_days CHECK (((update_cadence_unit <> 'business_days'::text) OR ((EXTRACT(epoch FROM update_cadence) % (86400)::numeric) = (0)::numeric))),
    CONSTRAINT sla_policies_auto_close_after_check CHECK (((EXTRACT(epoch FROM auto_close_after) > (0)::numeric) AND (auto_close_after <= '1 year'::interval))),
    CONSTRAINT sla_policies_clock_check CHECK ((clock = ANY (ARRAY['24x7'::text, 'business'::text]))),
    CONSTRAINT sla_policies_escalated_update_cadence_check CHECK (((EXTRACT(epoch FROM escalated_update_cadence) > (0)::numeric) AND (escalated_update_cadence <= '30 days'::interval))),
    CONSTRAINT sla_policies_escalation_call_within_check CHECK (((EXTRACT(epoch FROM escalation_call_within) > (0)::numeric) AND (escalation_call_within <= '30 days'::interval))),
    CONSTRAINT sla_policies_escalation_ratio_check CHECK (((escalation_ratio > (0)::numeric) AND (escalation_ratio <= (1)::numeric))),
    CONSTRAINT sla_policies_executive_update_cadence_check CHECK (((EXTRACT(epoch FROM executive_update_cadence) > (0)::numeric) AND (executive_update_cadence <= '30 days'::interval))),
    CONSTRAINT sla_policies_follow_up_after_check CHECK (((EXTRACT(epoch FROM follow_up_after) > (0)::numeric) AND (follow_up_after <= '1 year'::interval))),
    CONSTRAINT sla_policies_post_incident_review_within_check CHECK (((EXTRACT(epoch FROM post_incident_review_within) > (0)::numeric) AND (post_incident_review_within <= '1 year'::interval))),
    CONSTRAINT sla_policies_resolution_target_check CHECK (((EXTRACT(epoch FROM resolution_target) > (0)::numeric) AND (resolution_target <= '1 year'::interval))),
    CONSTRAINT sla_policies_response_target_check CHECK (((EXTRACT(epoch FROM response_target) > (0)::numeric) AND (response_target <= '30 days'::interval))),
    CONSTRAINT sla_policies_update_cadence_check CHECK (((EXTRACT(epoch FROM update_cadence) > (0)::numeric) AND (update_cadence <= '30 days'::interval))),
    CONSTRAINT sla_policies_update_cadence_unit_check CHECK ((update_cadence_unit = ANY (ARRAY['elapsed'::text, 'business_hours'::text, 'business_days'::text])))
);
ALTER TABLE ONLY support.sla_policies
    ADD CONSTRAINT sla_policies_pkey PRIMARY KEY (priority);
ALTER TABLE support.sla_policies ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.sla_policies IS 'per-priority targets: first response, resolution, update cadence, which clock runs (24x7 or the account calendar) and the share of a target after which a breach is imminent';
COMMENT ON COLUMN support.sla_policies.follow_up_after IS 'after resolution, when the follow-up check-in is due (handbook: 24-48 hours)';
COMMENT ON COLUMN support.sla_policies.auto_close_after IS 'a resolved ticket not reopened within this verification period is closed';
COMMENT ON COLUMN support.sla_policies.escalation_call_within IS 'a client''s escalation request gets a call within this time (handbook: 2 hours)';
COMMENT ON COLUMN support.sla_policies.escalated_update_cadence IS 'update cadence (elapsed) once the client asked for an escalation, when shorter than the usual one';
COMMENT ON COLUMN support.sla_policies.executive_update_cadence IS 'update cadence (elapsed) of an executive escalation (handbook: hourly)';
COMMENT ON COLUMN support.sla_policies.post_incident_review_within IS 'after the resolution of an executive escalation, its post-incident review is due within this (elapsed); the escalation worker chases it then';
GRANT SELECT ON TABLE support.sla_policies TO support_client, support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.sla_policies TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.sla_policies', '');

-- The handbook's escalation triggers besides the SLA marks: "client
-- expresses dissatisfaction with progress" and "revenue impact exceeds
-- predefined thresholds". A support manager tunes them here.
CREATE TABLE support.escalation_triggers (
    singleton boolean DEFAULT true NOT NULL,
    dissatisfied_rating smallint DEFAULT 2 NOT NULL,
    executive_priorities support.priority[] DEFAULT '{P1}'::support.priority[] NOT NULL,
    war_rooms_a_day smallint DEFAULT 3 NOT NULL,
    client_pages_an_hour smallint DEFAULT 5 NOT NULL,
    CONSTRAINT escalation_triggers_singleton_check CHECK (singleton),
    CONSTRAINT page_limits_are_not_negative CHECK (((war_rooms_a_day >= 0) AND (client_pages_an_hour >= 0))),
    CONSTRAINT escalation_triggers_dissatisfied_rating_check CHECK (((dissatisfied_rating >= 0) AND (dissatisfied_rating <= 5)))
);
ALTER TABLE ONLY support.escalation_triggers
    ADD CONSTRAINT escalation_triggers_pkey PRIMARY KEY (singleton);
ALTER TABLE support.escalation_triggers ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.escalation_triggers IS 'when a client''s dissatisfaction escalates a ticket, which priorities go to the executives from the top tier, and how often an account may page them and the managers (one row)';
COMMENT ON COLUMN support.escalation_triggers.executive_priorities IS 'the priorities of "critical business impact": escalating such a ticket from the top tier brings in the executives (a war room); others go to the support managers';
COMMENT ON COLUMN support.escalation_triggers.war_rooms_a_day IS 'war rooms an account''s tickets may open in 24 hours without staff deciding it (the worker''s marks, a client''s dissatisfaction or revenue at risk); beyond it the escalation goes to the support managers, who may still escalate to the executives (support.escalate_to_executive)';
COMMENT ON COLUMN support.escalation_triggers.client_pages_an_hour IS 'times an account''s clients may page the support managers in an hour (escalation requests and dissatisfaction); beyond it each request or complaint is still recorded, acknowledged and escalated, and #support-escalations hears once that the limit was reached';
COMMENT ON COLUMN support.escalation_triggers.dissatisfied_rating IS 'a satisfaction rating at or below this (1-5) is dissatisfaction: the ticket reopens and escalates; 0 turns it off';
GRANT SELECT,UPDATE ON TABLE support.escalation_triggers TO support_manager;
GRANT SELECT ON TABLE support.escalation_triggers TO support_agent;
SELECT pg_catalog.pg_extension_config_dump('support.escalation_triggers', '');

CREATE SEQUENCE support.dissatisfaction_rule_id_seq;
CREATE TABLE support.dissatisfaction_rules (
    rule_id bigint DEFAULT nextval('support.dissatisfaction_rule_id_seq'::regclass) NOT NULL,
    name text NOT NULL,
    keywords text NOT NULL,
    active boolean DEFAULT true NOT NULL,
    CONSTRAINT dissatisfaction_rules_keywords_check CHECK ((btrim(keywords) <> ''::text)),
    CONSTRAINT keywords_match_something CHECK (CASE WHEN (length(keywords) > 1000) THEN false ELSE (querytree(websearch_to_tsquery('english'::regconfig, keywords)) <> ALL (ARRAY['T'::text, ''::text])) END),
    CONSTRAINT dissatisfaction_rules_name_check CHECK ((btrim(name) <> ''::text))
);
ALTER TABLE ONLY support.dissatisfaction_rules
    ADD CONSTRAINT dissatisfaction_rules_pkey PRIMARY KEY (rule_id);
ALTER SEQUENCE support.dissatisfaction_rule_id_seq OWNED BY support.dissatisfaction_rules.rule_id;
ALTER TABLE support.dissatisfaction_rules ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.dissatisfaction_rules IS 'words in a client''s message that express dissatisfaction with progress, matched as triage''s keyword rules are (websearch syntax, English stemming): a match escalates the ticket. Keywords are at most 1,000 characters and must require some word (not only stop words or negations)';
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.dissatisfaction_rules TO support_manager;
GRANT SELECT ON TABLE support.dissatisfaction_rules TO support_agent;
GRANT USAGE ON SEQUENCE support.dissatisfaction_rule_id_seq TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.dissatisfaction_rules', '');
SELECT pg_catalog.pg_extension_config_dump('support.dissatisfaction_rule_id_seq', '');

CREATE SEQUENCE support.revenue_threshold_id_seq;
CREATE TABLE support.revenue_thresholds (
    threshold_id bigint DEFAULT nextval('support.revenue_threshold_id_seq'::regclass) NOT NULL,
    account_id bigint,
    priority support.priority,
    currency text NOT NULL,
    amount numeric(14,2) NOT NULL,
    CONSTRAINT revenue_thresholds_amount_check CHECK ((amount > (0)::numeric)),
    CONSTRAINT revenue_thresholds_currency_check CHECK ((currency ~ '^[A-Z]{3}$'::text))
);
ALTER TABLE ONLY support.revenue_thresholds
    ADD CONSTRAINT revenue_thresholds_pkey PRIMARY KEY (threshold_id);
ALTER TABLE ONLY support.revenue_thresholds
    ADD CONSTRAINT revenue_thresholds_scope_key UNIQUE NULLS NOT DISTINCT (account_id, priority, currency);
ALTER SEQUENCE support.revenue_threshold_id_seq OWNED BY support.revenue_thresholds.threshold_id;
ALTER TABLE support.revenue_thresholds ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.revenue_thresholds IS 'revenue at risk (in a currency) above which a ticket escalates; the most specific row applies: the account''s for the priority, the account''s, the priority''s, then everyone''s (NULL account and priority)';
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.revenue_thresholds TO support_manager;
GRANT SELECT ON TABLE support.revenue_thresholds TO support_agent;
GRANT USAGE ON SEQUENCE support.revenue_threshold_id_seq TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.revenue_thresholds', '');
SELECT pg_catalog.pg_extension_config_dump('support.revenue_threshold_id_seq', '');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.escalation_triggers FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('singleton');
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.dissatisfaction_rules FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('rule_id');
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.revenue_thresholds FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('threshold_id');

-- Which team channel hears what: a support manager edits these rows.
CREATE TABLE support.slack_routes (
    route text NOT NULL,
    channel text NOT NULL,
    description text NOT NULL,
    CONSTRAINT slack_routes_channel_check CHECK ((channel ~ '^#[a-z0-9_-]+$'::text)),
    CONSTRAINT slack_routes_route_check CHECK ((route = ANY (ARRAY['critical'::text, 'escalations'::text, 'feedback'::text, 'general'::text])))
);
ALTER TABLE ONLY support.slack_routes
    ADD CONSTRAINT slack_routes_pkey PRIMARY KEY (route);
ALTER TABLE support.slack_routes ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.slack_routes IS 'the Slack channel of each kind of alert: critical (P1 tickets, executive escalations), escalations (tier 2/3 escalations, breaches, escalation calls), feedback (ratings), general (reminders nobody holds a ticket for)';
GRANT SELECT ON TABLE support.slack_routes TO support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.slack_routes TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.slack_routes', '');

CREATE TABLE support.templates (
    template text NOT NULL,
    name text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    CONSTRAINT templates_template_check CHECK ((template ~ '^[a-z][a-z0-9_]*$'::text)),
    CONSTRAINT templates_are_at_most_64_kb CHECK (((octet_length(subject) <= 998) AND (octet_length(body) <= 65536) AND support.is_one_line(subject)))
);
ALTER TABLE ONLY support.templates
    ADD CONSTRAINT templates_pkey PRIMARY KEY (template);
ALTER TABLE support.templates ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.templates IS 'client communication templates with the handbook''s [placeholders], checked when written: each placeholder must be one the desk fills (support.template_variable_names)';
GRANT SELECT ON TABLE support.templates TO support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.templates TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.templates', '');

-- A template is checked when written: a placeholder the desk does not fill
-- would otherwise stop every message made from it (a manager's
-- {{unsubscribe_link}} stopped ticket creation). What it may use is
-- src/client_texts.c's, in one place.
CREATE FUNCTION support.template_variable_names(template_name text) RETURNS text[]
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'template_variable_names';
COMMENT ON FUNCTION support.template_variable_names(template_name text) IS 'the variables the desk fills for the template of that name: every client template''s, and what its one caller adds';

CREATE FUNCTION support.template_unknown_variables(text text, template_name text) RETURNS text[]
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'template_unknown_variables';
COMMENT ON FUNCTION support.template_unknown_variables(text text, template_name text) IS 'the placeholders of text the desk does not fill for that template (22P02 for a malformed one)';

CREATE FUNCTION support.check_template() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    unknown text[];
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'templates', 'check_template');
    IF support.restoring() THEN
        RETURN NEW;
    END IF;
    unknown := support.template_unknown_variables(NEW.subject, NEW.template)
               OPERATOR(pg_catalog.||) support.template_unknown_variables(NEW.body, NEW.template);
    IF pg_catalog.cardinality(unknown) OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION 'template "%" uses %, which the desk does not fill', NEW.template,
                        pg_catalog.array_to_string(ARRAY(SELECT DISTINCT u FROM pg_catalog.unnest(unknown) u ORDER BY u), ', ')
              USING ERRCODE = 'check_violation',
                    HINT = 'Its placeholders may name: ' OPERATOR(pg_catalog.||)
                           pg_catalog.array_to_string(support.template_variable_names(NEW.template), ', ')
                           OPERATOR(pg_catalog.||) ' (as [Client Name] or {{client_name}}; #12345 is ticket_number).';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION support.check_template() IS 'BEFORE INSERT OR UPDATE trigger on support.templates: a placeholder the desk does not fill is refused (23514, listing those it does)';
REVOKE ALL ON FUNCTION support.check_template() FROM PUBLIC;
CREATE TRIGGER templates_are_filled BEFORE INSERT OR UPDATE ON support.templates FOR EACH ROW EXECUTE FUNCTION support.check_template();

CREATE TABLE support.troubleshooting_steps (
    step smallint NOT NULL,
    name text NOT NULL,
    time_box text NOT NULL,
    actions text[] DEFAULT '{}'::text[] NOT NULL,
    CONSTRAINT troubleshooting_steps_step_check CHECK ((step > 0))
);
ALTER TABLE ONLY support.troubleshooting_steps
    ADD CONSTRAINT troubleshooting_steps_pkey PRIMARY KEY (step);
ALTER TABLE support.troubleshooting_steps ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.troubleshooting_steps IS 'the standard troubleshooting methodology, step by step with its time boxes';
GRANT SELECT ON TABLE support.troubleshooting_steps TO support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.troubleshooting_steps TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.troubleshooting_steps', '');

CREATE TRIGGER config_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON support.calendar FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER config_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON support.categories FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER config_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON support.sla_policies FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER config_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON support.templates FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER config_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON support.tiers FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.calendar FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('calendar_id');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.categories FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('category');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.channels FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('channel');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.internal_channels FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('name');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.sla_policies FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('priority');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.slack_routes FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('route');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.templates FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('template');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.tiers FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('tier');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.troubleshooting_steps FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('step');

-- Who reads and writes the configuration, one rule for all of it: managers
-- edit it, agents read it, clients read what their own tickets' deadlines
-- and texts come from; each group only with a key of its own kind.
DO $$
DECLARE
    config_table text;
BEGIN
    FOREACH config_table IN ARRAY ARRAY['calendar', 'categories', 'channels', 'internal_channels',
                                        'sla_policies', 'slack_routes', 'templates', 'tiers',
                                        'troubleshooting_steps', 'escalation_triggers',
                                        'dissatisfaction_rules', 'revenue_thresholds'] LOOP
        EXECUTE format('CREATE POLICY manager_all ON support.%I TO support_manager'
                       ' USING (((SELECT support.current_key_kind()) = ''manager'') AND (SELECT support.current_is_manager()))'
                       ' WITH CHECK (((SELECT support.current_key_kind()) = ''manager'') AND (SELECT support.current_is_manager()))',
                       config_table);
        EXECUTE format('CREATE POLICY agent_read ON support.%I FOR SELECT TO support_agent'
                       ' USING (((SELECT support.current_key_kind()) = ''agent'') AND ((SELECT support.current_agent_tier()) IS NOT NULL))',
                       config_table);
        IF config_table = ANY (ARRAY['calendar', 'categories', 'channels', 'sla_policies', 'tiers']) THEN
            EXECUTE format('CREATE POLICY client_read ON support.%I FOR SELECT TO support_client'
                           ' USING (((SELECT support.current_key_kind()) = ''client'') AND ((SELECT support.current_account_id()) IS NOT NULL))',
                           config_table);
        END IF;
    END LOOP;
END $$;

INSERT INTO support.escalation_triggers (singleton, dissatisfied_rating) VALUES (true, 2);
INSERT INTO support.dissatisfaction_rules (name, keywords) VALUES
	('Unhappy with progress', 'unacceptable OR frustrated OR frustrating OR disappointed OR ridiculous OR "still waiting" OR "no update" OR "no progress" OR "not good enough" OR "too slow"'),
	('Asks for a manager', '"speak to a manager" OR "talk to a manager" OR "your manager" OR "escalate this"');
INSERT INTO support.revenue_thresholds (account_id, priority, currency, amount) VALUES
	(NULL, NULL, 'USD', 10000.00),
	(NULL, NULL, 'EUR', 10000.00),
	(NULL, NULL, 'GBP', 8000.00),
	(NULL, 'P1', 'USD', 5000.00),
	(NULL, 'P1', 'EUR', 5000.00),
	(NULL, 'P1', 'GBP', 4000.00);
-- a sequence made and drawn from in one transaction keeps its unlogged
-- fetch-ahead under wal_level = minimal, and went back after a crash: reset
SELECT pg_catalog.setval('support.dissatisfaction_rule_id_seq', 2, true);
SELECT pg_catalog.setval('support.revenue_threshold_id_seq', 6, true);

INSERT INTO support.calendar (calendar_id, name, hours, holidays) VALUES
	(1, 'Around the clock (on-call coverage)', '24x7', '{}'),
	(2, 'Business hours, UTC', 'mon-fri 09:00-17:00 @ UTC', '{}');

SELECT pg_catalog.setval('support.calendar_id_seq', 2, true);

INSERT INTO support.tiers (tier, name, responsibilities, skills_required, initial_response, resolution_target, escalation_threshold, escalation_condition, business_hours_only) VALUES
	(1, 'First-Line Support', '{"Initial client contact and issue triage","Basic troubleshooting and FAQ resolution","Account access and login assistance","Campaign setup guidance and best practices","Standard reporting and dashboard support","Documentation of issues and client interactions"}', '{"Platform UI navigation and basic functionality","Campaign management fundamentals","Reporting and analytics interpretation","Basic troubleshooting methodology","Excellent communication and documentation skills"}', '02:00:00', '04:00:00', '02:00:00', 'no progress', true),
	(2, 'Technical Support', '{"Advanced technical troubleshooting","Campaign optimization and performance analysis","API integration support and debugging","Data discrepancy investigation and resolution","Platform configuration and customization","Complex reporting and analytics support"}', '{"Deep platform technical knowledge","API and integration expertise","Database query and analysis capabilities","Performance optimization techniques","Advanced troubleshooting and root cause analysis"}', '01:00:00', '08:00:00', '04:00:00', 'specialized expertise needed', true),
	(3, 'Engineering Support', '{"Platform bugs and system issues","Infrastructure and performance problems","Feature requests and enhancement evaluation","Critical system outages and emergency response","Code-level debugging and fixes","Architecture and design consultation"}', '{"Full platform architecture knowledge","Software development and debugging","Infrastructure and DevOps expertise","Database administration and optimization","System design and scalability planning"}', '00:30:00', NULL, NULL, 'executive and product team involvement', false);

-- the handbook gives tier 3's 30-minute response for critical issues
UPDATE support.tiers SET targets_apply_to = '{P1}' WHERE tier = 3;

INSERT INTO support.categories (category, name, description, default_priority, default_tier, required_skill, symptoms, diagnostic_steps, common_solutions, active) VALUES
	('campaign_performance', 'Campaign Performance Issues', 'Delivery, pacing, click-through and conversion problems of running campaigns', 'P3', 1, 'campaign_management', '{"Low impression delivery or spend pacing","Poor click-through or conversion rates","Unexpected campaign pausing or errors","Budget utilization problems"}', '{"Review campaign configuration and targeting settings","Analyze bid performance and win rate metrics","Check budget allocation and pacing settings","Verify creative approval and compliance status","Examine audience segment availability and size"}', '{"Adjust bid prices and targeting parameters","Optimize audience segments and frequency capping","Review and update creative assets","Modify budget allocation and pacing strategies","Implement performance optimization recommendations"}', true),
	('data_discrepancy', 'Data Discrepancies', 'Reporting inconsistencies, missing data and attribution problems', 'P2', 2, 'data_analysis', '{"Reporting inconsistencies between platforms","Missing or delayed data in dashboards","Conversion tracking attribution issues","Revenue reconciliation problems"}', '{"Compare data across multiple reporting sources","Check tracking pixel implementation and firing","Verify attribution windows and methodology","Analyze data pipeline processing and timing","Review third-party integration configurations"}', '{"Correct tracking implementation issues","Adjust attribution settings and windows","Reconcile data processing timing differences","Update integration configurations and mappings","Provide detailed explanation of methodology differences"}', true),
	('technical_integration', 'Technical Integration Issues', 'API, data sync, webhook and SDK integration failures', 'P2', 2, 'api_integration', '{"API authentication or authorization failures","Data sync errors or incomplete transfers","Webhook delivery failures or timeouts","SDK integration problems or crashes"}', '{"Review API credentials and authentication setup","Check rate limiting and quota utilization","Analyze request/response logs and error messages","Verify endpoint configurations and parameters","Test integration in staging environment"}', '{"Update API credentials and permissions","Implement proper error handling and retry logic","Optimize request patterns and rate limiting","Correct endpoint configurations and parameters","Provide updated integration documentation and examples"}', true),
	('service_outage', 'Service Outage', 'Complete or partial loss of platform service', 'P1', 3, 'infrastructure', '{}', '{}', '{}', true),
	('security', 'Security or Data Integrity', 'Security breaches and data integrity issues', 'P1', 3, 'security', '{}', '{}', '{}', true),
	('platform_bug', 'Platform Bug', 'Defects in platform behaviour needing code-level debugging', 'P2', 3, 'software_engineering', '{}', '{}', '{}', true),
	('infrastructure', 'Infrastructure and Performance', 'Infrastructure and performance problems', 'P2', 3, 'infrastructure', '{}', '{}', '{}', true),
	('complex_reporting', 'Complex Reporting and Analytics', 'Advanced reporting and analytics questions', 'P3', 2, 'reporting', '{}', '{}', '{}', true),
	('reporting', 'Standard Reporting and Dashboards', 'Standard reports and dashboard support', 'P3', 1, 'reporting', '{}', '{}', '{}', true),
	('account_access', 'Account Access and Login', 'Login and account access assistance', 'P3', 1, 'account_administration', '{}', '{}', '{}', true),
	('feature_request', 'Feature Request', 'Feature requests and enhancement suggestions', 'P3', 3, 'product', '{}', '{}', '{}', true),
	('ui_issue', 'UI Issue', 'Non-critical UI issues or cosmetic problems', 'P3', 1, 'platform_ui', '{}', '{}', '{}', true),
	('training', 'Training and Best Practices', 'Training requests and best practice guidance', 'P3', 1, 'campaign_management', '{}', '{}', '{}', true),
	('documentation', 'Documentation', 'Documentation updates and clarifications', 'P3', 1, 'documentation', '{}', '{}', '{}', true),
	('general_inquiry', 'General Inquiry', 'General inquiries and information requests', 'P4', 1, 'platform_ui', '{}', '{}', '{}', true),
	('maintenance', 'Scheduled Maintenance', 'Scheduled maintenance notifications', 'P4', 1, 'platform_ui', '{}', '{}', '{}', true),
	('account_administration', 'Account Administration', 'Account administration tasks', 'P4', 1, 'account_administration', '{}', '{}', '{}', true),
	('historical_data', 'Historical Data Request', 'Historical data requests and analysis', 'P4', 2, 'data_analysis', '{}', '{}', '{}', true);

INSERT INTO support.channels (channel, name, address, hours, response_target, use_cases, active) VALUES
	('email', 'Email Support', 'support@bedrockplatform.com', '24/7 monitoring, business hours response', '02:00:00', '{"General inquiries","Non-urgent issues"}', true),
	('slack', 'Slack Integration', NULL, 'Dedicated client channels for enterprise customers', NULL, '{"Real-time communication and collaboration","Screen sharing and live troubleshooting","Direct access to technical team members"}', true),
	('portal', 'Platform Support Portal', NULL, 'Integrated help system within customer UI', NULL, '{"Contextual help and documentation","Ticket submission and tracking","Knowledge base and FAQ access"}', true),
	('phone', 'Emergency Hotline', NULL, 'Business hours with on-call coverage', '00:15:00', '{"Critical issues","Automatic escalation for revenue-impacting issues"}', true),
	('api', 'API and Integrations', NULL, 'Automatic ticket creation from integrations such as Jira', NULL, '{"Automatic ticket creation from support emails","Issue tracking and assignment workflows"}', true),
	('monitoring', 'Proactive Monitoring', NULL, 'Automated issue detection, around the clock', NULL, '{"Campaign performance anomaly detection","API error rate and latency monitoring","Data quality and discrepancy detection"}', true);

INSERT INTO support.internal_channels (name, purpose) VALUES
	('#client-support', 'General support coordination'),
	('#support-escalations', 'Tier 2/3 escalations'),
	('#critical-issues', 'Emergency response coordination'),
	('#client-feedback', 'Feature requests and feedback');

INSERT INTO support.sla_policies (priority, name, criteria, response_target, resolution_target, update_cadence, update_cadence_unit, clock, escalation_ratio, follow_up_after, auto_close_after, escalation_call_within, escalated_update_cadence, executive_update_cadence) VALUES
	('P1', 'Critical', '{"Complete service outage affecting revenue","Security breaches or data integrity issues","Campaign delivery failures during peak periods","API failures preventing critical operations"}', '00:15:00', '02:00:00', '00:30:00', 'elapsed', '24x7', 0.800, '24:00:00', '72:00:00', '02:00:00', '02:00:00', '01:00:00'),
	('P2', 'High', '{"Partial service degradation affecting performance","Campaign optimization issues impacting spend","Reporting discrepancies affecting decision-making","Integration failures with workarounds available"}', '01:00:00', '04:00:00', '02:00:00', 'business_hours', 'business', 0.800, '24:00:00', '72:00:00', '02:00:00', '02:00:00', '01:00:00'),
	('P3', 'Medium', '{"Feature requests and enhancement suggestions","Non-critical UI issues or cosmetic problems","Training requests and best practice guidance","Documentation updates and clarifications"}', '04:00:00', '24:00:00', '1 day', 'business_days', 'business', 0.800, '24:00:00', '72:00:00', '02:00:00', '02:00:00', '01:00:00'),
	('P4', 'Low', '{"General inquiries and information requests","Scheduled maintenance notifications","Account administration tasks","Historical data requests and analysis"}', '08:00:00', '72:00:00', '2 days', 'business_days', 'business', 0.800, '24:00:00', '72:00:00', '02:00:00', '02:00:00', '01:00:00');

INSERT INTO support.slack_routes (route, channel, description) VALUES
	('critical', '#critical-issues', 'P1 tickets and executive escalations'),
	('escalations', '#support-escalations', 'tier 2/3 escalations, SLA breaches, escalation calls'),
	('feedback', '#client-feedback', 'satisfaction ratings and their comments'),
	('general', '#client-support', 'update reminders for tickets nobody holds');

INSERT INTO support.templates (template, name, subject, body) VALUES
	('initial_response', 'Initial Response', '[Ticket #12345] - Issue Acknowledgment - [Brief Description]', 'Dear [Client Name],

Thank you for contacting Bedrock Platform support. We have received your request regarding [brief issue description] and have assigned ticket #12345 for tracking purposes.

Issue Summary:
- Priority Level: [P1/P2/P3/P4]
- Assigned Support Engineer: [Name]
- Estimated Resolution Time: [Timeframe]

Next Steps:
1. [Specific action items]
2. [Investigation steps]
3. [Expected timeline]

We will provide regular updates on our progress and contact you immediately if we need additional information. For urgent matters, please reply to this email or contact us via [alternative channel].

Best regards,
[Support Engineer Name]
Bedrock Platform Support Team'),
	('progress_update', 'Progress Update', '[Ticket #12345] - Progress Update - [Brief Description]', 'Dear [Client Name],

We wanted to provide you with an update on the resolution of your support request.

Current Status:
- Investigation Progress: [Detailed progress description]
- Findings: [Key discoveries or root cause identification]
- Next Steps: [Planned actions and timeline]

Expected Resolution:
- Timeline: [Updated estimate]
- Dependencies: [Any blocking factors]
- Testing Plan: [Verification approach]

If you have any questions or additional information that might help with the resolution, please don''t hesitate to reach out.

Best regards,
[Support Engineer Name]
Bedrock Platform Support Team'),
	('resolution_confirmation', 'Resolution Confirmation', '[Ticket #12345] - Resolution Confirmation - [Brief Description]', 'Dear [Client Name],

We are pleased to inform you that we have resolved the issue described in your support request.

Resolution Summary:
- Root Cause: [Explanation of underlying issue]
- Solution Implemented: [Detailed description of fix]
- Verification Steps: [How resolution was confirmed]
- Prevention Measures: [Steps to prevent recurrence]

Please verify that the issue has been resolved on your end and let us know if you experience any further problems. We will follow up in 24-48 hours to ensure everything continues to work as expected.

We appreciate your patience during the resolution process and value your feedback on our support experience.

Best regards,
[Support Engineer Name]
Bedrock Platform Support Team'),
	('escalation_notice', 'Escalation Notice', '[Ticket #12345] - Escalated - [Brief Description]', 'Dear [Client Name],

Your support request #12345 ([Brief Description]) has been escalated to our [Support Tier] team so that it is resolved within its [P1/P2/P3/P4] targets.

Your new point of contact is [Support Engineer Name], who has the complete case history and will send you the next update.

Best regards,
Bedrock Platform Support Team'),
	('follow_up', 'Follow-up Check-in', '[Ticket #12345] - Follow-up - [Brief Description]', 'Dear [Client Name],

We resolved your support request #12345 ([Brief Description]) recently and wanted to check that everything continues to work as expected.

If the issue has come back, simply reply to this email and we will reopen the ticket. We would also value your feedback on our support.

Best regards,
[Support Engineer Name]
Bedrock Platform Support Team');

INSERT INTO support.troubleshooting_steps (step, name, time_box, actions) VALUES
	(1, 'Problem Identification', '5-10 minutes', '{"Gather detailed problem description from client","Identify affected systems, campaigns, or features","Determine timeline and frequency of issues","Collect relevant account and configuration details"}'),
	(2, 'Information Gathering', '10-15 minutes', '{"Review client account configuration and settings","Check recent campaign changes and modifications","Analyze system logs and error messages","Verify platform status and recent deployments"}'),
	(3, 'Initial Diagnosis', '15-30 minutes', '{"Reproduce issue in staging or test environment","Identify potential root causes and contributing factors","Check for known issues and existing solutions","Determine if issue is client-specific or platform-wide"}'),
	(4, 'Solution Implementation', 'Variable', '{"Apply appropriate fix or workaround","Test solution thoroughly before client deployment","Document solution steps and verification process","Communicate resolution approach to client"}'),
	(5, 'Verification & Follow-up', '10-15 minutes', '{"Confirm issue resolution with client","Monitor for recurrence or related issues","Update documentation and knowledge base","Schedule follow-up communication if needed"}');
