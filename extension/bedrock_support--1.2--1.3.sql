-- bedrock_support 1.2 -> 1.3: triage in the ticket's own INSERT. Priority
-- rules a support manager edits with SQL, routing by category to a tier and
-- a skill, least-loaded assignment, automatic escalation of hotline and
-- revenue-impacting tickets, and the handbook's templates rendered into an
-- outbox of client and Slack messages.
\echo Use "ALTER EXTENSION bedrock_support UPDATE TO '1.3'" to load this file. \quit

------------------------------------------------------------------------------
-- Templates
------------------------------------------------------------------------------

CREATE FUNCTION support.render_template(template text, vars jsonb) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.render_template(text, jsonb) IS
    'fills [Bracketed Phrase] (variable bracketed_phrase; [P1/P2/P3/P4] is priority), {{name}} and #12345 (ticket_number) from vars; a missing variable is an error naming it (22023)';

------------------------------------------------------------------------------
-- Priority rules
------------------------------------------------------------------------------

CREATE SEQUENCE support.triage_rule_id_seq;
CREATE TABLE support.triage_rules (
    rule_id           bigint PRIMARY KEY DEFAULT nextval('support.triage_rule_id_seq'),
    position          integer NOT NULL UNIQUE,
    name              text NOT NULL CHECK (btrim(name) <> ''),
    category          text REFERENCES support.categories,
    channel           text REFERENCES support.channels,
    required_flags    text[] NOT NULL DEFAULT '{}',
    excluded_flags    text[] NOT NULL DEFAULT '{}',
    keywords          text CHECK (keywords IS NULL OR btrim(keywords) <> ''),
    priority          support.priority NOT NULL,
    escalate_to_tier  smallint REFERENCES support.tiers,
    alert_channel     text REFERENCES support.internal_channels,
    active            boolean NOT NULL DEFAULT true,
    CONSTRAINT flags_are_ticket_criteria CHECK (
        (required_flags || excluded_flags) <@ ARRAY['service_outage', 'revenue_impact',
            'security_or_data_integrity', 'campaign_delivery_failure', 'peak_period',
            'api_failure', 'workaround_available', 'multi_client_impact']),
    CONSTRAINT escalation_names_a_tier_and_channel CHECK ((escalate_to_tier IS NULL) = (alert_channel IS NULL))
);
ALTER SEQUENCE support.triage_rule_id_seq OWNED BY support.triage_rules.rule_id;
COMMENT ON TABLE support.triage_rules IS
    'priority rules applied to each new ticket in position order, the first match deciding: category, channel, criteria flags that must be set (required_flags) or unset (excluded_flags) and keywords (web-search syntax, English full text of subject and description); a rule may escalate straight to a tier and alert an internal channel';
COMMENT ON COLUMN support.triage_rules.keywords IS
    'websearch_to_tsquery(''english'', keywords) must match the subject and description, such as ''slow OR latency OR timeout''';

INSERT INTO support.triage_rules
       (position, name, category, channel, required_flags, excluded_flags, keywords, priority, escalate_to_tier, alert_channel)
VALUES
 -- automatic escalation: the emergency hotline and revenue-impacting issues
 (10,  'Emergency hotline call', NULL, 'phone', '{}', '{}', NULL, 'P1', 3, '#critical-issues'),
 (20,  'Complete service outage affecting revenue', NULL, NULL, '{service_outage,revenue_impact}', '{}', NULL, 'P1', 3, '#critical-issues'),
 (30,  'Revenue-impacting issue', NULL, NULL, '{revenue_impact}', '{}', NULL, 'P1', 3, '#critical-issues'),
 -- P1
 (110, 'Security breach or data integrity issue', NULL, NULL, '{security_or_data_integrity}', '{}', NULL, 'P1', NULL, NULL),
 (120, 'Campaign delivery failure during a peak period', NULL, NULL, '{campaign_delivery_failure,peak_period}', '{}', NULL, 'P1', NULL, NULL),
 (130, 'API failure preventing critical operations', NULL, NULL, '{api_failure}', '{workaround_available}', NULL, 'P1', NULL, NULL),
 (140, 'Complete service outage', NULL, NULL, '{service_outage}', '{workaround_available}', NULL, 'P1', NULL, NULL),
 -- P2
 (210, 'Integration failure with a workaround available', NULL, NULL, '{workaround_available}', '{}', 'integration OR api OR webhook OR feed OR sync OR import', 'P2', NULL, NULL),
 (220, 'Partial service degradation affecting performance', NULL, NULL, '{}', '{}', 'slow OR degraded OR degradation OR latency OR timeout OR "timing out" OR intermittent', 'P2', NULL, NULL),
 (230, 'Campaign optimization issue impacting spend', 'campaign_performance', NULL, '{}', '{}', 'spend OR budget OR pacing OR underspend OR overspend OR underspending', 'P2', NULL, NULL),
 (240, 'Reporting discrepancy affecting decision-making', NULL, NULL, '{}', '{}', 'discrepancy OR mismatch OR "do not match" OR differ OR inconsistent OR wrong', 'P2', NULL, NULL),
 -- P3
 (310, 'Feature request or enhancement suggestion', 'feature_request', NULL, '{}', '{}', NULL, 'P3', NULL, NULL),
 (320, 'Non-critical UI issue or cosmetic problem', 'ui_issue', NULL, '{}', '{}', NULL, 'P3', NULL, NULL),
 (330, 'Training request or best-practice guidance', 'training', NULL, '{}', '{}', NULL, 'P3', NULL, NULL),
 (340, 'Documentation update or clarification', 'documentation', NULL, '{}', '{}', NULL, 'P3', NULL, NULL),
 -- P4
 (410, 'General inquiry', 'general_inquiry', NULL, '{}', '{}', NULL, 'P4', NULL, NULL),
 (420, 'Maintenance notification', 'maintenance', NULL, '{}', '{}', NULL, 'P4', NULL, NULL),
 (430, 'Account administration task', 'account_administration', NULL, '{}', '{}', NULL, 'P4', NULL, NULL),
 (440, 'Historical data request', 'historical_data', NULL, '{}', '{}', NULL, 'P4', NULL, NULL);

CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON support.triage_rules
    FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON support.categories
    FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON support.templates
    FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.triage_rules
    FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('rule_id');

------------------------------------------------------------------------------
-- What triage records on tickets and agents
------------------------------------------------------------------------------

-- No foreign key to the rules: a per-row check would cost a bulk insert a
-- third of triage's time, and rules are retired (active = false), not
-- deleted; the created event keeps the rule's name either way.
ALTER TABLE support.tickets
    ADD COLUMN triage_rule_id bigint,
    ADD COLUMN priority_source text CHECK (priority_source IN ('given', 'rule', 'category'));
COMMENT ON COLUMN support.tickets.triage_rule_id IS 'the triage rule the ticket matched on creation (NULL: none, the category decided)';
COMMENT ON COLUMN support.tickets.priority_source IS 'where the priority at creation came from: given by the creator, a triage rule, or the category default';

ALTER TABLE support.agents
    ADD COLUMN open_tickets integer NOT NULL DEFAULT 0 CHECK (open_tickets >= 0),
    ADD COLUMN last_assigned_at timestamptz;
COMMENT ON COLUMN support.agents.open_tickets IS 'open tickets assigned to this agent, kept by the triggers on tickets: the load routing balances';
COMMENT ON COLUMN support.agents.last_assigned_at IS 'when this agent last got a new ticket: among equally loaded agents the one waiting longest goes first';
UPDATE support.agents g SET open_tickets = (SELECT count(*) FROM support.tickets t
                                             WHERE t.assignee_id OPERATOR(pg_catalog.=) g.agent_id
                                               AND t.status NOT IN ('resolved', 'closed'));

CREATE FUNCTION support.ticket_triage_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION support.ticket_triage_trigger() IS
    'classifies a new ticket by the triage rules, routes it to a tier and assigns the least-loaded eligible agent';
-- Named to fire before ticket_lifecycle and ticket_sla_deadlines.
CREATE TRIGGER ticket_classify BEFORE INSERT ON support.tickets
    FOR EACH ROW EXECUTE FUNCTION support.ticket_triage_trigger();

------------------------------------------------------------------------------
-- The outbox
------------------------------------------------------------------------------

CREATE SEQUENCE support.message_id_seq;
CREATE TABLE support.outbound_messages (
    account_id        bigint NOT NULL,
    message_id        bigint NOT NULL DEFAULT nextval('support.message_id_seq'),
    ticket_id         bigint,
    destination       text NOT NULL CHECK (destination IN ('email', 'slack', 'webhook')),
    target            text NOT NULL CHECK (btrim(target) <> ''),
    template          text,
    subject           text,
    body              text NOT NULL,
    payload           jsonb NOT NULL DEFAULT '{}',
    -- stable across retries and unique with the key, so receivers can
    -- de-duplicate; derived, so it costs no random draw and no extra index
    idempotency_key   text NOT NULL GENERATED ALWAYS AS
                      ('bedrock-' || account_id::text || '-' || message_id::text) STORED,
    state             text NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    last_error        text,
    delivered_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, message_id)
);
ALTER SEQUENCE support.message_id_seq OWNED BY support.outbound_messages.message_id;
COMMENT ON TABLE support.outbound_messages IS
    'the transactional outbox: client emails and Slack alerts decided by a committed transaction, waiting for delivery';
COMMENT ON COLUMN support.outbound_messages.ticket_id IS
    'the ticket the message is about (no foreign key: only triggers and the worker write here, and tickets are never deleted)';
CREATE INDEX outbound_messages_due_idx ON support.outbound_messages (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbound_messages_ticket_idx ON support.outbound_messages (account_id, ticket_id);

------------------------------------------------------------------------------
-- After the insert: the history, the escalation alert, the acknowledgment
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION support.log_ticket_creation() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    actor bigint := support.current_actor_id();
    acting_kind support.actor_kind := support.actor_kind_of(actor);
BEGIN
    IF current_setting('row_security') = 'off' THEN
        RETURN NULL;            -- a restore brings its own history
    END IF;
    INSERT INTO support.ticket_events
           (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, new_value, details)
    SELECT n.account_id, n.ticket_id, 'created', COALESCE(actor, n.requester_id),
           CASE WHEN actor IS NULL THEN 'client'::support.actor_kind ELSE acting_kind END,
           'public', n.subject, n.status::text,
           jsonb_build_object('channel', n.channel, 'category', n.category,
                              'priority', n.priority::text, 'tier', n.tier,
                              'priority_source', n.priority_source, 'triage_rule', r.name)
      FROM new_tickets n
      LEFT JOIN support.triage_rules r ON r.rule_id OPERATOR(pg_catalog.=) n.triage_rule_id;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.log_ticket_creation() IS
    'records a created event for every new ticket, with the triage rule and where its priority came from';

CREATE FUNCTION support.ticket_triaged_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION support.ticket_triaged_trigger() IS
    'after new tickets: records escalations and routing assignments, raises the agents'' loads, and queues the escalation alert and the client''s acknowledgment (the initial_response template) in the outbox';
CREATE TRIGGER ticket_triaged AFTER INSERT ON support.tickets
    REFERENCING NEW TABLE AS new_tickets
    FOR EACH STATEMENT EXECUTE FUNCTION support.ticket_triaged_trigger();

CREATE FUNCTION support.track_agent_load() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF OLD.assignee_id IS NOT NULL AND OLD.status NOT IN ('resolved', 'closed') THEN
        UPDATE support.agents g SET open_tickets = g.open_tickets - 1
         WHERE g.agent_id OPERATOR(pg_catalog.=) OLD.assignee_id;
    END IF;
    IF NEW.assignee_id IS NOT NULL AND NEW.status NOT IN ('resolved', 'closed') THEN
        UPDATE support.agents g SET open_tickets = g.open_tickets + 1
         WHERE g.agent_id OPERATOR(pg_catalog.=) NEW.assignee_id;
    END IF;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.track_agent_load() IS
    'keeps agents.open_tickets when a ticket changes hands or opens or closes';
CREATE TRIGGER ticket_agent_load AFTER UPDATE ON support.tickets
    FOR EACH ROW WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
                       OR (OLD.status IN ('resolved', 'closed')) IS DISTINCT FROM (NEW.status IN ('resolved', 'closed')))
    EXECUTE FUNCTION support.track_agent_load();

------------------------------------------------------------------------------
-- open_ticket leaves priority and tier to triage
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION support.open_ticket(
    account_id bigint,
    requester_id bigint,
    subject text,
    description text DEFAULT '',
    channel text DEFAULT 'portal',
    category text DEFAULT 'general_inquiry',
    priority support.priority DEFAULT NULL,
    created_by bigint DEFAULT NULL,
    service_outage boolean DEFAULT false,
    revenue_impact boolean DEFAULT false,
    security_or_data_integrity boolean DEFAULT false,
    campaign_delivery_failure boolean DEFAULT false,
    peak_period boolean DEFAULT false,
    api_failure boolean DEFAULT false,
    workaround_available boolean DEFAULT false,
    multi_client_impact boolean DEFAULT false
) RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    created support.tickets;
BEGIN
    PERFORM support.require_client(open_ticket.account_id, open_ticket.requester_id);
    PERFORM support.require_text(open_ticket.subject, 'subject');
    IF created_by IS NOT NULL THEN
        PERFORM support.require_agent(created_by);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM support.channels c
                    WHERE c.channel OPERATOR(pg_catalog.=) open_ticket.channel AND c.active) THEN
        RAISE EXCEPTION 'unknown support channel "%"', channel
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Channels are listed in support.channels.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM support.categories c
                    WHERE c.category OPERATOR(pg_catalog.=) open_ticket.category AND c.active) THEN
        RAISE EXCEPTION 'unknown ticket category "%"', category
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Categories are listed in support.categories.';
    END IF;

    PERFORM support.set_actor(COALESCE(created_by, requester_id));
    INSERT INTO support.tickets AS t
           (account_id, requester_id, subject, description, channel, category, priority,
            service_outage, revenue_impact, security_or_data_integrity, campaign_delivery_failure,
            peak_period, api_failure, workaround_available, multi_client_impact)
    VALUES (open_ticket.account_id, open_ticket.requester_id, btrim(open_ticket.subject),
            COALESCE(open_ticket.description, ''), open_ticket.channel, open_ticket.category,
            open_ticket.priority,
            open_ticket.service_outage, open_ticket.revenue_impact,
            open_ticket.security_or_data_integrity, open_ticket.campaign_delivery_failure,
            open_ticket.peak_period, open_ticket.api_failure, open_ticket.workaround_available,
            open_ticket.multi_client_impact)
    RETURNING t.* INTO created;
    PERFORM support.set_actor(NULL);
    RETURN created;
END $$;
COMMENT ON FUNCTION support.open_ticket(bigint, bigint, text, text, text, text, support.priority, bigint,
    boolean, boolean, boolean, boolean, boolean, boolean, boolean, boolean) IS
    'opens a ticket for a client user (created_by: the agent who took a phone or Slack request); triage decides priority (unless given), tier and assignee';

------------------------------------------------------------------------------
-- The queues
------------------------------------------------------------------------------

CREATE VIEW support.ticket_queue WITH (security_invoker = true) AS
SELECT t.tier, t.account_id, t.ticket_id, t.priority, t.status, t.category, c.required_skill,
       t.created_at, t.first_response_due, t.escalation_due,
       row_number() OVER (PARTITION BY t.tier ORDER BY t.priority, t.first_response_due, t.ticket_id)
           AS position_in_queue
  FROM support.tickets t
  JOIN support.categories c ON c.category = t.category
 WHERE t.assignee_id IS NULL AND t.status NOT IN ('resolved', 'closed');
COMMENT ON VIEW support.ticket_queue IS
    'open tickets no agent holds, per tier, most urgent first: what the next free agent of that tier should take';

------------------------------------------------------------------------------
-- Dump registration and row-level security
------------------------------------------------------------------------------

SELECT pg_catalog.pg_extension_config_dump('support.triage_rules', '');
SELECT pg_catalog.pg_extension_config_dump('support.triage_rule_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('support.outbound_messages', '');
SELECT pg_catalog.pg_extension_config_dump('support.message_id_seq', '');
ALTER TABLE support.triage_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.outbound_messages ENABLE ROW LEVEL SECURITY;
