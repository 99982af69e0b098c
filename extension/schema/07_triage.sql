-- Triage: the rules that classify a new ticket, the C triggers that apply
-- them and route it, and the one agent pick triage and escalation share.

CREATE FUNCTION support.ticket_triage_trigger() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'ticket_triage_trigger';
COMMENT ON FUNCTION support.ticket_triage_trigger() IS 'classifies a new ticket by the triage rules, routes it to a tier and assigns the least-loaded eligible agent';
REVOKE ALL ON FUNCTION support.ticket_triage_trigger() FROM PUBLIC;

CREATE FUNCTION support.ticket_triaged_trigger() RETURNS trigger
    LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'ticket_triaged_trigger';
COMMENT ON FUNCTION support.ticket_triaged_trigger() IS 'after new tickets: records their created events (actor, triage rule, where the priority came from), escalations and routing assignments, raises the agents'' loads, and queues the escalation alert and the client''s acknowledgment (the initial_response template) in the outbox';
REVOKE ALL ON FUNCTION support.ticket_triaged_trigger() FROM PUBLIC;

CREATE SEQUENCE support.triage_rule_id_seq;
GRANT USAGE ON SEQUENCE support.triage_rule_id_seq TO support_manager;
CREATE TABLE support.triage_rules (
    rule_id bigint NOT NULL,
    "position" integer NOT NULL,
    name text NOT NULL,
    category text,
    channel text,
    required_flags text[] DEFAULT '{}'::text[] NOT NULL,
    excluded_flags text[] DEFAULT '{}'::text[] NOT NULL,
    keywords text,
    priority support.priority NOT NULL,
    escalate_to_tier smallint,
    alert_channel text,
    active boolean DEFAULT true NOT NULL,
    CONSTRAINT escalation_names_a_tier_and_channel CHECK (((escalate_to_tier IS NULL) = (alert_channel IS NULL))),
    CONSTRAINT flags_are_ticket_criteria CHECK (((required_flags || excluded_flags) <@ ARRAY['service_outage'::text, 'revenue_impact'::text, 'security_or_data_integrity'::text, 'campaign_delivery_failure'::text, 'peak_period'::text, 'api_failure'::text, 'workaround_available'::text, 'multi_client_impact'::text])),
    CONSTRAINT triage_rules_keywords_check CHECK (((keywords IS NULL) OR (btrim(keywords) <> ''::text))),
    CONSTRAINT triage_rules_name_check CHECK ((btrim(name) <> ''::text))
);
ALTER TABLE ONLY support.triage_rules ALTER COLUMN rule_id SET DEFAULT nextval('support.triage_rule_id_seq'::regclass);
ALTER TABLE ONLY support.triage_rules
    ADD CONSTRAINT triage_rules_pkey PRIMARY KEY (rule_id);
ALTER TABLE ONLY support.triage_rules
    ADD CONSTRAINT triage_rules_position_key UNIQUE ("position");
ALTER TABLE ONLY support.triage_rules
    ADD CONSTRAINT triage_rules_alert_channel_fkey FOREIGN KEY (alert_channel) REFERENCES support.internal_channels(name);
ALTER TABLE ONLY support.triage_rules
    ADD CONSTRAINT triage_rules_category_fkey FOREIGN KEY (category) REFERENCES support.categories(category);
ALTER TABLE ONLY support.triage_rules
    ADD CONSTRAINT triage_rules_channel_fkey FOREIGN KEY (channel) REFERENCES support.channels(channel);
ALTER TABLE ONLY support.triage_rules
    ADD CONSTRAINT triage_rules_escalate_to_tier_fkey FOREIGN KEY (escalate_to_tier) REFERENCES support.tiers(tier);
ALTER SEQUENCE support.triage_rule_id_seq OWNED BY support.triage_rules.rule_id;
ALTER TABLE support.triage_rules ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.triage_rules IS 'priority rules applied to each new ticket in position order, the first match deciding: category, channel, criteria flags that must be set (required_flags) or unset (excluded_flags) and keywords (web-search syntax, English full text of subject and description); a rule may escalate straight to a tier and alert an internal channel';
COMMENT ON COLUMN support.triage_rules.keywords IS 'websearch_to_tsquery(''english'', keywords) must match the subject and description, such as ''slow OR latency OR timeout''';
GRANT SELECT ON TABLE support.triage_rules TO support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.triage_rules TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.triage_rules', '');
SELECT pg_catalog.pg_extension_config_dump('support.triage_rule_id_seq', '');

CREATE TRIGGER config_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON support.triage_rules FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.triage_rules FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('rule_id');

CREATE TRIGGER ticket_20_classify BEFORE INSERT ON support.tickets FOR EACH ROW EXECUTE FUNCTION support.ticket_triage_trigger();

CREATE TRIGGER ticket_80_triaged AFTER INSERT ON support.tickets REFERENCING NEW TABLE AS new_tickets FOR EACH STATEMENT EXECUTE FUNCTION support.ticket_triaged_trigger();

CREATE POLICY agent_read ON support.triage_rules
    FOR SELECT TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND ((SELECT support.current_agent_tier()) IS NOT NULL));
CREATE POLICY manager_all ON support.triage_rules
    TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

INSERT INTO support.triage_rules (rule_id, "position", name, category, channel, required_flags, excluded_flags, keywords, priority, escalate_to_tier, alert_channel, active) VALUES
	(1, 10, 'Emergency hotline call', NULL, 'phone', '{}', '{}', NULL, 'P1', 3, '#critical-issues', true),
	(2, 20, 'Complete service outage affecting revenue', NULL, NULL, '{service_outage,revenue_impact}', '{}', NULL, 'P1', 3, '#critical-issues', true),
	(3, 30, 'Revenue-impacting issue', NULL, NULL, '{revenue_impact}', '{}', NULL, 'P1', 3, '#critical-issues', true),
	(4, 110, 'Security breach or data integrity issue', NULL, NULL, '{security_or_data_integrity}', '{}', NULL, 'P1', NULL, NULL, true),
	(5, 120, 'Campaign delivery failure during a peak period', NULL, NULL, '{campaign_delivery_failure,peak_period}', '{}', NULL, 'P1', NULL, NULL, true),
	(6, 130, 'API failure preventing critical operations', NULL, NULL, '{api_failure}', '{workaround_available}', NULL, 'P1', NULL, NULL, true),
	(7, 140, 'Complete service outage', NULL, NULL, '{service_outage}', '{workaround_available}', NULL, 'P1', NULL, NULL, true),
	(8, 210, 'Integration failure with a workaround available', NULL, NULL, '{workaround_available}', '{}', 'integration OR api OR webhook OR feed OR sync OR import', 'P2', NULL, NULL, true),
	(9, 220, 'Partial service degradation affecting performance', NULL, NULL, '{}', '{}', 'slow OR degraded OR degradation OR latency OR timeout OR "timing out" OR intermittent', 'P2', NULL, NULL, true),
	(10, 230, 'Campaign optimization issue impacting spend', 'campaign_performance', NULL, '{}', '{}', 'spend OR budget OR pacing OR underspend OR overspend OR underspending', 'P2', NULL, NULL, true),
	(11, 240, 'Reporting discrepancy affecting decision-making', NULL, NULL, '{}', '{}', 'discrepancy OR mismatch OR "do not match" OR differ OR inconsistent OR wrong', 'P2', NULL, NULL, true),
	(12, 310, 'Feature request or enhancement suggestion', 'feature_request', NULL, '{}', '{}', NULL, 'P3', NULL, NULL, true),
	(13, 320, 'Non-critical UI issue or cosmetic problem', 'ui_issue', NULL, '{}', '{}', NULL, 'P3', NULL, NULL, true),
	(14, 330, 'Training request or best-practice guidance', 'training', NULL, '{}', '{}', NULL, 'P3', NULL, NULL, true),
	(15, 340, 'Documentation update or clarification', 'documentation', NULL, '{}', '{}', NULL, 'P3', NULL, NULL, true),
	(16, 410, 'General inquiry', 'general_inquiry', NULL, '{}', '{}', NULL, 'P4', NULL, NULL, true),
	(17, 420, 'Maintenance notification', 'maintenance', NULL, '{}', '{}', NULL, 'P4', NULL, NULL, true),
	(18, 430, 'Account administration task', 'account_administration', NULL, '{}', '{}', NULL, 'P4', NULL, NULL, true),
	(19, 440, 'Historical data request', 'historical_data', NULL, '{}', '{}', NULL, 'P4', NULL, NULL, true);

SELECT pg_catalog.setval('support.triage_rule_id_seq', 19, true);

-- The one agent pick: triage calls it in C for each new ticket, the
-- escalation worker through this for a ticket's new owner.
CREATE FUNCTION support.pick_agent(tier smallint, skill text) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION support.pick_agent(tier smallint, skill text) IS 'the on-shift, active agent of the tier with the skill and the fewest open tickets, counting picks of transactions still running (then assigned longest ago, then lowest id); never locks an agent or waits for one; NULL when none is eligible';

-- The agents' loads change without a lock on the agent: the triggers on
-- tickets append each change here, in the ticket's own transaction, and
-- the escalation worker folds the committed ones into agents.open_tickets
-- and last_assigned_at. An account's open transaction then holds no row
-- another account's tickets need (src/assignment.c).
CREATE SEQUENCE support.agent_load_change_id_seq;
CREATE TABLE support.agent_load_changes (
    change_id bigint DEFAULT nextval('support.agent_load_change_id_seq'::regclass) NOT NULL,
    agent_id bigint NOT NULL,
    open_tickets integer NOT NULL,
    assigned_at timestamp with time zone,
    CONSTRAINT agent_load_changes_pkey PRIMARY KEY (change_id)
);
CREATE INDEX agent_load_changes_agent_idx ON support.agent_load_changes USING btree (agent_id);
ALTER SEQUENCE support.agent_load_change_id_seq OWNED BY support.agent_load_changes.change_id;
ALTER TABLE support.agent_load_changes ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.agent_load_changes IS 'changes to the agents'' loads made while another transaction held the agent''s row, not yet folded into support.agents (open tickets gained or lost, and when one was assigned): an agent''s load is its open_tickets plus its rows here';
SELECT pg_catalog.pg_extension_config_dump('support.agent_load_changes', '');
SELECT pg_catalog.pg_extension_config_dump('support.agent_load_change_id_seq', '');

-- Folds the committed load changes into the agents, skipping an agent
-- another transaction holds (a manager's edit): its changes wait for the
-- next fold and count meanwhile where they are.
CREATE FUNCTION support.fold_agent_loads() RETURNS integer
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    WITH held AS (
        SELECT a.agent_id FROM support.agents a
         WHERE a.agent_id IN (SELECT c.agent_id FROM support.agent_load_changes c)
           FOR NO KEY UPDATE OF a SKIP LOCKED),
    moved AS (
        DELETE FROM support.agent_load_changes c USING held h
         WHERE c.agent_id = h.agent_id
        RETURNING c.agent_id, c.open_tickets, c.assigned_at),
    folded AS (
        UPDATE support.agents a
           SET open_tickets = GREATEST(a.open_tickets + m.tickets, 0),
               last_assigned_at = GREATEST(a.last_assigned_at, m.last_assigned)
          FROM (SELECT m.agent_id, sum(m.open_tickets) AS tickets, max(m.assigned_at) AS last_assigned
                  FROM moved m GROUP BY m.agent_id) m
         WHERE a.agent_id = m.agent_id
        RETURNING 1)
    SELECT count(*)::integer FROM folded
$$;
COMMENT ON FUNCTION support.fold_agent_loads() IS 'the escalation worker''s: adds the committed rows of support.agent_load_changes to their agents'' open_tickets and last_assigned_at (an agent another transaction holds waits for the next fold); returns the agents folded';
REVOKE ALL ON FUNCTION support.fold_agent_loads() FROM PUBLIC;
REVOKE ALL ON FUNCTION support.pick_agent(tier smallint, skill text) FROM PUBLIC;
