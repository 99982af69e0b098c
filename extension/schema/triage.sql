-- Triage: categories, channels, templates and the first troubleshooting
-- steps, the triage rules that decide a new ticket's priority and tier,
-- the triggers that classify and route it in its own INSERT, and the one
-- agent pick. (C: src/triage/; reference: doc/triage.md.)

--@section configuration

CREATE TABLE support.categories (
    category text NOT NULL,
    name text NOT NULL,
    description text DEFAULT '' NOT NULL,
    default_priority support.priority NOT NULL,
    default_tier smallint NOT NULL,
    required_skill text NOT NULL,
    symptoms text[] DEFAULT '{}' NOT NULL,
    diagnostic_steps text[] DEFAULT '{}' NOT NULL,
    common_solutions text[] DEFAULT '{}' NOT NULL,
    active boolean DEFAULT true NOT NULL,
    CONSTRAINT categories_category_check CHECK (category ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT categories_pkey PRIMARY KEY (category),
    CONSTRAINT categories_default_tier_fkey FOREIGN KEY (default_tier) REFERENCES support.tiers(tier)
);
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
    use_cases text[] DEFAULT '{}' NOT NULL,
    active boolean DEFAULT true NOT NULL,
    CONSTRAINT channels_channel_check CHECK (channel ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT channels_response_target_check CHECK (response_target > '00:00:00'),
    CONSTRAINT channels_pkey PRIMARY KEY (channel)
);
ALTER TABLE support.channels ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.channels IS 'the channels through which tickets arrive, with their hours and acknowledgment targets';
GRANT SELECT ON TABLE support.channels TO support_client, support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.channels TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.channels', '');

CREATE TABLE support.templates (
    template text NOT NULL,
    name text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    CONSTRAINT templates_template_check CHECK (template ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT templates_are_at_most_64_kb CHECK ((octet_length(subject) <= 998) AND (octet_length(body) <= 65536) AND support.is_one_line(subject)),
    CONSTRAINT templates_pkey PRIMARY KEY (template)
);
ALTER TABLE support.templates ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.templates IS 'client communication templates with the handbook''s [placeholders], checked when written: each placeholder must be one the desk fills (support.template_variable_names)';
GRANT SELECT ON TABLE support.templates TO support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.templates TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.templates', '');

CREATE TABLE support.troubleshooting_steps (
    step smallint NOT NULL,
    name text NOT NULL,
    time_box text NOT NULL,
    actions text[] DEFAULT '{}' NOT NULL,
    CONSTRAINT troubleshooting_steps_step_check CHECK (step > 0),
    CONSTRAINT troubleshooting_steps_pkey PRIMARY KEY (step)
);
ALTER TABLE support.troubleshooting_steps ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.troubleshooting_steps IS 'the standard troubleshooting methodology, step by step with its time boxes';
GRANT SELECT ON TABLE support.troubleshooting_steps TO support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.troubleshooting_steps TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.troubleshooting_steps', '');

CREATE SEQUENCE support.triage_rule_id_seq;
GRANT USAGE ON SEQUENCE support.triage_rule_id_seq TO support_manager;

CREATE TABLE support.triage_rules (
    rule_id bigint DEFAULT nextval('support.triage_rule_id_seq') NOT NULL,
    "position" integer NOT NULL,
    name text NOT NULL,
    category text,
    channel text,
    required_flags text[] DEFAULT '{}' NOT NULL,
    excluded_flags text[] DEFAULT '{}' NOT NULL,
    keywords text,
    priority support.priority NOT NULL,
    escalate_to_tier smallint,
    alert_channel text,
    active boolean DEFAULT true NOT NULL,
    CONSTRAINT escalation_names_a_tier_and_channel CHECK ((escalate_to_tier IS NULL) = (alert_channel IS NULL)),
    CONSTRAINT flags_are_ticket_criteria CHECK ((required_flags || excluded_flags) <@ ARRAY['service_outage', 'revenue_impact', 'security_or_data_integrity', 'campaign_delivery_failure', 'peak_period', 'api_failure', 'workaround_available', 'multi_client_impact']),
    CONSTRAINT triage_rules_keywords_check CHECK ((keywords IS NULL) OR (btrim(keywords) <> '')),
    CONSTRAINT triage_rules_name_check CHECK (btrim(name) <> ''),
    CONSTRAINT triage_rules_pkey PRIMARY KEY (rule_id),
    CONSTRAINT triage_rules_position_key UNIQUE ("position"),
    CONSTRAINT triage_rules_alert_channel_fkey FOREIGN KEY (alert_channel) REFERENCES support.internal_channels(name),
    CONSTRAINT triage_rules_category_fkey FOREIGN KEY (category) REFERENCES support.categories(category),
    CONSTRAINT triage_rules_channel_fkey FOREIGN KEY (channel) REFERENCES support.channels(channel),
    CONSTRAINT triage_rules_escalate_to_tier_fkey FOREIGN KEY (escalate_to_tier) REFERENCES support.tiers(tier)
);
ALTER SEQUENCE support.triage_rule_id_seq OWNED BY support.triage_rules.rule_id;
ALTER TABLE support.triage_rules ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.triage_rules IS 'priority rules applied to each new ticket in position order, the first match deciding: category, channel, criteria flags that must be set (required_flags) or unset (excluded_flags) and keywords (web-search syntax, English full text of subject and description); a rule may escalate straight to a tier and alert an internal channel';
COMMENT ON COLUMN support.triage_rules.keywords IS 'websearch_to_tsquery(''english'', keywords) must match the subject and description, such as ''slow OR latency OR timeout''';
GRANT SELECT ON TABLE support.triage_rules TO support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.triage_rules TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.triage_rules', '');
SELECT pg_catalog.pg_extension_config_dump('support.triage_rule_id_seq', '');
--@section tables

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
--@section functions

CREATE FUNCTION support.render_template(template text, vars jsonb) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'render_template';
COMMENT ON FUNCTION support.render_template(template text, vars jsonb) IS 'fills [Bracketed Phrase] (variable bracketed_phrase; [P1/P2/P3/P4] is priority), {{name}} and #12345 (ticket_number) from vars; a missing variable is an error naming it (22023)';

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

-- The one agent pick: triage calls it in C for each new ticket, the
-- escalation worker through this for a ticket's new owner.
CREATE FUNCTION support.pick_agent(tier smallint, skill text) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION support.pick_agent(tier smallint, skill text) IS 'the on-shift, active agent of the tier with the skill and the fewest open tickets, counting picks of transactions still running (then assigned longest ago, then lowest id); never locks an agent or waits for one; NULL when none is eligible';

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
--@section triggers

CREATE TRIGGER templates_are_filled BEFORE INSERT OR UPDATE ON support.templates FOR EACH ROW EXECUTE FUNCTION support.check_template();

CREATE TRIGGER config_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON support.categories FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER config_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON support.templates FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.categories FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('category');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.channels FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('channel');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.templates FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('template');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.troubleshooting_steps FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('step');

CREATE TRIGGER config_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON support.triage_rules FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.triage_rules FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('rule_id');

CREATE TRIGGER ticket_20_classify BEFORE INSERT ON support.tickets FOR EACH ROW EXECUTE FUNCTION support.ticket_triage_trigger();

CREATE TRIGGER ticket_80_triaged AFTER INSERT ON support.tickets REFERENCING NEW TABLE AS new_tickets FOR EACH STATEMENT EXECUTE FUNCTION support.ticket_triaged_trigger();
--@section policies

CREATE POLICY agent_read ON support.triage_rules
    FOR SELECT TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND ((SELECT support.current_agent_tier()) IS NOT NULL));

CREATE POLICY manager_all ON support.triage_rules
    TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));
--@section seeds

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
