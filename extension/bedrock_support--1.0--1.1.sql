-- bedrock_support 1.0 -> 1.1: every change to extension/schema/ since
-- 1.0, in the order it was made (README, "Releases").
\echo Use "ALTER EXTENSION bedrock_support UPDATE TO '1.1'" to load this file. \quit

-- Every running target's "breach imminent" mark, the tier's too (#16).
ALTER TABLE support.tiers ADD COLUMN targets_apply_to support.priority[] DEFAULT '{P1,P2,P3,P4}'::support.priority[] NOT NULL;
COMMENT ON COLUMN support.tiers.targets_apply_to IS 'the priorities whose tickets the tier''s initial_response and resolution_target apply to, from when a ticket enters the tier, beside its priority''s targets (the earliest "breach imminent" mark of them all escalates); empty: for reference only. Seeded: tiers 1 and 2 every priority, tier 3 (its 30 minutes are for critical issues) P1';
UPDATE support.tiers SET targets_apply_to = '{P1}' WHERE tier = 3;
ALTER TABLE support.tickets
    ADD COLUMN tier_entered_at timestamp with time zone,
    ADD COLUMN tier_response_due timestamp with time zone,
    ADD COLUMN tier_resolution_due timestamp with time zone;
COMMENT ON COLUMN support.tickets.escalation_due IS 'the "SLA breach imminent" mark: the earliest escalation_ratio (the priority''s policy) of every target still running, the priority''s and the tier''s, after the last escalation';
COMMENT ON COLUMN support.tickets.escalated_at IS 'last escalation to a higher tier (or to executives from tier 3); it answers every breach-imminent mark passed by then';
COMMENT ON COLUMN support.tickets.tier_entered_at IS 'when the ticket entered its current tier: the tier''s targets run from here';
COMMENT ON COLUMN support.tickets.tier_response_due IS 'the tier''s initial response target: an agent''s public reply is due by then after the ticket entered the tier; NULL when met or not in force (support.tiers.targets_enforced)';
COMMENT ON COLUMN support.tickets.tier_resolution_due IS 'the tier''s resolution target from when the ticket entered it, paused time excluded; NULL while paused, resolved or not in force';
DROP VIEW support.sla_status;
CREATE VIEW support.sla_status WITH (security_invoker='true') AS
 SELECT t.account_id,
    t.ticket_id,
    t.priority,
    t.status,
    t.tier,
    t.assignee_id,
    d.target,
    d.source,
    d.due,
    support.business_diff(now(), d.due,
        CASE
            WHEN d.around_the_clock THEN '24x7'::support.business_hours
            ELSE c.hours
        END,
        CASE
            WHEN d.around_the_clock THEN '{}'::date[]
            ELSE c.holidays
        END) AS remaining,
    (d.due <= now()) AS breached
   FROM support.tickets t
     JOIN support.accounts a ON a.account_id = t.account_id
     JOIN support.calendar c ON c.calendar_id = a.calendar_id
     JOIN support.sla_policies p ON p.priority = t.priority
     JOIN support.tiers r ON r.tier = t.tier
     CROSS JOIN LATERAL ( VALUES
        ('first_response'::support.sla_target, 'priority'::text,
            CASE WHEN t.first_response_at IS NULL THEN t.first_response_due END, p.clock = '24x7'),
        ('first_response', 'tier', t.tier_response_due, NOT r.business_hours_only),
        ('next_update', 'priority', t.next_update_due, p.update_cadence_unit = 'elapsed'),
        ('resolution', 'priority', t.resolution_due, p.clock = '24x7'),
        ('resolution', 'tier', t.tier_resolution_due, NOT r.business_hours_only)
        ) d(target, source, due, around_the_clock)
  WHERE t.status <> ALL (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status])
    AND d.due IS NOT NULL;
COMMENT ON VIEW support.sla_status IS 'one row per running SLA target of each open ticket, the priority''s and the current tier''s (source): its deadline, the business time remaining (negative when overdue) and whether it is breached';
GRANT SELECT ON TABLE support.sla_status TO support_client, support_agent, support_manager;

-- A client's message reopens a resolved ticket, and on a closed one opens a
-- linked follow-up (#16).
ALTER TABLE support.tickets ADD COLUMN follows_up_ticket_id bigint;
COMMENT ON COLUMN support.tickets.follows_up_ticket_id IS 'the closed ticket of the same account this one follows up: the client wrote again after it was closed (written only by support.open_follow_up; no foreign key, whose per-row check would cost every ticket insert more than the rest of this release)';

-- The handbook's other escalation triggers: a client's dissatisfaction and
-- revenue at risk over a threshold (#16).
ALTER TYPE support.event_kind ADD VALUE 'revenue_at_risk';
-- The handbook's escalation triggers besides the SLA marks: "client
-- expresses dissatisfaction with progress" and "revenue impact exceeds
-- predefined thresholds". A support manager tunes them here.
CREATE TABLE support.escalation_triggers (
    singleton boolean DEFAULT true NOT NULL,
    dissatisfied_rating smallint DEFAULT 2 NOT NULL,
    executive_priorities support.priority[] DEFAULT '{P1}'::support.priority[] NOT NULL,
    CONSTRAINT escalation_triggers_singleton_check CHECK (singleton),
    CONSTRAINT escalation_triggers_dissatisfied_rating_check CHECK (((dissatisfied_rating >= 0) AND (dissatisfied_rating <= 5)))
);
ALTER TABLE ONLY support.escalation_triggers
    ADD CONSTRAINT escalation_triggers_pkey PRIMARY KEY (singleton);
ALTER TABLE support.escalation_triggers ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.escalation_triggers IS 'when a client''s dissatisfaction escalates a ticket, and which priorities go to the executives from the top tier (one row)';
COMMENT ON COLUMN support.escalation_triggers.executive_priorities IS 'the priorities of "critical business impact": escalating such a ticket from the top tier brings in the executives (a war room); others go to the support managers';
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

ALTER TABLE ONLY support.revenue_thresholds
    ADD CONSTRAINT revenue_thresholds_account_id_fkey FOREIGN KEY (account_id) REFERENCES support.accounts(account_id);
DO $$
DECLARE
    config_table text;
BEGIN
    FOREACH config_table IN ARRAY ARRAY['escalation_triggers', 'dissatisfaction_rules', 'revenue_thresholds'] LOOP
        EXECUTE format('CREATE POLICY manager_all ON support.%I TO support_manager'
                       ' USING (((SELECT support.current_key_kind()) = ''manager'') AND (SELECT support.current_is_manager()))'
                       ' WITH CHECK (((SELECT support.current_key_kind()) = ''manager'') AND (SELECT support.current_is_manager()))',
                       config_table);
        EXECUTE format('CREATE POLICY agent_read ON support.%I FOR SELECT TO support_agent'
                       ' USING (((SELECT support.current_key_kind()) = ''agent'') AND ((SELECT support.current_agent_tier()) IS NOT NULL))',
                       config_table);
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
ALTER TABLE support.tickets
    ADD COLUMN revenue_at_risk numeric(14,2),
    ADD COLUMN revenue_currency text,
    ADD COLUMN revenue_escalated_at timestamp with time zone,
    ADD COLUMN dissatisfaction_escalated_at timestamp with time zone;
COMMENT ON COLUMN support.tickets.revenue_at_risk IS 'the client''s revenue at risk, in revenue_currency (an ISO 4217 code), written and checked only by support.report_revenue_at_risk (a CHECK here would cost every ticket insert 54,000 instructions); above the applicable support.revenue_thresholds row it escalates the ticket';
COMMENT ON COLUMN support.tickets.revenue_escalated_at IS 'when revenue at risk above its threshold escalated the ticket (once)';
COMMENT ON COLUMN support.tickets.dissatisfaction_escalated_at IS 'when the client''s dissatisfaction (a low rating, a message a dissatisfaction rule matches) last escalated the ticket; another escalates again only after an agent''s reply';

-- Executive escalation with executives, a war room, and a post-incident
-- review the worker chases (#16).
ALTER TABLE support.sla_policies
    ADD COLUMN post_incident_review_within interval DEFAULT '5 days'::interval NOT NULL,
    ADD CONSTRAINT sla_policies_post_incident_review_within_check CHECK (((EXTRACT(epoch FROM post_incident_review_within) > (0)::numeric) AND (post_incident_review_within <= '1 year'::interval)));
COMMENT ON COLUMN support.sla_policies.post_incident_review_within IS 'after the resolution of an executive escalation, its post-incident review is due within this (elapsed); the escalation worker chases it then';
ALTER TABLE support.agents ADD COLUMN is_executive boolean DEFAULT false NOT NULL;
COMMENT ON COLUMN support.agents.is_executive IS 'a VP or C-level executive: named, told and seated in the war room of every executive escalation (no database rights of its own)';
GRANT INSERT(is_executive),UPDATE(is_executive) ON TABLE support.agents TO support_manager;
ALTER TABLE support.tickets ADD COLUMN post_incident_review_done_at timestamp with time zone;
COMMENT ON COLUMN support.tickets.post_incident_review_done_at IS 'when the post-incident review of an executive escalation was recorded (support.record_post_incident_review); until then the worker chases it';
CREATE TABLE support.war_rooms (
    account_id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    opened_at timestamp with time zone NOT NULL,
    reason text NOT NULL,
    channel text NOT NULL,
    executive_ids bigint[] DEFAULT '{}'::bigint[] NOT NULL,
    executives text[] DEFAULT '{}'::text[] NOT NULL
);
ALTER TABLE ONLY support.war_rooms
    ADD CONSTRAINT war_rooms_pkey PRIMARY KEY (account_id, ticket_id);
ALTER TABLE ONLY support.war_rooms
    ADD CONSTRAINT war_rooms_ticket_fkey FOREIGN KEY (account_id, ticket_id) REFERENCES support.tickets(account_id, ticket_id);
ALTER TABLE support.war_rooms ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.war_rooms IS 'the war room of each executive escalation: when and why it opened, its Slack channel, and the executives seated in it';
GRANT SELECT ON TABLE support.war_rooms TO support_agent, support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.war_rooms', '');
CREATE POLICY agent_war_rooms ON support.war_rooms
    FOR SELECT TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND (EXISTS ( SELECT 1
   FROM support.tickets t
  WHERE ((t.account_id = war_rooms.account_id) AND (t.ticket_id = war_rooms.ticket_id)))));
CREATE POLICY manager_war_rooms ON support.war_rooms
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

-- Each group writes only the events the workflow lets it write, as its own
-- kind of actor (#16: an agent could write a client's message, and so a
-- client's dissatisfaction, or ratings, escalations and replies the client
-- never saw); a tier's targets are positive however written, and bounded.
ALTER POLICY agent_writes_history ON support.ticket_events
    WITH CHECK (((SELECT support.current_key_kind()) = 'agent') AND ((actor_id = (SELECT support.current_user_id())) AND (actor_kind = 'agent'::support.actor_kind) AND (((kind = 'public_reply'::support.event_kind) AND (visibility = 'public'::support.visibility)) OR ((kind = 'internal_note'::support.event_kind) AND (visibility = 'internal'::support.visibility))) AND (action_key IS NULL) AND (EXISTS ( SELECT 1
   FROM support.tickets t
  WHERE ((t.account_id = ticket_events.account_id) AND (t.ticket_id = ticket_events.ticket_id))))));
ALTER POLICY client_writes_messages ON support.ticket_events
    WITH CHECK (((SELECT support.current_key_kind()) = 'client') AND ((account_id = (SELECT support.current_account_id())) AND ((SELECT support.current_user_role()) = ANY (ARRAY['admin', 'campaign_manager'])) AND (kind = 'client_message'::support.event_kind) AND (visibility = 'public'::support.visibility) AND (actor_id = (SELECT support.current_user_id())) AND (actor_kind = 'client'::support.actor_kind)));
ALTER POLICY manager_writes_history ON support.ticket_events
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND ((SELECT support.current_is_manager()) AND (actor_id = (SELECT support.current_user_id())) AND (actor_kind = 'agent'::support.actor_kind) AND (((kind = 'public_reply'::support.event_kind) AND (visibility = 'public'::support.visibility)) OR ((kind = 'internal_note'::support.event_kind) AND (visibility = 'internal'::support.visibility))) AND (action_key IS NULL)));
-- The policies' and tiers' intervals are bounded, so no deadline can leave
-- the timestamp range (a huge target stopped every ticket); 1.0 values
-- beyond the bounds are brought within them.
UPDATE support.sla_policies SET
       auto_close_after = LEAST(auto_close_after, interval '1 year'),
       escalated_update_cadence = LEAST(escalated_update_cadence, interval '30 days'),
       escalation_call_within = LEAST(escalation_call_within, interval '30 days'),
       executive_update_cadence = LEAST(executive_update_cadence, interval '30 days'),
       follow_up_after = LEAST(follow_up_after, interval '1 year'),
       resolution_target = LEAST(resolution_target, interval '1 year'),
       response_target = LEAST(response_target, interval '30 days'),
       update_cadence = LEAST(update_cadence, interval '30 days');
UPDATE support.tiers SET
       initial_response = LEAST(initial_response, interval '30 days'),
       resolution_target = CASE WHEN EXTRACT(epoch FROM resolution_target) > 0 THEN LEAST(resolution_target, interval '1 year') END,
       escalation_threshold = CASE WHEN EXTRACT(epoch FROM escalation_threshold) > 0 THEN LEAST(escalation_threshold, interval '1 year') END;
ALTER TABLE support.sla_policies
    DROP CONSTRAINT sla_policies_auto_close_after_check,
    DROP CONSTRAINT sla_policies_escalated_update_cadence_check,
    DROP CONSTRAINT sla_policies_escalation_call_within_check,
    DROP CONSTRAINT sla_policies_executive_update_cadence_check,
    DROP CONSTRAINT sla_policies_follow_up_after_check,
    DROP CONSTRAINT sla_policies_resolution_target_check,
    DROP CONSTRAINT sla_policies_response_target_check,
    DROP CONSTRAINT sla_policies_update_cadence_check,
    ADD CONSTRAINT sla_policies_auto_close_after_check CHECK (((EXTRACT(epoch FROM auto_close_after) > (0)::numeric) AND (auto_close_after <= '1 year'::interval))),
    ADD CONSTRAINT sla_policies_escalated_update_cadence_check CHECK (((EXTRACT(epoch FROM escalated_update_cadence) > (0)::numeric) AND (escalated_update_cadence <= '30 days'::interval))),
    ADD CONSTRAINT sla_policies_escalation_call_within_check CHECK (((EXTRACT(epoch FROM escalation_call_within) > (0)::numeric) AND (escalation_call_within <= '30 days'::interval))),
    ADD CONSTRAINT sla_policies_executive_update_cadence_check CHECK (((EXTRACT(epoch FROM executive_update_cadence) > (0)::numeric) AND (executive_update_cadence <= '30 days'::interval))),
    ADD CONSTRAINT sla_policies_follow_up_after_check CHECK (((EXTRACT(epoch FROM follow_up_after) > (0)::numeric) AND (follow_up_after <= '1 year'::interval))),
    ADD CONSTRAINT sla_policies_resolution_target_check CHECK (((EXTRACT(epoch FROM resolution_target) > (0)::numeric) AND (resolution_target <= '1 year'::interval))),
    ADD CONSTRAINT sla_policies_response_target_check CHECK (((EXTRACT(epoch FROM response_target) > (0)::numeric) AND (response_target <= '30 days'::interval))),
    ADD CONSTRAINT sla_policies_update_cadence_check CHECK (((EXTRACT(epoch FROM update_cadence) > (0)::numeric) AND (update_cadence <= '30 days'::interval)));
ALTER TABLE support.tiers
    DROP CONSTRAINT tiers_escalation_threshold_check,
    DROP CONSTRAINT tiers_initial_response_check,
    DROP CONSTRAINT tiers_resolution_target_check,
    ADD CONSTRAINT tiers_escalation_threshold_check CHECK (((EXTRACT(epoch FROM escalation_threshold) > (0)::numeric) AND (escalation_threshold <= '1 year'::interval))),
    ADD CONSTRAINT tiers_initial_response_check CHECK (((EXTRACT(epoch FROM initial_response) > (0)::numeric) AND (initial_response <= '30 days'::interval))),
    ADD CONSTRAINT tiers_resolution_target_check CHECK (((EXTRACT(epoch FROM resolution_target) > (0)::numeric) AND (resolution_target <= '1 year'::interval)));

-- Messages without an endpoint are parked, out of the pending index (#17).
ALTER TABLE support.outbound_messages
    DROP CONSTRAINT outbound_messages_state_check,
    ADD CONSTRAINT outbound_messages_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'parked'::text, 'delivered'::text, 'dead'::text])));
CREATE INDEX outbound_messages_parked_idx ON support.outbound_messages USING btree (destination, target) WHERE (state = 'parked'::text);
COMMENT ON COLUMN support.outbound_messages.state IS 'pending (to send), parked (no active endpoint for its destination: waits, out of the delivery worker''s way, until one appears), delivered or dead';

-- Idempotency keys unique across databases, installs and time (#17): a
-- UUIDv7 stored with each new message; messages already queued keep theirs.
CREATE FUNCTION support.new_message_key() RETURNS text
    LANGUAGE c AS 'MODULE_PATHNAME', 'new_message_key';
COMMENT ON FUNCTION support.new_message_key() IS 'a new idempotency key: ''bedrock-'' and a UUIDv7 (Unix milliseconds, then 74 random bits), unique across databases, installs and time';
-- the column's default: evaluated by the desk's own inserts
REVOKE ALL ON FUNCTION support.new_message_key() FROM PUBLIC;
ALTER TABLE support.outbound_messages ALTER COLUMN idempotency_key DROP EXPRESSION;
ALTER TABLE support.outbound_messages ALTER COLUMN idempotency_key SET DEFAULT support.new_message_key();
COMMENT ON COLUMN support.outbound_messages.idempotency_key IS 'the key every retry of this message carries (Idempotency-Key, Message-ID, the webhook''s id): ''bedrock-<UUIDv7>''; messages queued before 1.1 keep ''bedrock-<account>-<message>''';
REVOKE INSERT(idempotency_key) ON TABLE support.outbound_messages FROM support_agent;

-- A delivery worker's claims end with its life: the next worker sends
-- again, at its start, what it had in flight (#17).
ALTER TABLE support.outbound_messages ADD COLUMN claiming_worker_started_at timestamp with time zone;
CREATE INDEX outbound_messages_in_flight_idx ON support.outbound_messages USING btree (claiming_worker_started_at) WHERE (claiming_worker_started_at IS NOT NULL);
COMMENT ON COLUMN support.outbound_messages.claiming_worker_started_at IS 'while the message is being sent: when the delivery worker sending it started (the next worker sends again, at its start, what an earlier one left in flight); NULL otherwise';
DROP FUNCTION support.claim_messages(max_messages integer, lease_ms bigint);

-- Message bodies and endpoint URLs are bounded (#17). A 1.0 row beyond a
-- bound stays as it was (history is not rewritten), and the upgrade says
-- so; but a bound holds for every row written from now on, and the worker
-- writes each message it sends, so a 1.0 message over it that waits to be
-- sent is a dead letter now (it would stop every claim).
CREATE FUNCTION support.message_size(body text, subject text, target text, template text, payload jsonb) RETURNS bigint
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'message_size';
COMMENT ON FUNCTION support.message_size(body text, subject text, target text, template text, payload jsonb) IS 'the bytes of an outbound message as the delivery worker renders it (body, subject, target and template as stored, the payload as its JSON text; NULL counts 0; past 16 MB, at least): what messages_are_at_most_1_mb bounds';
UPDATE support.outbound_messages
   SET state = 'dead', last_error = 'not sent: it is over 1 MB, the bound since 1.1', claiming_worker_started_at = NULL
 WHERE state = ANY (ARRAY['pending'::text, 'parked'::text])
   AND support.message_size(body, subject, target, template, payload) > 1048576;
-- every field the delivery worker reads: one message cannot make a claim fail
ALTER TABLE support.outbound_messages ADD CONSTRAINT messages_are_at_most_1_mb CHECK ((support.message_size(body, subject, target, template, payload) <= 1048576)) NOT VALID;
-- a manager cancels or resends (state); the worker's own columns
-- (attempts, leases, keys) are the worker's, and the rows the desk's (#23)
REVOKE INSERT, UPDATE ON TABLE support.outbound_messages FROM support_manager;
GRANT UPDATE(state) ON TABLE support.outbound_messages TO support_manager;
ALTER TABLE support.ticket_events ADD CONSTRAINT bodies_are_at_most_1_mb CHECK ((octet_length(body) <= 1048576)) NOT VALID;
-- libcurl refuses 8 MB; servers commonly refuse a request line over 8 kB
ALTER TABLE support.delivery_endpoints ADD CONSTRAINT urls_are_at_most_8_kb CHECK ((octet_length(url) <= 8192)) NOT VALID;
-- a webhook without a secret passed 1.0's check (NULL is not false) and was sent unsigned
ALTER TABLE support.delivery_endpoints DROP CONSTRAINT webhooks_are_signed,
    ADD CONSTRAINT webhooks_are_signed CHECK (((destination <> 'webhook'::text) OR (COALESCE(length(secret), 0) >= 16))) NOT VALID;
DO $$
DECLARE
    bound record;
BEGIN
    FOR bound IN SELECT * FROM (VALUES
        ('outbound_messages', 'messages_are_at_most_1_mb', 'They are sent or dead letters already, and stay as they were.'),
        ('ticket_events', 'bodies_are_at_most_1_mb', 'They are history and stay as they were; new messages are bounded.'),
        ('delivery_endpoints', 'urls_are_at_most_8_kb', 'Most servers refuse such a URL; until it is shortened, the endpoint cannot be changed otherwise.'),
        ('delivery_endpoints', 'webhooks_are_signed', 'A webhook endpoint without a secret sends unsigned webhooks: give it a signing secret of 16 characters or more.')
        ) b(table_name, constraint_name, hint) LOOP
        BEGIN
            EXECUTE format('ALTER TABLE support.%I VALIDATE CONSTRAINT %I', bound.table_name, bound.constraint_name);
        EXCEPTION WHEN check_violation THEN
            RAISE WARNING 'support.% has rows from before 1.1 that break %: the bound holds for rows written from now on',
                          bound.table_name, bound.constraint_name
                  USING HINT = bound.hint;
        END;
    END LOOP;
END $$;

-- functions changed in 1.1 (generated from extension/schema/)
CREATE OR REPLACE FUNCTION support.local_time(at timestamp with time zone, time_zone text) RETURNS text
    LANGUAGE c STABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'local_time';
COMMENT ON FUNCTION support.local_time(at timestamp with time zone, time_zone text) IS 'an instant in a time zone, named: ''Mon 09 Mar 2026 14:00 America/New_York'' (22023 for an unknown zone)';

CREATE OR REPLACE FUNCTION support.duration_in_words(span interval) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'duration_in_words';
COMMENT ON FUNCTION support.duration_in_words(span interval) IS 'a duration in words: ''2 hours'', ''1 hour and 30 minutes'', ''1 day, 4 hours and 5 minutes''';

CREATE OR REPLACE FUNCTION support.client_time(ticket support.tickets, at timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT support.local_time(at, a.time_zone) FROM support.accounts a
     WHERE a.account_id OPERATOR(pg_catalog.=) ticket.account_id
$$;
COMMENT ON FUNCTION support.client_time(ticket support.tickets, at timestamp with time zone) IS 'an instant in the time zone of the ticket''s account, named';
REVOKE ALL ON FUNCTION support.client_time(ticket support.tickets, at timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.take_action(ticket support.tickets, action text, due timestamp with time zone, as_of timestamp with time zone) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    recorded_as support.worker_actions;
    recorded bigint;
    assignee support.agents;
    -- an escalation answers every escalation trigger that had passed by then
    answered boolean := action IN ('escalation_mark', 'no_progress', 'update_twice_overdue')
                        AND ticket.escalated_at OPERATOR(pg_catalog.>=) due;
    -- the review is set at the resolution and chased at its deadline
    review_chased boolean := action = 'post_incident_review' AND due OPERATOR(pg_catalog.>) ticket.resolved_at;
    people text;
    reminder_subject text;
    reminder_body text;
BEGIN
    SELECT * INTO recorded_as FROM support.worker_actions w
     WHERE w.action::text OPERATOR(pg_catalog.=) take_action.action;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown ticket action "%"', action
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Actions are the ones support.ticket_actions() lists.';
    END IF;
    IF action = 'auto_close' THEN
        RETURN support.close_after_verification(ticket);    -- a closed ticket is not closed again
    END IF;

    INSERT INTO support.ticket_events AS e
           (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, details, action_key)
    VALUES (ticket.account_id, ticket.ticket_id, recorded_as.event_kind,
            NULL, 'system', recorded_as.visibility,
            CASE WHEN answered THEN split_part(recorded_as.summary, ':', 1)
                                    || ': answered by the escalation already made'
                 WHEN review_chased THEN 'Post-incident review overdue: the executives and managers were reminded'
                 ELSE recorded_as.summary END,
            jsonb_build_object('action', action, 'due', due, 'acted_at', as_of,
                               'tier', ticket.tier, 'assignee_id', ticket.assignee_id)
            || CASE WHEN answered THEN jsonb_build_object('answered_by_escalation_at', ticket.escalated_at)
                    ELSE '{}' END,
            support.action_key(action, due))
    ON CONFLICT (account_id, ticket_id, action_key) WHERE action_key IS NOT NULL DO NOTHING
    RETURNING e.event_id INTO recorded;
    IF recorded IS NULL THEN
        RETURN false;           -- taken already, by this worker or another
    END IF;
    IF answered THEN
        RETURN true;
    END IF;

    CASE action
    WHEN 'escalation_mark' THEN
        PERFORM support.escalate_ticket(ticket, 'SLA breach imminent', as_of);
    WHEN 'no_progress' THEN
        PERFORM support.escalate_ticket(ticket, 'no progress within the tier''s escalation threshold', as_of);
    WHEN 'update_twice_overdue' THEN
        PERFORM support.escalate_ticket(ticket, 'update cadence missed twice', as_of);
    WHEN 'first_response_breach' THEN
        PERFORM support.record_breach(ticket, 'first_response', due);
    WHEN 'resolution_breach' THEN
        PERFORM support.record_breach(ticket, 'resolution', due);
    WHEN 'update_overdue' THEN
        PERFORM support.record_breach(ticket, 'next_update', due);
        SELECT * INTO assignee FROM support.agents g WHERE g.agent_id OPERATOR(pg_catalog.=) ticket.assignee_id;
        PERFORM support.queue_message(ticket,
            CASE WHEN assignee.agent_id IS NULL THEN 'slack' ELSE 'email' END,
            COALESCE(assignee.email, support.slack_channel('general')), NULL,
            format('[Ticket #%s] - Update overdue - %s', ticket.ticket_id, ticket.subject),
            format('The client was due an update on #%s (%s) at %s. Send one now (support.reply_publicly); a second missed update escalates the ticket.',
                   ticket.ticket_id, ticket.priority::text, support.client_time(ticket, due)),
            jsonb_build_object('kind', 'update_reminder'));
    WHEN 'escalation_call_overdue' THEN
        PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
            format('[Ticket #%s] escalation call overdue', ticket.ticket_id),
            format('The client asked for an escalation of #%s at %s; the call was due by %s and has not been recorded.',
                   ticket.ticket_id, support.client_time(ticket, ticket.escalation_requested_at),
                   support.client_time(ticket, due)),
            jsonb_build_object('kind', 'escalation_call_overdue'));
    WHEN 'post_incident_review' THEN
        IF review_chased THEN
            reminder_subject := format('[Ticket #%s] - Post-incident review overdue - %s', ticket.ticket_id, ticket.subject);
            reminder_body := format('The post-incident review of #%s was due at %s and is not recorded (support.record_post_incident_review).',
                                    ticket.ticket_id, support.client_time(ticket, due));
            people := support.tell_staff(ticket, 'executives', reminder_subject, reminder_body, 'post_incident_review_overdue')
                || ', ' || support.tell_staff(ticket, 'managers', reminder_subject, reminder_body, 'post_incident_review_overdue');
            PERFORM support.alert(ticket, support.slack_channel('critical'), NULL,
                format('[Ticket #%s] post-incident review overdue', ticket.ticket_id),
                format('The post-incident review of #%s was due at %s. Reminded: %s.',
                       ticket.ticket_id, support.client_time(ticket, due), people),
                jsonb_build_object('kind', 'post_incident_review_overdue'));
        ELSE
            people := support.tell_staff(ticket, 'executives',
                format('[Ticket #%s] - Post-incident review - %s', ticket.ticket_id, ticket.subject),
                format('#%s was resolved at %s. Its post-incident review and improvement plan are due by %s. Root cause: %s',
                       ticket.ticket_id, support.client_time(ticket, ticket.resolved_at),
                       support.client_time(ticket, ticket.resolved_at + (SELECT p.post_incident_review_within
                           FROM support.sla_policies p WHERE p.priority::text OPERATOR(pg_catalog.=) ticket.priority::text)),
                       COALESCE(ticket.root_cause, 'not recorded')), 'post_incident_review');
            PERFORM support.alert(ticket, support.slack_channel('critical'), NULL,
                format('[Ticket #%s] post-incident review', ticket.ticket_id),
                format('#%s, escalated to executives, was resolved at %s: schedule its post-incident review with %s. Root cause: %s',
                       ticket.ticket_id, support.client_time(ticket, ticket.resolved_at), people,
                       COALESCE(ticket.root_cause, 'not recorded')),
                jsonb_build_object('kind', 'post_incident_review'));
        END IF;
    WHEN 'follow_up' THEN
        PERFORM support.client_message(ticket, 'follow_up');
    END CASE;
    RETURN true;
END $$;
COMMENT ON FUNCTION support.take_action(ticket support.tickets, action text, due timestamp with time zone, as_of timestamp with time zone) IS 'takes one scheduled action on a locked ticket, once: false when the ledger shows it taken';
REVOKE ALL ON FUNCTION support.take_action(ticket support.tickets, action text, due timestamp with time zone, as_of timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.post_client_message(ticket_id bigint, user_id bigint, body text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(post_client_message.ticket_id);
    follow_up support.tickets;
BEGIN
    PERFORM support.require_client(ticket.account_id, user_id);
    PERFORM support.require_text(body, 'message body');
    IF ticket.status OPERATOR(pg_catalog.=) 'closed' THEN
        -- the conversation goes on in its follow-up while that is not closed
        SELECT f.* INTO follow_up FROM support.tickets f
         WHERE f.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND f.follows_up_ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
           AND f.status OPERATOR(pg_catalog.<>) 'closed'
         ORDER BY f.ticket_id DESC LIMIT 1
           FOR UPDATE;
        IF FOUND THEN
            ticket := follow_up;
        ELSE
            ticket := support.open_follow_up(ticket, user_id, body);
        END IF;
    END IF;
    RETURN support.add_event(ticket, 'client_message', user_id, 'public', body);
END $$;
COMMENT ON FUNCTION support.post_client_message(ticket_id bigint, user_id bigint, body text) IS 'a message from a user of the ticket''s account: resumes a ticket pending on the client, reopens a resolved one, and on a closed one goes to its follow-up ticket, opened for it unless one is still open (returns the message''s event)';

CREATE OR REPLACE FUNCTION support.open_follow_up(closed support.tickets, user_id bigint, body text) RETURNS support.tickets
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    follow_up support.tickets;
BEGIN
    follow_up := support.open_ticket(closed.account_id, user_id,
        pg_catalog.left('Follow-up to #' OPERATOR(pg_catalog.||) closed.ticket_id::text
                        OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) closed.subject, 200),
        body, closed.channel,
        COALESCE((SELECT c.category FROM support.categories c
                   WHERE c.category OPERATOR(pg_catalog.=) closed.category AND c.active), 'general_inquiry'));
    UPDATE support.tickets t SET follows_up_ticket_id = closed.ticket_id
     WHERE t.account_id OPERATOR(pg_catalog.=) follow_up.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) follow_up.ticket_id
    RETURNING t.* INTO follow_up;
    PERFORM support.add_event(closed, 'follow_up', user_id, 'public',
        pg_catalog.format('The client wrote again after closing: follow-up ticket #%s', follow_up.ticket_id),
        pg_catalog.jsonb_build_object('follow_up_ticket_id', follow_up.ticket_id));
    RETURN follow_up;
END $$;
COMMENT ON FUNCTION support.open_follow_up(closed support.tickets, user_id bigint, body text) IS 'opens the follow-up ticket of a closed one for a client''s new message, linked by follows_up_ticket_id, and records it on the closed ticket';
REVOKE ALL ON FUNCTION support.open_follow_up(closed support.tickets, user_id bigint, body text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.open_ticket(account_id bigint, requester_id bigint, subject text, description text DEFAULT ''::text, channel text DEFAULT 'portal'::text, category text DEFAULT 'general_inquiry'::text, priority support.priority DEFAULT NULL::support.priority, created_by bigint DEFAULT NULL::bigint, service_outage boolean DEFAULT false, revenue_impact boolean DEFAULT false, security_or_data_integrity boolean DEFAULT false, campaign_delivery_failure boolean DEFAULT false, peak_period boolean DEFAULT false, api_failure boolean DEFAULT false, workaround_available boolean DEFAULT false, multi_client_impact boolean DEFAULT false) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    created support.tickets;
    actor bigint := COALESCE(created_by, requester_id);
BEGIN
    -- as the owner, no insert policy applies: a super user's own key opens
    -- nothing (its group has no ticket policy); the rest is the rules below,
    -- which are stricter than the policies (one opens as oneself, or for a
    -- colleague as the account's Admin)
    IF support.current_key_kind() OPERATOR(pg_catalog.=) 'super_user' THEN
        RAISE EXCEPTION 'a super user''s own key does not open tickets'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Open it as the client (an assumed key) or with an agent''s key.';
    END IF;
    -- as the policies would: the calling login must hold the group of its key's kind
    IF support.current_key_kind() IS NOT NULL
       AND NOT pg_catalog.pg_has_role(support.calling_role(), 'support_' OPERATOR(pg_catalog.||) support.current_key_kind(), 'MEMBER') THEN
        RAISE EXCEPTION 'role % cannot act with a % key', support.calling_role(), support.current_key_kind()
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'A login acts only as the kind of key its group serves (support_client, support_agent, support_manager).';
    END IF;
    PERFORM support.require_client(open_ticket.account_id, open_ticket.requester_id);
    PERFORM support.require_text(open_ticket.subject, 'subject');
    IF created_by IS NOT NULL THEN
        PERFORM support.require_agent(created_by);
    ELSIF support.current_key_kind() OPERATOR(pg_catalog.=) 'client'
          AND support.current_user_id() OPERATOR(pg_catalog.<>) requester_id THEN
        -- an account's Admin opens a ticket for a colleague, as the insert policy allows
        IF support.current_account_id() OPERATOR(pg_catalog.<>) open_ticket.account_id
           OR support.current_user_role() OPERATOR(pg_catalog.<>) 'admin' THEN
            RAISE EXCEPTION 'user % cannot open a ticket for user %', support.current_user_id(), requester_id
                  USING ERRCODE = 'insufficient_privilege',
                        HINT = 'An Admin of the account opens tickets for colleagues; others open their own.';
        END IF;
        actor := support.current_user_id();
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

    PERFORM support.set_actor(actor);
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
COMMENT ON FUNCTION support.open_ticket(account_id bigint, requester_id bigint, subject text, description text, channel text, category text, priority support.priority, created_by bigint, service_outage boolean, revenue_impact boolean, security_or_data_integrity boolean, campaign_delivery_failure boolean, peak_period boolean, api_failure boolean, workaround_available boolean, multi_client_impact boolean) IS 'opens a ticket for a client user (created_by: the agent who took a phone or Slack request; with a client key, the user themselves or, for an Admin, a colleague); triage decides priority (unless given), tier and assignee';

CREATE OR REPLACE FUNCTION support.log_sla_changes() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    changed_at timestamptz := now();
BEGIN
    PERFORM support.record_sla_events(ARRAY(
    SELECT ROW(n.account_id, NULL, n.ticket_id, e.target, e.kind, e.due, e.occurred_at)::support.sla_events
      FROM new_tickets n
      JOIN old_tickets o ON o.account_id OPERATOR(pg_catalog.=) n.account_id
                        AND o.ticket_id OPERATOR(pg_catalog.=) n.ticket_id
     CROSS JOIN LATERAL (VALUES
        ('first_response'::support.sla_target, 'fulfilled'::support.sla_event_kind,
            n.first_response_due, n.first_response_at,
            o.first_response_at IS NULL AND n.first_response_at IS NOT NULL),
        -- a deadline that passed while its target ran is breached at that
        -- deadline, whatever change reveals it (the unique index keeps one)
        ('first_response', 'breached', o.first_response_due, o.first_response_due,
            o.first_response_at IS NULL AND o.first_response_due <= changed_at),
        ('first_response', 'activated', n.first_response_due, changed_at,
            n.first_response_at IS NULL AND o.first_response_due IS DISTINCT FROM n.first_response_due),
        -- an agent's public reply fulfils the running update target and starts the next
        ('next_update', 'fulfilled', o.next_update_due, n.last_public_reply_at,
            o.next_update_due IS NOT NULL AND o.last_public_reply_at IS DISTINCT FROM n.last_public_reply_at),
        ('next_update', 'breached', o.next_update_due, o.next_update_due,
            o.next_update_due <= changed_at),
        ('next_update', 'paused', o.next_update_due, changed_at,
            o.next_update_due IS NOT NULL AND n.next_update_due IS NULL),
        ('next_update', CASE WHEN o.next_update_due IS NULL THEN 'resumed' ELSE 'activated' END::support.sla_event_kind,
            n.next_update_due, changed_at,
            n.next_update_due IS NOT NULL AND (o.next_update_due IS DISTINCT FROM n.next_update_due
                                               OR o.last_public_reply_at IS DISTINCT FROM n.last_public_reply_at)),
        ('resolution', 'fulfilled', n.resolution_due, n.resolved_at,
            o.resolved_at IS NULL AND n.resolved_at IS NOT NULL),
        ('resolution', 'breached', o.resolution_due, o.resolution_due,
            o.resolved_at IS NULL AND o.resolution_due <= changed_at),
        ('resolution', 'paused', o.resolution_due, changed_at,
            o.resolution_due IS NOT NULL AND n.resolution_due IS NULL),
        ('resolution', CASE WHEN o.status IN ('pending_client', 'resolved') THEN 'resumed' ELSE 'activated' END::support.sla_event_kind,
            n.resolution_due, changed_at,
            n.status IN ('new', 'triaged', 'in_progress') AND n.resolution_due IS NOT NULL
            AND (o.resolution_due IS DISTINCT FROM n.resolution_due
                 OR o.status IN ('pending_client', 'resolved')))
        ) AS e(target, kind, due, occurred_at, happened)
     WHERE e.happened
     ORDER BY n.account_id, n.ticket_id, e.target, e.occurred_at));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.log_sla_changes() IS 'records SLA targets fulfilled, paused, resumed and re-armed by ticket changes, and the breach of any deadline that passed while its target ran';
REVOKE ALL ON FUNCTION support.log_sla_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.record_breach(ticket support.tickets, target support.sla_target, due timestamp with time zone) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- the row a later change of the ticket would record: the one writer keeps one
    PERFORM support.record_sla_events(ARRAY[
        ROW(ticket.account_id, NULL, ticket.ticket_id, target, 'breached', due, due)::support.sla_events]);
    PERFORM support.alert(ticket, support.alert_channel(ticket), NULL,
        format('[Ticket #%s] SLA breach: %s', ticket.ticket_id, target),
        format('SLA breach on #%s (%s, tier %s): the %s target was due at %s. %s', ticket.ticket_id,
               ticket.priority::text, ticket.tier, replace(target::text, '_', ' '),
               support.client_time(ticket, due), ticket.subject),
        jsonb_build_object('kind', 'sla_breach', 'target', target, 'due', due));
END $$;
COMMENT ON FUNCTION support.record_breach(ticket support.tickets, target support.sla_target, due timestamp with time zone) IS 'marks an SLA target breached at its deadline and alerts the escalation channel';
REVOKE ALL ON FUNCTION support.record_breach(ticket support.tickets, target support.sla_target, due timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.request_escalation(ticket_id bigint, user_id bigint, reason text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(request_escalation.ticket_id);
    policy support.sla_policies;
    call_pending boolean;
    managers text;
BEGIN
    PERFORM support.require_client(ticket.account_id, user_id);
    PERFORM support.require_text(reason, 'reason for the escalation');
    PERFORM support.require_open(ticket);
    SELECT * INTO policy FROM support.sla_policies p WHERE p.priority::text OPERATOR(pg_catalog.=) ticket.priority::text;
    call_pending := ticket.escalation_call_due IS NOT NULL AND ticket.escalation_call_held_at IS NULL;
    PERFORM support.set_actor(user_id, reason);
    -- a request while a call is pending is acknowledged again; the call stays
    UPDATE support.tickets t
       SET escalation_requested_at = CASE WHEN call_pending THEN t.escalation_requested_at ELSE now() END,
           escalation_call_due = CASE WHEN call_pending THEN t.escalation_call_due
                                      ELSE now() + policy.escalation_call_within END,
           escalation_call_held_at = CASE WHEN call_pending THEN t.escalation_call_held_at END
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.add_event(ticket, 'escalation', user_id, 'public', reason,
        jsonb_build_object('requested_by', 'client', 'call_due', ticket.escalation_call_due));
    PERFORM support.queue_message(ticket, 'email',
        (SELECT u.email FROM support.account_users u
          WHERE u.account_id OPERATOR(pg_catalog.=) ticket.account_id
            AND u.user_id OPERATOR(pg_catalog.=) request_escalation.user_id), NULL,
        format('[Ticket #%s] - Escalation received - %s', ticket.ticket_id, ticket.subject),
        format(E'We have received your escalation request for ticket #%s.\n'
               'A support manager will call you by %s with a detailed status and action plan, '
               'and you will get an update at least every %s until the issue is resolved.',
               ticket.ticket_id, support.client_time(ticket, ticket.escalation_call_due),
               support.duration_in_words(LEAST(policy.escalated_update_cadence, policy.update_cadence))),
        jsonb_build_object('kind', 'escalation_acknowledgment'));
    -- "involve appropriate management level": the support managers, by name,
    -- once per call (asked again while it is pending, only the client hears back)
    IF NOT call_pending THEN
        managers := support.tell_staff(ticket, 'managers',
            format('[Ticket #%s] - Client escalation - %s', ticket.ticket_id, ticket.subject),
            format(E'The client escalated #%s (%s, tier %s): %s.\n'
                   'Call them by %s with a detailed status and action plan, then record the call (support.record_escalation_call).',
                   ticket.ticket_id, ticket.priority::text, ticket.tier, reason,
                   support.client_time(ticket, ticket.escalation_call_due)),
            'client_escalation');
        PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
            format('[Ticket #%s] client escalation', ticket.ticket_id),
            format('The client escalated #%s (%s, tier %s): %s. Escalation call due by %s. Managers told: %s.',
                   ticket.ticket_id, ticket.priority::text, ticket.tier, reason,
                   support.client_time(ticket, ticket.escalation_call_due), managers),
            jsonb_build_object('kind', 'client_escalation'));
    END IF;
    PERFORM support.set_actor(NULL);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.request_escalation(ticket_id bigint, user_id bigint, reason text) IS 'a client''s escalation request: acknowledged at once, an escalation call due within the policy''s escalation_call_within, updates on the enhanced cadence';

CREATE OR REPLACE FUNCTION support.tell_staff(ticket support.tickets, audience text, subject text, body text, kind text) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    person support.agents;
    names text[] := '{}';
BEGIN
    IF audience IS NULL OR audience NOT IN ('managers', 'executives') THEN
        RAISE EXCEPTION 'unknown audience "%"', audience
              USING ERRCODE = 'invalid_parameter_value', HINT = 'Tell the managers or the executives.';
    END IF;
    FOR person IN SELECT g.* FROM support.agents g
                   WHERE g.active
                     AND CASE audience WHEN 'managers' THEN g.is_support_manager ELSE g.is_executive END
                   ORDER BY g.full_name LOOP
        PERFORM support.queue_message(ticket, 'email', person.email, NULL, subject, body,
                                      jsonb_build_object('kind', kind, 'audience', audience, 'agent_id', person.agent_id));
        names := names || person.full_name;
    END LOOP;
    RETURN COALESCE(NULLIF(array_to_string(names, ', '), ''),
                    CASE audience WHEN 'managers' THEN 'no support manager on record'
                                  ELSE 'no executive on record (support.agents.is_executive)' END);
END $$;
COMMENT ON FUNCTION support.tell_staff(ticket support.tickets, audience text, subject text, body text, kind text) IS 'emails every active support manager (audience managers) or executive (executives) about a ticket; returns their names for the alert';
REVOKE ALL ON FUNCTION support.tell_staff(ticket support.tickets, audience text, subject text, body text, kind text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.escalate_for_dissatisfaction(ticket support.tickets, why text) RETURNS support.tickets
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    managers text;
    escalating boolean := ticket.status OPERATOR(pg_catalog.<>) 'closed';
BEGIN
    -- once per complaint the desk has not answered, on a closed ticket too
    IF ticket.dissatisfaction_escalated_at OPERATOR(pg_catalog.>=)
       COALESCE(ticket.last_public_reply_at, ticket.created_at) THEN
        RETURN ticket;
    END IF;
    IF ticket.status OPERATOR(pg_catalog.=) 'resolved' THEN
        PERFORM set_config('support.change_reason', 'reopened: the client is dissatisfied', true);
        UPDATE support.tickets t SET status = 'in_progress'
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
    END IF;
    UPDATE support.tickets t SET dissatisfaction_escalated_at = now()
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    IF escalating THEN
        ticket := support.escalate_ticket(ticket, 'the client is dissatisfied: ' || why, now());
    END IF;
    managers := support.tell_staff(ticket, 'managers',
        format('[Ticket #%s] - Dissatisfied client - %s', ticket.ticket_id, ticket.subject),
        format(E'The client is dissatisfied with #%s (%s, tier %s): %s.\n%s',
               ticket.ticket_id, ticket.priority::text, ticket.tier, why,
               CASE WHEN escalating THEN 'The ticket was escalated; please get in touch with the client.'
                    ELSE 'The ticket is closed; please get in touch with the client.' END),
        'dissatisfaction');
    PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
        format('[Ticket #%s] dissatisfied client', ticket.ticket_id),
        format('The client is dissatisfied with #%s (%s, tier %s): %s. Managers told: %s.',
               ticket.ticket_id, ticket.priority::text, ticket.tier, why, managers),
        jsonb_build_object('kind', 'dissatisfaction'));
    PERFORM support.add_event(ticket, 'escalation', NULL, 'internal',
        format('Client dissatisfied: %s. Managers told: %s', why, managers),
        jsonb_build_object('trigger', 'dissatisfaction', 'escalated', escalating));
    PERFORM set_config('support.change_reason', '', true);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.escalate_for_dissatisfaction(ticket support.tickets, why text) IS 'the handbook''s "client expresses dissatisfaction with progress": reopens a resolved ticket, escalates it and tells the support managers (a closed one: the managers only)';
REVOKE ALL ON FUNCTION support.escalate_for_dissatisfaction(ticket support.tickets, why text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.dissatisfaction_rule(message text) RETURNS support.dissatisfaction_rules
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT r.* FROM support.dissatisfaction_rules r
     WHERE r.active
       -- the first 100,000 characters: a tsvector holds at most 1 MB
       AND to_tsvector('english'::regconfig, pg_catalog.left(message, 100000))
           @@ websearch_to_tsquery('english'::regconfig, r.keywords)
     ORDER BY r.rule_id LIMIT 1
$$;
COMMENT ON FUNCTION support.dissatisfaction_rule(message text) IS 'the first active dissatisfaction rule a message matches (NULL: none)';
REVOKE ALL ON FUNCTION support.dissatisfaction_rule(message text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.watch_dissatisfaction() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rule support.dissatisfaction_rules;
    ticket support.tickets;
BEGIN
    IF TG_TABLE_SCHEMA OPERATOR(pg_catalog.<>) 'support' OR TG_TABLE_NAME OPERATOR(pg_catalog.<>) 'ticket_events'
       OR TG_WHEN OPERATOR(pg_catalog.<>) 'AFTER' OR TG_LEVEL OPERATOR(pg_catalog.<>) 'ROW' THEN
        RAISE EXCEPTION 'support.watch_dissatisfaction() is a trigger of support.ticket_events only'
              USING ERRCODE = 'trigger_protocol_violated';
    END IF;
    IF support.restoring() OR NEW.kind OPERATOR(pg_catalog.<>) 'client_message' THEN
        RETURN NULL;
    END IF;
    -- a rule that fails to match never blocks the client's message
    BEGIN
        rule := support.dissatisfaction_rule(NEW.body);
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'dissatisfaction rules could not be matched against message % of ticket %: %',
                      NEW.event_id, NEW.ticket_id, SQLERRM;
        RETURN NULL;
    END;
    IF rule.rule_id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT t.* INTO ticket FROM support.tickets t
     WHERE t.account_id OPERATOR(pg_catalog.=) NEW.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) NEW.ticket_id
       FOR UPDATE;
    PERFORM support.escalate_for_dissatisfaction(ticket,
        format('their message matched "%s": "%s"', rule.name, pg_catalog.left(NEW.body, 200)));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.watch_dissatisfaction() IS 'escalates a ticket whose client writes a message a dissatisfaction rule matches';
REVOKE ALL ON FUNCTION support.watch_dissatisfaction() FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.report_revenue_at_risk(ticket_id bigint, actor_id bigint, amount numeric, currency text, reason text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(report_revenue_at_risk.ticket_id);
    threshold support.revenue_thresholds;
    code text := pg_catalog.upper(pg_catalog.btrim(currency));
    at_risk text;
    limit_text text;
BEGIN
    IF support.actor_kind_of(actor_id) OPERATOR(pg_catalog.=) 'agent' THEN
        PERFORM support.require_agent(actor_id);
    ELSE
        PERFORM support.require_client(ticket.account_id, actor_id);
    END IF;
    PERFORM support.require_text(reason, 'reason for the revenue at risk');
    PERFORM support.require_open(ticket);
    IF amount IS NULL OR amount OPERATOR(pg_catalog.<) 0 OR pg_catalog.round(amount, 2) OPERATOR(pg_catalog.>=) 1e12 THEN
        RAISE EXCEPTION 'revenue at risk % is out of range', COALESCE(amount::text, 'NULL')
              USING ERRCODE = 'numeric_value_out_of_range',
                    HINT = 'Give an amount from 0 up to 999,999,999,999.99 in the currency named.';
    END IF;
    IF code IS NULL OR code !~ '^[A-Z]{3}$' THEN
        RAISE EXCEPTION 'currency "%" is not an ISO 4217 code', COALESCE(currency, 'NULL')
              USING ERRCODE = 'invalid_parameter_value', HINT = 'Name the currency by its code, such as USD or EUR.';
    END IF;
    PERFORM support.set_actor(actor_id, reason);
    UPDATE support.tickets t
       SET revenue_at_risk = pg_catalog.round(amount, 2), revenue_currency = code,
           revenue_impact = t.revenue_impact OR amount OPERATOR(pg_catalog.>) 0
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.add_event(ticket, 'revenue_at_risk', actor_id, 'public', reason,
        jsonb_build_object('amount', ticket.revenue_at_risk, 'currency', code));
    -- the most specific threshold: the account's for the priority, the account's, the priority's, everyone's
    SELECT r.* INTO threshold FROM support.revenue_thresholds r
     WHERE r.currency OPERATOR(pg_catalog.=) code
       AND (r.account_id IS NULL OR r.account_id OPERATOR(pg_catalog.=) ticket.account_id)
       AND (r.priority IS NULL OR r.priority::text OPERATOR(pg_catalog.=) ticket.priority::text)
     ORDER BY r.account_id IS NULL, r.priority IS NULL
     LIMIT 1;
    IF threshold.threshold_id IS NOT NULL AND ticket.revenue_at_risk OPERATOR(pg_catalog.>=) threshold.amount
       AND ticket.revenue_escalated_at IS NULL THEN
        UPDATE support.tickets t SET revenue_escalated_at = now()
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        at_risk := to_char(ticket.revenue_at_risk, 'FM999,999,999,990.00') || ' ' || code;
        limit_text := to_char(threshold.amount, 'FM999,999,999,990.00') || ' ' || code;
        ticket := support.escalate_ticket(ticket,
            format('revenue at risk of %s exceeds the threshold of %s', at_risk, limit_text), now());
        PERFORM support.add_event(ticket, 'escalation', NULL, 'internal',
            format('Revenue at risk %s is over the threshold of %s: escalated', at_risk, limit_text),
            jsonb_build_object('trigger', 'revenue', 'amount', ticket.revenue_at_risk, 'currency', code,
                               'threshold_id', threshold.threshold_id, 'threshold', threshold.amount));
    END IF;
    PERFORM support.set_actor(NULL);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.report_revenue_at_risk(ticket_id bigint, actor_id bigint, amount numeric, currency text, reason text) IS 'records the revenue at risk on an open ticket (the client''s Admin or Campaign Manager, or an agent); at or above the applicable support.revenue_thresholds row it escalates the ticket, once';

CREATE OR REPLACE FUNCTION support.report_revenue_at_risk(ticket_id bigint, amount numeric, currency text, reason text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.report_revenue_at_risk(ticket_id, support.key_user_id(), amount, currency, reason);
COMMENT ON FUNCTION support.report_revenue_at_risk(ticket_id bigint, amount numeric, currency text, reason text) IS 'report_revenue_at_risk as the key''s user';

CREATE OR REPLACE FUNCTION support.rate_ticket(ticket_id bigint, user_id bigint, rating integer, comment text DEFAULT NULL::text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(rate_ticket.ticket_id);
BEGIN
    PERFORM support.require_client(ticket.account_id, user_id);
    IF rating IS NULL OR rating NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'satisfaction rating % is out of range', COALESCE(rating::text, 'NULL')
              USING ERRCODE = 'numeric_value_out_of_range',
                    HINT = 'Rate from 1 (very dissatisfied) to 5 (very satisfied).';
    END IF;
    PERFORM support.set_actor(user_id);
    UPDATE support.tickets t
       SET satisfaction_rating = rating, satisfaction_comment = comment
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.add_event(ticket, 'rating', user_id, 'public', comment,
                              jsonb_build_object('rating', rating));
    PERFORM support.alert(ticket, support.slack_channel('feedback'), NULL,
        format('[Ticket #%s] rated %s/5', ticket.ticket_id, rating),
        format('%s rated #%s (%s) %s/5%s', (SELECT a.name FROM support.accounts a
                                           WHERE a.account_id OPERATOR(pg_catalog.=) ticket.account_id),
               ticket.ticket_id, ticket.subject, rating, COALESCE(': "' || comment || '"', '')),
        jsonb_build_object('kind', 'feedback', 'rating', rating));
    -- a rating at or below the threshold is dissatisfaction (support.escalation_triggers)
    IF rating OPERATOR(pg_catalog.<=) (SELECT e.dissatisfied_rating FROM support.escalation_triggers e) THEN
        ticket := support.escalate_for_dissatisfaction(ticket,
            format('they rated it %s/5%s', rating, COALESCE(': "' || comment || '"', '')));
    END IF;
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.rate_ticket(ticket_id bigint, user_id bigint, rating integer, comment text) IS 'the client''s satisfaction rating (1-5) of a resolved or closed ticket; at or below support.escalation_triggers.dissatisfied_rating it reopens and escalates a resolved ticket and tells the managers';

CREATE OR REPLACE FUNCTION support.open_war_room(ticket support.tickets, reason text, as_of timestamp with time zone) RETURNS support.war_rooms
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    room support.war_rooms;
    policy support.sla_policies;
    channel text := support.slack_channel('critical');
    names text;
BEGIN
    SELECT * INTO room FROM support.war_rooms w
     WHERE w.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND w.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
    IF FOUND THEN
        PERFORM support.alert(ticket, room.channel, NULL,
            format('[Ticket #%s] executive escalation', ticket.ticket_id),
            format('Executive escalation of #%s (%s, tier %s) again: %s. The war room in %s is open since %s with %s.',
                   ticket.ticket_id, ticket.priority::text, ticket.tier, reason, room.channel,
                   support.client_time(ticket, room.opened_at),
                   COALESCE(NULLIF(array_to_string(room.executives, ', '), ''), 'no executive')),
            jsonb_build_object('kind', 'executive_escalation'));
        RETURN room;
    END IF;
    SELECT * INTO policy FROM support.sla_policies p WHERE p.priority::text OPERATOR(pg_catalog.=) ticket.priority::text;
    names := support.tell_staff(ticket, 'executives',
        format('[Ticket #%s] - Executive escalation - %s', ticket.ticket_id, ticket.subject),
        format(E'You are in the war room of #%s (%s, tier %s) for %s: %s.\n'
               'War room: %s. Updates every %s until it is resolved; the post-incident review is due within %s of the resolution.',
               ticket.ticket_id, ticket.priority::text, ticket.tier,
               (SELECT a.name FROM support.accounts a WHERE a.account_id OPERATOR(pg_catalog.=) ticket.account_id),
               reason, channel, support.duration_in_words(policy.executive_update_cadence),
               support.duration_in_words(policy.post_incident_review_within)),
        'executive_escalation');
    INSERT INTO support.war_rooms (account_id, ticket_id, opened_at, reason, channel, executive_ids, executives)
    SELECT ticket.account_id, ticket.ticket_id, as_of, reason, channel,
           COALESCE(array_agg(g.agent_id ORDER BY g.full_name), '{}'), COALESCE(array_agg(g.full_name ORDER BY g.full_name), '{}')
      FROM support.agents g WHERE g.active AND g.is_executive
    RETURNING * INTO room;
    PERFORM support.alert(ticket, channel, NULL,
        format('[Ticket #%s] executive escalation', ticket.ticket_id),
        format('Executive escalation of #%s (%s, tier %s): %s. War room in %s with %s; updates every %s until resolved; post-incident review within %s of the resolution.',
               ticket.ticket_id, ticket.priority::text, ticket.tier, reason, channel, names,
               support.duration_in_words(policy.executive_update_cadence),
               support.duration_in_words(policy.post_incident_review_within)),
        jsonb_build_object('kind', 'executive_escalation'));
    PERFORM support.add_event(ticket, 'escalation', NULL, 'internal',
        format('War room opened in %s with %s', channel, names),
        jsonb_build_object('war_room', channel, 'executive_ids', to_jsonb(room.executive_ids)));
    RETURN room;
END $$;
COMMENT ON FUNCTION support.open_war_room(ticket support.tickets, reason text, as_of timestamp with time zone) IS 'the executive escalation''s war room: opened once with every executive seated and emailed, #critical-issues alerted with their names';
REVOKE ALL ON FUNCTION support.open_war_room(ticket support.tickets, reason text, as_of timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.record_post_incident_review(ticket_id bigint, agent_id bigint, notes text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(record_post_incident_review.ticket_id);
BEGIN
    PERFORM support.require_agent(agent_id);
    PERFORM support.require_text(notes, 'notes of the post-incident review');
    -- one review per resolution: a reopened and resolved again ticket owes another
    IF ticket.executive_escalated_at IS NULL OR ticket.status NOT IN ('resolved', 'closed')
       OR ticket.post_incident_review_done_at OPERATOR(pg_catalog.>=) ticket.resolved_at THEN
        RAISE EXCEPTION 'ticket % has no post-incident review to record', ticket.ticket_id
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'A review follows each resolution of an executive escalation, once.';
    END IF;
    PERFORM support.set_actor(agent_id);
    UPDATE support.tickets t SET post_incident_review_done_at = now()
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.add_event(ticket, 'review_task', agent_id, 'internal', notes,
        jsonb_build_object('post_incident_review', 'done'));
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.record_post_incident_review(ticket_id bigint, agent_id bigint, notes text) IS 'records the post-incident review (and improvement plan) of a resolved executive escalation; the worker stops chasing it';

CREATE OR REPLACE FUNCTION support.record_post_incident_review(ticket_id bigint, notes text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.record_post_incident_review(ticket_id, support.key_user_id(), notes);
COMMENT ON FUNCTION support.record_post_incident_review(ticket_id bigint, notes text) IS 'record_post_incident_review as the key''s agent';

CREATE OR REPLACE FUNCTION support.escalate_ticket(ticket support.tickets, reason text, as_of timestamp with time zone) RETURNS support.tickets
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- the next tier a manager has configured; none above: the executives
    new_tier smallint := (SELECT min(r.tier) FROM support.tiers r WHERE r.tier OPERATOR(pg_catalog.>) ticket.tier);
    owner_id bigint;
    owner support.agents;
    history_count bigint;
BEGIN
    PERFORM set_config('support.actor_id', '0', true),
            set_config('support.change_reason', 'escalated: ' || reason, true);
    IF new_tier IS NULL AND ticket.priority::text OPERATOR(pg_catalog.=) ANY
           ((SELECT e.executive_priorities FROM support.escalation_triggers e)::text[]) THEN
        -- "critical business impact": the executives
        UPDATE support.tickets t
           SET executive_escalated_at = COALESCE(t.executive_escalated_at, as_of), escalated_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        PERFORM support.open_war_room(ticket, reason, as_of);
    ELSIF new_tier IS NULL THEN
        -- the top tier already has it and the priority is not critical: the managers
        UPDATE support.tickets t SET escalated_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        PERFORM support.alert(ticket, support.alert_channel(ticket), NULL,
            format('[Ticket #%s] needs a manager', ticket.ticket_id),
            format('#%s (%s, tier %s, the top tier): %s. Managers told: %s. %s', ticket.ticket_id,
                   ticket.priority::text, ticket.tier, reason,
                   support.tell_staff(ticket, 'managers',
                       format('[Ticket #%s] - Needs a manager - %s', ticket.ticket_id, ticket.subject),
                       format('#%s (%s) is in the top tier and %s. Executive escalation is for %s tickets (support.escalation_triggers.executive_priorities); please see to it.',
                              ticket.ticket_id, ticket.priority::text, reason,
                              array_to_string((SELECT e.executive_priorities FROM support.escalation_triggers e)::text[], ', ')),
                       'top_tier_escalation'),
                   ticket.subject),
            -- not 'escalation': an enterprise client's channel would read that
            -- the ticket moved to a new team, and it did not
            jsonb_build_object('kind', 'top_tier_escalation'));
    ELSE
        -- Triage's pick (src/assignment.c): the least-loaded eligible agent of the
        -- new tier, waiting for one another transaction holds rather than pass over
        -- the only one, at most 2 s: then the ticket waits in the tier's queue.
        owner_id := support.pick_agent(new_tier, (SELECT c.required_skill FROM support.categories c
                                                   WHERE c.category OPERATOR(pg_catalog.=) ticket.category));
        SELECT g.* INTO owner FROM support.agents g WHERE g.agent_id OPERATOR(pg_catalog.=) owner_id;
        IF owner.agent_id IS NOT NULL THEN
            UPDATE support.agents g SET last_assigned_at = as_of
             WHERE g.agent_id OPERATOR(pg_catalog.=) owner.agent_id;
        END IF;
        UPDATE support.tickets t
           SET tier = new_tier, assignee_id = owner.agent_id, escalated_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        SELECT count(*) INTO history_count FROM support.ticket_events e
         WHERE e.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND e.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
        PERFORM support.queue_message(ticket, 'email', owner.email, NULL,
            format('[Ticket #%s] - Escalated to you - %s', ticket.ticket_id, ticket.subject),
            format(E'Ticket #%s (%s) was escalated to tier %s and is now yours: %s.\n'
                   'Its complete case history (%s events) is in support.ticket_events.',
                   ticket.ticket_id, ticket.priority::text, new_tier, reason, history_count),
            jsonb_build_object('kind', 'escalation_owner'));
        PERFORM support.client_message(ticket, 'escalation_notice');
        PERFORM support.alert(ticket, support.alert_channel(ticket), NULL,
            format('[Ticket #%s] escalated to tier %s', ticket.ticket_id, new_tier),
            format('#%s (%s) escalated to tier %s: %s. Owner: %s. %s', ticket.ticket_id,
                   ticket.priority::text, new_tier, reason,
                   COALESCE(owner.full_name, 'none on shift, waiting in the queue'), ticket.subject),
            jsonb_build_object('kind', 'escalation'));
    END IF;
    PERFORM set_config('support.change_reason', '', true);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.escalate_ticket(ticket support.tickets, reason text, as_of timestamp with time zone) IS 'moves a ticket one tier up to a fresh owner (or to executives from tier 3) and queues the owner''s, the client''s and the channel''s notices';
REVOKE ALL ON FUNCTION support.escalate_ticket(ticket support.tickets, reason text, as_of timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.escalate_to_executive(ticket_id bigint, agent_id bigint, reason text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(escalate_to_executive.ticket_id);
BEGIN
    PERFORM support.require_agent(agent_id);
    PERFORM support.require_text(reason, 'reason for the executive escalation');
    PERFORM support.require_open(ticket);
    IF ticket.executive_escalated_at IS NOT NULL THEN
        RAISE EXCEPTION 'ticket % is already escalated to executives', ticket.ticket_id
              USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM support.set_actor(agent_id, reason);
    UPDATE support.tickets t SET executive_escalated_at = now()
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.add_event(ticket, 'escalation', agent_id, 'internal', reason,
        jsonb_build_object('level', 'executive'));
    PERFORM support.open_war_room(ticket, reason, now());
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.escalate_to_executive(ticket_id bigint, agent_id bigint, reason text) IS 'executive escalation for critical business impact: hourly updates, and a post-incident review task once resolved';

CREATE OR REPLACE FUNCTION support.message_content(destination text, target text, subject text, body text, payload jsonb, idempotency_key text, account_id bigint, ticket_id bigint, template text, created_at timestamp with time zone, sender text) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE destination
    WHEN 'slack' THEN
        jsonb_build_object(
            'channel', target,
            'username', 'Bedrock Support',
            -- Slack reads <...> as links and mentions (<!channel>): the desk's
            -- texts, which carry clients' words, are escaped as Slack asks
            'text', concat_ws(E'\n',
                              '*' || replace(replace(replace(COALESCE(subject, 'Bedrock Support'), '&', '&amp;'), '<', '&lt;'), '>', '&gt;') || '*',
                              replace(replace(replace(body, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
                              CASE WHEN ticket_id IS NOT NULL
                                   THEN format('<%s%s|Ticket #%s>', COALESCE(current_setting('support.ticket_url', true),
                                                       'https://support.bedrockplatform.com/tickets/'),
                                               ticket_id, ticket_id) END),
            'metadata', jsonb_build_object('event_type', COALESCE(payload->>'kind', 'message'),
                                           'event_payload', payload || jsonb_build_object('idempotency_key', idempotency_key)))::text
    WHEN 'webhook' THEN
        jsonb_build_object(
            'id', idempotency_key,
            'type', COALESCE(payload->>'kind', template, 'message'),
            'created_at', created_at,
            'account_id', account_id,
            'ticket_id', ticket_id,
            'subject', subject,
            'text', body,
            'data', payload)::text
    ELSE
        -- RFC 5322; header values lose line breaks so nothing can add a header
        concat_ws(E'\r\n',
            'Date: ' || to_char(clock_timestamp() AT TIME ZONE 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS') || ' +0000',
            'From: Bedrock Platform Support <' || sender || '>',
            'To: <' || target || '>',
            'Subject: ' || regexp_replace(COALESCE(subject, 'Bedrock Platform Support'), '[\r\n]+', ' ', 'g'),
            'Message-ID: <' || idempotency_key || '@bedrock.support>',
            CASE WHEN ticket_id IS NOT NULL
                 THEN 'In-Reply-To: <ticket-' || account_id || '-' || ticket_id || '@bedrock.support>' END,
            CASE WHEN ticket_id IS NOT NULL
                 THEN 'References: <ticket-' || account_id || '-' || ticket_id || '@bedrock.support>' END,
            'X-Bedrock-Idempotency-Key: ' || idempotency_key,
            'MIME-Version: 1.0',
            'Content-Type: text/plain; charset=utf-8',
            'Content-Transfer-Encoding: 8bit',
            '',
            replace(replace(body, E'\r\n', E'\n'), E'\n', E'\r\n'))
    END
$$;
COMMENT ON FUNCTION support.message_content(destination text, target text, subject text, body text, payload jsonb, idempotency_key text, account_id bigint, ticket_id bigint, template text, created_at timestamp with time zone, sender text) IS 'the bytes a message is delivered as: Slack incoming-webhook JSON with a link to the ticket, the webhook event JSON, or the email with its thread headers';
REVOKE ALL ON FUNCTION support.message_content(destination text, target text, subject text, body text, payload jsonb, idempotency_key text, account_id bigint, ticket_id bigint, template text, created_at timestamp with time zone, sender text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.claim_messages(max_messages integer, max_bytes bigint, lease_ms bigint, worker_started_at timestamp with time zone) RETURNS TABLE(account_id bigint, message_id bigint, attempts integer, destination text, target text, idempotency_key text, url text, secret text, username text, sender text, content text, require_tls boolean, size bigint)
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    -- The due messages in order, and a bounded batch more: those without an
    -- endpoint are parked (out of the pending index, until an endpoint for
    -- them appears), so the next claim is again one index probe however many
    -- wait for endpoints that do not exist.
    -- (statement_timestamp(), not clock_timestamp(): a stable bound is the
    -- index's condition, and the rows are updated by their locked ctid)
    -- The lease names the claiming worker's life: the next worker sends
    -- again, at its start, what this one had in flight (release_earlier_claims).
    -- The batch also stops at max_bytes of messages (at least one): what the
    -- worker holds in flight stays bounded whatever the messages hold.
    WITH candidates AS (
        SELECT m.ctid AS row_id, m.next_attempt_at,
               support.has_endpoint(m.destination, m.target) AS deliverable,
               m.body, m.subject, m.target, m.template, m.payload
          FROM support.outbound_messages m
         WHERE m.state = 'pending' AND m.next_attempt_at <= statement_timestamp()
         ORDER BY m.next_attempt_at
         LIMIT max_messages + 1000
           FOR UPDATE SKIP LOCKED),
    parked AS (
        UPDATE support.outbound_messages m
           SET state = 'parked', last_error = 'no active endpoint for ' || m.destination || ' ' || m.target,
               claiming_worker_started_at = NULL
         WHERE m.ctid = ANY (ARRAY(SELECT c.row_id FROM candidates c WHERE NOT c.deliverable))
        RETURNING m.message_id),
    claimed AS (
        UPDATE support.outbound_messages m
           SET attempts = m.attempts + 1,
               next_attempt_at = clock_timestamp() + lease_ms * interval '1 millisecond',
               claiming_worker_started_at = worker_started_at
         WHERE m.ctid = ANY (ARRAY(
                   SELECT c.row_id
                     FROM (SELECT c.row_id, row_number() OVER w AS n,
                                  sum(support.message_size(c.body, c.subject, c.target, c.template, c.payload)) OVER w AS running
                             FROM candidates c WHERE c.deliverable
                           WINDOW w AS (ORDER BY c.next_attempt_at, c.row_id)) c
                    WHERE c.n <= max_messages AND (c.n = 1 OR c.running <= max_bytes)))
        RETURNING m.account_id, m.message_id, m.attempts, m.destination, m.target, m.idempotency_key,
                  m.subject, m.body, m.payload, m.ticket_id, m.template, m.created_at)
    SELECT c.account_id, c.message_id, c.attempts, c.destination, c.target, c.idempotency_key,
           e.url, e.secret, e.username, e.sender,
           support.message_content(c.destination, c.target, c.subject, c.body, c.payload, c.idempotency_key,
                                   c.account_id, c.ticket_id, c.template, c.created_at, e.sender),
           NOT COALESCE(e.plain_text_on_loopback, false),
           support.message_size(c.body, c.subject, c.target, c.template, c.payload)
      FROM claimed c
      LEFT JOIN LATERAL (
            SELECT * FROM support.delivery_endpoints e
             WHERE e.active AND e.destination = c.destination
               AND (c.destination = 'email' OR e.endpoint = c.target
                    OR (c.destination = 'slack' AND e.endpoint = '*'))
             ORDER BY e.endpoint = c.target DESC, e.endpoint
             LIMIT 1) e ON true
$$;
COMMENT ON FUNCTION support.claim_messages(max_messages integer, max_bytes bigint, lease_ms bigint, worker_started_at timestamp with time zone) IS 'the delivery worker''s claim: due pending messages (at most max_messages and, but for the first, max_bytes of them), locked (SKIP LOCKED), their attempt counted and leased to the worker started at worker_started_at, with their endpoint, content, whether SMTP must use TLS and their size; due messages without an endpoint are parked';
REVOKE ALL ON FUNCTION support.claim_messages(max_messages integer, max_bytes bigint, lease_ms bigint, worker_started_at timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.next_delivery() RETURNS timestamp with time zone
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    -- one probe of the pending index: messages without an endpoint are parked
    SELECT m.next_attempt_at FROM support.outbound_messages m
     WHERE m.state = 'pending'
     ORDER BY m.next_attempt_at LIMIT 1
$$;
COMMENT ON FUNCTION support.next_delivery() IS 'when the delivery worker has its next message to send (NULL: none)';
REVOKE ALL ON FUNCTION support.next_delivery() FROM PUBLIC;
GRANT ALL ON FUNCTION support.next_delivery() TO support_manager;

CREATE OR REPLACE FUNCTION support.unpark_messages() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA OPERATOR(pg_catalog.<>) 'support' OR TG_TABLE_NAME OPERATOR(pg_catalog.<>) 'delivery_endpoints'
       OR TG_LEVEL OPERATOR(pg_catalog.<>) 'STATEMENT' THEN
        RAISE EXCEPTION 'support.unpark_messages() is a trigger of support.delivery_endpoints only'
              USING ERRCODE = 'trigger_protocol_violated';
    END IF;
    IF support.restoring() THEN
        RETURN NULL;
    END IF;
    PERFORM support.unpark_deliverable_messages();
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.unpark_messages() IS 'moves the messages parked for lack of an endpoint back to pending when an active endpoint for them is added or changed';
REVOKE ALL ON FUNCTION support.unpark_messages() FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.record_deliveries(account_ids bigint[], message_ids bigint[], states text[], errors text[], next_attempts timestamp with time zone[]) RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    -- a row another transaction holds is skipped, never waited for: that
    -- message is sent again when its lease ends (at least once)
    -- (updated by key, the state checked again: a row updated since this
    -- statement's snapshot is locked in its new version, which the update
    -- then finds and checks again)
    WITH locked AS (
        SELECT m.account_id, m.message_id
          FROM unnest(account_ids, message_ids) AS k(account_id, message_id)
          JOIN support.outbound_messages m ON m.account_id = k.account_id AND m.message_id = k.message_id
         WHERE m.state = 'pending'
           FOR UPDATE OF m SKIP LOCKED)
    UPDATE support.outbound_messages m
       SET state = r.state,
           delivered_at = CASE WHEN r.state = 'delivered' THEN clock_timestamp() END,
           last_error = r.error,
           next_attempt_at = r.next_attempt_at,
           claiming_worker_started_at = NULL
      FROM unnest(account_ids, message_ids, states, errors, next_attempts)
           AS r(account_id, message_id, state, error, next_attempt_at)
     WHERE (m.account_id, m.message_id) IN (SELECT l.account_id, l.message_id FROM locked l)
       AND m.account_id = r.account_id AND m.message_id = r.message_id AND m.state = 'pending'
$$;
COMMENT ON FUNCTION support.record_deliveries(account_ids bigint[], message_ids bigint[], states text[], errors text[], next_attempts timestamp with time zone[]) IS 'the delivery worker''s outcomes: delivered, back to pending with the next attempt''s time, or dead, with the reason';
REVOKE ALL ON FUNCTION support.record_deliveries(account_ids bigint[], message_ids bigint[], states text[], errors text[], next_attempts timestamp with time zone[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.release_earlier_claims(worker_started_at timestamp with time zone, max_attempts integer) RETURNS bigint
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    -- (a row another transaction holds is skipped, never waited for: its
    -- lease still ends on its own)
    -- (updated by key, conditions repeated: a row updated since this
    -- statement's snapshot is locked in its new version, which the update
    -- then finds and checks again)
    WITH locked AS (
        SELECT m.account_id, m.message_id FROM support.outbound_messages m
         WHERE m.state = 'pending'
           -- (<> in two ranges: the in-flight index's two probes)
           AND (m.claiming_worker_started_at < worker_started_at OR m.claiming_worker_started_at > worker_started_at)
           FOR UPDATE SKIP LOCKED),
    released AS (
        UPDATE support.outbound_messages m
           SET claiming_worker_started_at = NULL,
               next_attempt_at = now(),
               state = CASE WHEN m.attempts >= max_attempts THEN 'dead' ELSE 'pending' END,
               last_error = CASE WHEN m.attempts >= max_attempts
                                 THEN format('no outcome recorded (gave up after %s attempts: the delivery worker stopped while sending it)', m.attempts)
                                 ELSE m.last_error END
         WHERE (m.account_id, m.message_id) IN (SELECT l.account_id, l.message_id FROM locked l)
           AND m.state = 'pending'
           AND (m.claiming_worker_started_at < worker_started_at OR m.claiming_worker_started_at > worker_started_at)
        RETURNING m.state)
    SELECT count(*) FILTER (WHERE state = 'pending') FROM released
$$;
COMMENT ON FUNCTION support.release_earlier_claims(worker_started_at timestamp with time zone, max_attempts integer) IS 'the delivery worker''s first act: messages other workers claimed and never recorded are due again now (dead after max_attempts); returns how many will be sent again';
REVOKE ALL ON FUNCTION support.release_earlier_claims(worker_started_at timestamp with time zone, max_attempts integer) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.unpark_deliverable_messages(OUT unparked bigint, OUT skipped bigint)
    LANGUAGE sql SET search_path = pg_catalog, pg_temp SET enable_seqscan = off SET jit = off AS $$
    WITH candidates AS (
        -- (LATERAL, kept a subquery by OFFSET 0: a probe of the parked index
        -- an endpoint, never a scan of every parked message)
        SELECT p.row_id
          FROM (SELECT DISTINCT e.destination, e.endpoint FROM support.delivery_endpoints e
                 WHERE e.active AND e.destination <> 'email' AND e.endpoint <> '*') e
         CROSS JOIN LATERAL (
               SELECT p.ctid AS row_id FROM support.outbound_messages p
                WHERE p.state = 'parked' AND p.destination = e.destination AND p.target = e.endpoint
                  AND support.has_endpoint(p.destination, p.target)
               OFFSET 0) p
        UNION
        -- (endpoints for a whole destination: email's, and Slack's '*')
        SELECT p.row_id
          FROM (SELECT DISTINCT e.destination FROM support.delivery_endpoints e
                 WHERE e.active AND (e.destination = 'email' OR (e.destination = 'slack' AND e.endpoint = '*'))) d
         CROSS JOIN LATERAL (
               SELECT p.ctid AS row_id FROM support.outbound_messages p
                WHERE p.state = 'parked' AND p.destination = d.destination
                  AND support.has_endpoint(p.destination, p.target)
               OFFSET 0) p),
    -- a row another transaction holds is skipped, never waited for, and
    -- counted: the delivery worker sweeps again until none is left
    -- (joined by ctid, not "ctid = ANY (array)", which is checked against the
    -- whole array for every row: hours for 300,000; a row updated since
    -- this statement's snapshot, locked in its new version, is missed here
    -- and counted as skipped)
    locked AS (
        SELECT m.ctid AS row_id
          FROM candidates c JOIN support.outbound_messages m ON m.ctid = c.row_id
         WHERE m.state = 'parked'
           FOR UPDATE OF m SKIP LOCKED),
    moved AS (
        UPDATE support.outbound_messages m
           SET state = 'pending', next_attempt_at = now(), last_error = NULL
          FROM locked l
         WHERE m.ctid = l.row_id
        RETURNING 1)
    SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM candidates) - (SELECT count(*) FROM moved)
$$;
COMMENT ON FUNCTION support.unpark_deliverable_messages(OUT unparked bigint, OUT skipped bigint) IS 'moves the parked messages an active endpoint now serves back to pending, due now; returns how many, and how many it could not lock (held by another transaction)';
REVOKE ALL ON FUNCTION support.unpark_deliverable_messages(OUT unparked bigint, OUT skipped bigint) FROM PUBLIC;

-- objects that need the functions above
DROP TRIGGER ticket_event_effects ON support.ticket_events;
CREATE TRIGGER ticket_event_effects AFTER INSERT ON support.ticket_events FOR EACH ROW WHEN ((new.kind = ANY (ARRAY['public_reply'::support.event_kind, 'client_message'::support.event_kind, 'internal_note'::support.event_kind, 'resolution'::support.event_kind]))) EXECUTE FUNCTION support.ticket_event_effects_trigger();
CREATE TRIGGER ticket_event_watch_dissatisfaction AFTER INSERT ON support.ticket_events FOR EACH ROW WHEN ((new.kind = 'client_message'::support.event_kind)) EXECUTE FUNCTION support.watch_dissatisfaction();
CREATE VIEW support.war_room_tasks WITH (security_invoker='true') AS
 SELECT w.account_id,
    w.ticket_id,
    w.opened_at,
    w.channel,
    w.executives,
    t.status,
    k.task,
    k.due,
    k.done_at,
    (k.done_at IS NULL AND k.due <= now()) AS overdue
   FROM support.war_rooms w
     JOIN support.tickets t ON t.account_id = w.account_id AND t.ticket_id = w.ticket_id
     JOIN support.sla_policies p ON p.priority = t.priority
     CROSS JOIN LATERAL ( VALUES
        ('update'::text, t.next_update_due, NULL::timestamp with time zone),
        ('post-incident review', t.resolved_at + p.post_incident_review_within,
         CASE WHEN t.post_incident_review_done_at >= t.resolved_at THEN t.post_incident_review_done_at END)
        ) k(task, due, done_at)
  WHERE k.due IS NOT NULL;
COMMENT ON VIEW support.war_room_tasks IS 'the tasks of each war room: the next update while the ticket runs (executive cadence: hourly), the post-incident review once it is resolved; due, done, overdue';
GRANT SELECT ON TABLE support.war_room_tasks TO support_agent, support_manager;

CREATE OR REPLACE VIEW support.delivery_status WITH (security_invoker='true') AS
 SELECT w.preloaded,
    w.state,
    w.pid,
    w.started_at,
    w.last_pass_at,
    w.last_pass_messages,
    w.last_pass_delivered,
    w.passes,
    w.delivered,
    w.next_wakeup,
    w.errors,
    w.last_error_at,
    w.last_error,
    ( SELECT count(*) AS count
           FROM support.outbound_messages m
          WHERE (m.state = 'pending'::text)) AS pending_messages,
    ( SELECT count(*) AS count
           FROM support.outbound_messages m
          WHERE (m.state = 'parked'::text)) AS waiting_for_an_endpoint,
    ( SELECT count(*) AS count
           FROM support.outbound_messages m
          WHERE (m.state = 'dead'::text)) AS dead_letters,
    support.next_delivery() AS next_attempt
   FROM support.delivery_worker_state() w(preloaded, state, pid, started_at, last_pass_at, last_pass_messages, last_pass_delivered, passes, delivered, next_wakeup, errors, last_error_at, last_error);
COMMENT ON VIEW support.delivery_status IS 'the delivery worker of this database (running or not, last pass, messages delivered, errors) and the outbox''s pending and dead messages';
GRANT SELECT ON TABLE support.delivery_status TO support_manager;
CREATE TRIGGER unpark_messages AFTER INSERT OR UPDATE ON support.delivery_endpoints FOR EACH STATEMENT EXECUTE FUNCTION support.unpark_messages();

-- No tenant stops the desk for another (#23): the worker acts on each
-- ticket in a subtransaction of its own, every account's most urgent first,
-- sets a failing ticket aside (support.action_failures) and ends a session
-- that keeps a due ticket locked; its sweeps skip rows others hold.
-- A ticket whose action fails is set aside, never the batch: the failure is
-- kept here, the ticket's actions wait until retry_at (a lock that stayed
-- held: a second; any other error: 10 s, doubling up to 15 minutes), and
-- the support managers hear of it once the ticket has failed three times or
-- for a minute. The next successful pass over the ticket removes the row.
CREATE TABLE support.action_failures (
    account_id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    action text NOT NULL,
    due timestamp with time zone NOT NULL,
    attempts integer DEFAULT 1 NOT NULL,
    first_failed_at timestamp with time zone NOT NULL,
    last_failed_at timestamp with time zone NOT NULL,
    retry_at timestamp with time zone NOT NULL,
    error_code text NOT NULL,
    error text NOT NULL,
    managers_told_at timestamp with time zone,
    CONSTRAINT action_failures_pkey PRIMARY KEY (account_id, ticket_id)
);
CREATE INDEX action_failures_retry_idx ON support.action_failures USING btree (retry_at);
ALTER TABLE support.action_failures ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.action_failures IS 'tickets whose scheduled action failed: the action, the error (SQLSTATE and message), how often and since when, and when the worker tries again; the other tickets went on';
COMMENT ON COLUMN support.action_failures.attempts IS 'failures other than a lock held past support.worker_lock_timeout, which is retried after a second';
COMMENT ON COLUMN support.action_failures.managers_told_at IS 'when the support managers were emailed and #support-escalations alerted (after three failures, or a minute of them)';
GRANT SELECT ON TABLE support.action_failures TO support_manager;
CREATE POLICY manager_reads_action_failures ON support.action_failures
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));
SELECT pg_catalog.pg_extension_config_dump('support.action_failures', '');

ALTER TABLE support.security_audit DROP CONSTRAINT security_audit_kind_check;
ALTER TABLE support.security_audit ADD CONSTRAINT security_audit_kind_check CHECK ((kind = ANY (ARRAY['staff_rights'::text, 'account_sensitivity'::text, 'assumption_policy'::text, 'endpoint'::text, 'bypass'::text, 'session_ended'::text, 'second_factor'::text])));
COMMENT ON TABLE support.security_audit IS 'append-only trail of changes to staff powers: super-user and manager rights, an account''s sensitive flag, the assumption policy, delivery endpoints, second factors enrolled, refused and locked out, sessions the escalation worker ended for holding a due ticket, and a superuser''s changes to the trails themselves';
DROP FUNCTION support.run_due_actions(timestamp with time zone, integer);
CREATE OR REPLACE FUNCTION support.set_actions_aside(ticket support.tickets, action text, due timestamp with time zone, error_code text, error text, as_of timestamp with time zone) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- a lock held too long, a deadlock or a serialization failure passes
    transient boolean := error_code OPERATOR(pg_catalog.=) ANY (ARRAY['55P03', '40P01', '40001']);
    failure support.action_failures;
BEGIN
    INSERT INTO support.action_failures AS f
           (account_id, ticket_id, action, due, attempts, first_failed_at, last_failed_at, retry_at, error_code, error)
    VALUES (ticket.account_id, ticket.ticket_id, action, due, CASE WHEN transient THEN 0 ELSE 1 END,
            as_of, as_of, as_of, error_code, pg_catalog.left(error, 1000))
    ON CONFLICT ON CONSTRAINT action_failures_pkey DO UPDATE
       SET action = EXCLUDED.action, due = EXCLUDED.due,
           attempts = f.attempts OPERATOR(pg_catalog.+) EXCLUDED.attempts,
           last_failed_at = EXCLUDED.last_failed_at, error_code = EXCLUDED.error_code, error = EXCLUDED.error
    RETURNING f.* INTO failure;
    UPDATE support.action_failures f
       SET retry_at = as_of OPERATOR(pg_catalog.+) CASE
               WHEN transient THEN interval '1 second'
               ELSE LEAST(interval '10 seconds' OPERATOR(pg_catalog.*) power(2, LEAST(failure.attempts - 1, 10)),
                          interval '15 minutes') END
     WHERE f.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND f.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING f.* INTO failure;
    IF failure.managers_told_at IS NOT NULL
       OR (failure.attempts OPERATOR(pg_catalog.<) 3
           AND as_of OPERATOR(pg_catalog.-) failure.first_failed_at OPERATOR(pg_catalog.<) interval '1 minute') THEN
        RETURN;
    END IF;
    -- telling them must not undo the record of the failure
    BEGIN
        PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
            format('[Ticket #%s] the escalation worker cannot act on it', ticket.ticket_id),
            format('The worker''s %s action on #%s (%s) has failed since %s: %s (%s). It is tried again at %s; the other tickets go on. Managers told: %s.',
                   action, ticket.ticket_id, ticket.priority::text, support.client_time(ticket, failure.first_failed_at),
                   failure.error, failure.error_code, support.client_time(ticket, failure.retry_at),
                   support.tell_staff(ticket, 'managers',
                       format('[Ticket #%s] - The escalation worker cannot act - %s', ticket.ticket_id, ticket.subject),
                       format(E'The worker''s %s action on #%s (%s), due at %s, has failed since %s:\n%s (SQLSTATE %s).\n'
                              'It is tried again at %s and until it succeeds; support.action_failures shows it.',
                              action, ticket.ticket_id, ticket.priority::text, support.client_time(ticket, due),
                              support.client_time(ticket, failure.first_failed_at), failure.error, failure.error_code,
                              support.client_time(ticket, failure.retry_at)),
                       'worker_failure')),
            jsonb_build_object('kind', 'worker_failure'));
        UPDATE support.action_failures f SET managers_told_at = as_of
         WHERE f.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND f.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'could not tell the managers that ticket %''s actions fail: %', ticket.ticket_id, SQLERRM;
    END;
END $$;
COMMENT ON FUNCTION support.set_actions_aside(ticket support.tickets, action text, due timestamp with time zone, error_code text, error text, as_of timestamp with time zone) IS 'records a ticket''s failed action in support.action_failures with its retry time; from the third failure, or a minute of them, tells the managers once';
REVOKE ALL ON FUNCTION support.set_actions_aside(ticket support.tickets, action text, due timestamp with time zone, error_code text, error text, as_of timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.run_due_actions(as_of timestamp with time zone DEFAULT now(), max_tickets integer DEFAULT 500, max_duration interval DEFAULT NULL::interval, OUT tickets integer, OUT actions integer, OUT failed integer) RETURNS record
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets;
    next record;
    done text[];
    taken integer;
    started timestamp with time zone := clock_timestamp();
    error_code text;
    error_text text;
BEGIN
    IF as_of IS NULL OR max_tickets IS NULL OR max_tickets < 1 THEN
        RAISE EXCEPTION 'run_due_actions needs a time and a positive batch size'
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Call support.run_due_actions(now(), 500).';
    END IF;
    tickets := 0;
    actions := 0;
    failed := 0;
    -- In turns: every account's most urgent due ticket, then every account's
    -- second, so one account's thousand due tickets do not hold up another's
    -- one. A ticket another session holds is left to the next pass (the
    -- worker ends a session that keeps one past support.lock_hold_limit); one
    -- set aside after a failure waits for its retry.
    FOR ticket IN
        SELECT t.* FROM (
                SELECT d.account_id, d.ticket_id, d.turn, d.priority, d.next_action_at
                  FROM (SELECT d.account_id, d.ticket_id, d.priority, d.next_action_at,
                               pg_catalog.row_number() OVER (PARTITION BY d.account_id
                                                             ORDER BY d.priority, d.next_action_at) AS turn
                          FROM support.tickets d
                         WHERE d.next_action_at OPERATOR(pg_catalog.<=) as_of
                           AND NOT EXISTS (SELECT 1 FROM support.action_failures f
                                            WHERE f.account_id OPERATOR(pg_catalog.=) d.account_id
                                              AND f.ticket_id OPERATOR(pg_catalog.=) d.ticket_id
                                              AND f.retry_at OPERATOR(pg_catalog.>) as_of)) d
                 ORDER BY d.turn, d.priority, d.next_action_at, d.account_id, d.ticket_id
                 LIMIT max_tickets) c
          JOIN support.tickets t ON t.account_id OPERATOR(pg_catalog.=) c.account_id
                                AND t.ticket_id OPERATOR(pg_catalog.=) c.ticket_id
         WHERE t.next_action_at OPERATOR(pg_catalog.<=) as_of
         ORDER BY c.turn, c.priority, c.next_action_at, c.account_id, c.ticket_id
           FOR UPDATE OF t SKIP LOCKED
    LOOP
        -- a batch bounded in time commits soon, whatever it meets
        EXIT WHEN max_duration IS NOT NULL AND tickets > 0
                  AND clock_timestamp() OPERATOR(pg_catalog.-) started OPERATOR(pg_catalog.>=) max_duration;
        tickets := tickets + 1;
        done := '{}';
        taken := 0;
        next := NULL;
        -- each ticket in a subtransaction of its own: one that fails is set
        -- aside with its error, and the batch goes on
        BEGIN
            -- one action at a time, re-reading the schedule: an escalation
            -- changes what else is due (its new tier's targets start now)
            LOOP
                SELECT a.action, a.due INTO next
                  FROM support.ticket_actions(ticket) a
                 WHERE a.due OPERATOR(pg_catalog.<=) as_of
                   AND (ticket.actions_checked_at IS NULL
                        OR a.due OPERATOR(pg_catalog.>) ticket.actions_checked_at)
                   AND support.action_key(a.action, a.due) OPERATOR(pg_catalog.<>) ALL (done)
                 ORDER BY a.due, a.action
                 LIMIT 1;
                EXIT WHEN NOT FOUND;
                done := done || support.action_key(next.action, next.due);
                IF support.take_action(ticket, next.action, next.due, as_of) THEN
                    taken := taken + 1;
                END IF;
                SELECT * INTO ticket FROM support.tickets t
                 WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
                   AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
            END LOOP;
            UPDATE support.tickets t SET actions_checked_at = as_of
             WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
               AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
            DELETE FROM support.action_failures f
             WHERE f.account_id OPERATOR(pg_catalog.=) ticket.account_id
               AND f.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
            actions := actions + taken;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS error_code = RETURNED_SQLSTATE, error_text = MESSAGE_TEXT;
            failed := failed + 1;
            PERFORM support.set_actions_aside(ticket, COALESCE(next.action, 'schedule'),
                                              COALESCE(next.due, ticket.next_action_at, as_of),
                                              error_code, error_text, as_of);
        END;
    END LOOP;
    PERFORM set_config('support.actor_id', '0', true);
END $$;
COMMENT ON FUNCTION support.run_due_actions(as_of timestamp with time zone, max_tickets integer, max_duration interval) IS 'one batch of the escalation worker: takes every action due by as_of on up to max_tickets tickets (locked, SKIP LOCKED), every account''s most urgent first, each ticket in its own subtransaction (a failing one is set aside in support.action_failures), starting no ticket after max_duration; safe to call by hand next to the worker';
REVOKE ALL ON FUNCTION support.run_due_actions(as_of timestamp with time zone, max_tickets integer, max_duration interval) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.next_action_time() RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT LEAST(
        (SELECT t.next_action_at FROM support.tickets t
          WHERE t.next_action_at IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM support.action_failures f
                             WHERE f.account_id = t.account_id AND f.ticket_id = t.ticket_id
                               AND f.retry_at > statement_timestamp())
          ORDER BY t.next_action_at LIMIT 1),
        (SELECT min(GREATEST(f.retry_at, t.next_action_at)) FROM support.action_failures f
           JOIN support.tickets t ON t.account_id = f.account_id AND t.ticket_id = f.ticket_id
          WHERE t.next_action_at IS NOT NULL))
$$;
COMMENT ON FUNCTION support.next_action_time() IS 'when the escalation worker next has an action to take: the earliest scheduled action, a ticket set aside after a failure counting from its retry';
REVOKE ALL ON FUNCTION support.next_action_time() FROM PUBLIC;
GRANT ALL ON FUNCTION support.next_action_time() TO support_manager;

CREATE OR REPLACE FUNCTION support.end_ticket_holders(due_before timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    held record;
    holder record;
    ended integer := 0;
BEGIN
    FOR held IN
        SELECT t.account_id, t.ticket_id, t.next_action_at, t.ctid AS row_id FROM support.tickets t
         WHERE t.next_action_at OPERATOR(pg_catalog.<=) due_before
           AND NOT EXISTS (SELECT 1 FROM support.action_failures f
                            WHERE f.account_id OPERATOR(pg_catalog.=) t.account_id
                              AND f.ticket_id OPERATOR(pg_catalog.=) t.ticket_id
                              AND f.retry_at OPERATOR(pg_catalog.>) due_before)
         ORDER BY t.next_action_at
         LIMIT 1000
    LOOP
        FOR holder IN
            SELECT a.pid, a.usename, a.application_name, a.state, a.xact_start, r.rolsuper
              FROM pg_catalog.unnest(support.row_locker_pids('support.tickets'::regclass, held.row_id)) p(pid)
              JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) p.pid
              JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.usesysid
             WHERE a.backend_type OPERATOR(pg_catalog.=) 'client backend'
        LOOP
            CONTINUE WHEN holder.rolsuper;
            IF pg_catalog.pg_terminate_backend(holder.pid) THEN
                ended := ended + 1;
                INSERT INTO support.security_audit (kind, subject_id, details)
                VALUES ('session_ended', held.ticket_id,
                        jsonb_build_object('pid', holder.pid, 'role', holder.usename,
                                           'application_name', holder.application_name,
                                           'state', holder.state, 'transaction_started_at', holder.xact_start,
                                           'account_id', held.account_id, 'ticket_id', held.ticket_id,
                                           'action_due_at', held.next_action_at));
                RAISE WARNING 'ended session % of role "%": it held ticket % since before its action was due at %',
                              holder.pid, holder.usename, held.ticket_id, held.next_action_at;
            END IF;
        END LOOP;
    END LOOP;
    RETURN ended;
END $$;
COMMENT ON FUNCTION support.end_ticket_holders(due_before timestamp with time zone) IS 'the escalation worker''s: ends every session but a superuser''s that holds a ticket whose action was due by due_before, audited as session_ended; returns how many';
REVOKE ALL ON FUNCTION support.end_ticket_holders(due_before timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.row_locker_pids(relation regclass, row_id tid) RETURNS integer[]
    LANGUAGE c AS 'MODULE_PATHNAME', 'row_locker_pids';
COMMENT ON FUNCTION support.row_locker_pids(relation regclass, row_id tid) IS 'the backends whose running transactions lock or update that row version of one of the desk''s tables';
REVOKE ALL ON FUNCTION support.row_locker_pids(relation regclass, row_id tid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.expire_assumptions() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ended support.auth_keys;
    count integer := 0;
BEGIN
    -- a key another transaction holds (its logout, say) is skipped, never
    -- waited for: it is swept at the next pass
    -- (updated by key, the conditions repeated: a row updated since this
    -- statement's snapshot is locked in its new version, checked again)
    FOR ended IN
        WITH ending AS (
            SELECT k.key_id FROM support.auth_keys k
             WHERE k.assumed_by IS NOT NULL AND k.revoked_at IS NULL
               AND support.assumption_end_reason(k) IS NOT NULL
               FOR UPDATE SKIP LOCKED)
        UPDATE support.auth_keys k
           SET revoked_at = now(), revoke_reason = support.assumption_end_reason(k)
          FROM ending e
         WHERE k.key_id = e.key_id AND k.revoked_at IS NULL
           AND support.assumption_end_reason(k) IS NOT NULL
        RETURNING k.* LOOP
        PERFORM support.audit_release(ended, 'expired', ended.revoke_reason);
        count := count + 1;
    END LOOP;
    -- keys a week past their end (a revoked key's is at most a day later) are of no
    -- use to anyone; the audit keeps the story
    DELETE FROM support.auth_keys k
     WHERE k.key_id IN (SELECT o.key_id FROM support.auth_keys o
                         WHERE o.expires_at < now() - interval '7 days' FOR UPDATE SKIP LOCKED)
       AND k.expires_at < now() - interval '7 days';
    RETURN count;
END $$;
COMMENT ON FUNCTION support.expire_assumptions() IS 'the worker''s sweep: audits assumptions that went idle, outlived their super user''s key or rights, and forgets keys a week past their end';
REVOKE ALL ON FUNCTION support.expire_assumptions() FROM PUBLIC;


-- What a tenant writes is bounded where it is written, and what the desk
-- composes is cut to fit, never refused (#23: a client's 1.1 MB name
-- stopped the worker for every account). 1.0's rows are brought within the
-- bounds, so each can still be written: a name's line breaks, control
-- characters, markup brackets and '://' become spaces and it is cut to 200
-- characters, a ticket's text
-- over 1 MB is cut; the upgrade says how many. History keeps what it holds.
CREATE OR REPLACE FUNCTION support.is_name(value text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'is_name';
COMMENT ON FUNCTION support.is_name(value text) IS 'whether value is a name someone is called by: one line of at most 200 characters, no control character, no markup (< >) or web address (://), not blank';

CREATE OR REPLACE FUNCTION support.fit_text(value text, max_bytes integer DEFAULT 262144) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'fit_text';
COMMENT ON FUNCTION support.fit_text(value text, max_bytes integer) IS 'value, or when it is longer than max_bytes its first whole characters and " [... cut: too long]", max_bytes in all: how every text the desk composes is bounded';
REVOKE ALL ON FUNCTION support.fit_text(value text, max_bytes integer) FROM PUBLIC;

DO $$
DECLARE
    changed bigint;
    total bigint := 0;
BEGIN
    UPDATE support.account_users SET full_name = COALESCE(NULLIF(btrim(pg_catalog.left(btrim(replace(regexp_replace(full_name, '[[:cntrl:]\u2028\u2029<>]+', ' ', 'g'), '://', ' ')), 200)), ''), '(no name)')
     WHERE NOT support.is_name(full_name);
    GET DIAGNOSTICS changed = ROW_COUNT; total := total + changed;
    UPDATE support.agents SET full_name = COALESCE(NULLIF(btrim(pg_catalog.left(btrim(replace(regexp_replace(full_name, '[[:cntrl:]\u2028\u2029<>]+', ' ', 'g'), '://', ' ')), 200)), ''), '(no name)')
     WHERE NOT support.is_name(full_name);
    GET DIAGNOSTICS changed = ROW_COUNT; total := total + changed;
    UPDATE support.accounts SET name = COALESCE(NULLIF(btrim(pg_catalog.left(btrim(replace(regexp_replace(name, '[[:cntrl:]\u2028\u2029<>]+', ' ', 'g'), '://', ' ')), 200)), ''), '(no name)')
     WHERE NOT support.is_name(name);
    GET DIAGNOSTICS changed = ROW_COUNT; total := total + changed;
    IF total > 0 THEN
        RAISE WARNING '% names from before 1.1 were longer than 200 characters, not one line, or carried markup or a web address: they are now one short plain line', total
              USING HINT = 'Names are how greetings and alerts address people: check the changed ones.';
    END IF;
    UPDATE support.tickets
       SET description = support.fit_text(description, 1048576), root_cause = support.fit_text(root_cause, 1048576),
           solution = support.fit_text(solution, 1048576), verification_steps = support.fit_text(verification_steps, 1048576),
           prevention_measures = support.fit_text(prevention_measures, 1048576),
           satisfaction_comment = support.fit_text(satisfaction_comment, 1048576)
     WHERE octet_length(description) > 1048576 OR octet_length(root_cause) > 1048576 OR octet_length(solution) > 1048576
        OR octet_length(verification_steps) > 1048576 OR octet_length(prevention_measures) > 1048576
        OR octet_length(satisfaction_comment) > 1048576;
    GET DIAGNOSTICS changed = ROW_COUNT;
    IF changed > 0 THEN
        RAISE WARNING '% tickets from before 1.1 had a text over 1 MB: it is cut to 1 MB', changed;
    END IF;
END $$;
ALTER TABLE support.account_users DROP CONSTRAINT account_users_full_name_check,
    ADD CONSTRAINT names_are_one_short_line CHECK (support.is_name(full_name));
ALTER TABLE support.agents DROP CONSTRAINT agents_full_name_check,
    ADD CONSTRAINT names_are_one_short_line CHECK (support.is_name(full_name));
ALTER TABLE support.accounts DROP CONSTRAINT accounts_name_check,
    ADD CONSTRAINT names_are_one_short_line CHECK (support.is_name(name));
ALTER TABLE support.tickets ADD CONSTRAINT texts_are_at_most_1_mb CHECK (((octet_length(description) <= 1048576) AND (octet_length(root_cause) <= 1048576) AND (octet_length(solution) <= 1048576) AND (octet_length(verification_steps) <= 1048576) AND (octet_length(prevention_measures) <= 1048576) AND (octet_length(satisfaction_comment) <= 1048576)));
ALTER TABLE support.ticket_events ADD CONSTRAINT details_are_at_most_64_kb CHECK ((support.message_size(NULL::text, NULL::text, NULL::text, NULL::text, details) <= 65536)) NOT VALID;
DO $$
BEGIN
    ALTER TABLE support.ticket_events VALIDATE CONSTRAINT details_are_at_most_64_kb;
EXCEPTION WHEN check_violation THEN
    RAISE WARNING 'support.ticket_events has rows from before 1.1 that break details_are_at_most_64_kb: the bound holds for rows written from now on'
          USING HINT = 'They are history and stay as they were; new events are bounded.';
END $$;
CREATE OR REPLACE FUNCTION support.queue_message(ticket support.tickets, destination text, target text, template text, subject text, body text, payload jsonb DEFAULT '{}'::jsonb, urgent boolean DEFAULT NULL::boolean) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- Slack alerts are urgent unless said otherwise; so are staff's escalation emails (their callers say so)
    is_urgent boolean := COALESCE(urgent, destination OPERATOR(pg_catalog.=) 'slack');
BEGIN
    IF target IS NULL THEN
        RETURN;                 -- nobody to tell (no assignee, no address)
    END IF;
    -- composed texts are cut to fit, never refused (src/text_bounds.c);
    -- Slack shows at most 40,000 characters of a message; its place in the
    -- fair queue of its class (src/send_order.c)
    INSERT INTO support.outbound_messages
           (account_id, ticket_id, destination, target, template, subject, body, payload, urgent, send_order)
    VALUES (ticket.account_id, ticket.ticket_id, destination, target, template,
            support.fit_text(subject, 998),
            support.fit_text(body, CASE WHEN destination OPERATOR(pg_catalog.=) 'slack' THEN 32768 ELSE 262144 END),
            jsonb_build_object('ticket_id', ticket.ticket_id, 'priority', ticket.priority::text,
                               'tier', ticket.tier, 'status', ticket.status::text)
            || COALESCE(payload, '{}'),
            is_urgent, support.next_send_order(ticket.account_id, is_urgent));
END $$;
COMMENT ON FUNCTION support.queue_message(ticket support.tickets, destination text, target text, template text, subject text, body text, payload jsonb, urgent boolean) IS 'puts one message about a ticket into the outbox, in the fair queue of its class (urgent: Slack alerts by default; nothing when the target is unknown)';
REVOKE ALL ON FUNCTION support.queue_message(ticket support.tickets, destination text, target text, template text, subject text, body text, payload jsonb, urgent boolean) FROM PUBLIC;


-- The agents' loads change without a lock on the agent (#23: one account's
-- open transaction held the agent its ticket was given, and every other
-- account's ticket and the escalation worker waited for it): the triggers
-- append changes, the worker folds them in, and picks in progress are
-- counted in shared memory.
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

CREATE OR REPLACE FUNCTION support.fold_agent_loads() RETURNS integer
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

CREATE OR REPLACE FUNCTION support.escalate_ticket(ticket support.tickets, reason text, as_of timestamp with time zone) RETURNS support.tickets
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- the next tier a manager has configured; none above: the executives
    new_tier smallint := (SELECT min(r.tier) FROM support.tiers r WHERE r.tier OPERATOR(pg_catalog.>) ticket.tier);
    owner_id bigint;
    owner support.agents;
    history_count bigint;
BEGIN
    PERFORM set_config('support.actor_id', '0', true),
            set_config('support.change_reason', 'escalated: ' || reason, true);
    IF new_tier IS NULL AND ticket.priority::text OPERATOR(pg_catalog.=) ANY
           ((SELECT e.executive_priorities FROM support.escalation_triggers e)::text[])
       AND NOT support.war_room_limit_reached(ticket, as_of) THEN
        -- "critical business impact": the executives
        UPDATE support.tickets t
           SET executive_escalated_at = COALESCE(t.executive_escalated_at, as_of), escalated_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        PERFORM support.open_war_room(ticket, reason, as_of);
    ELSIF new_tier IS NULL THEN
        -- the top tier already has it and the priority is not critical: the managers
        UPDATE support.tickets t SET escalated_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        PERFORM support.alert(ticket, support.alert_channel(ticket), NULL,
            format('[Ticket #%s] needs a manager', ticket.ticket_id),
            format('#%s (%s, tier %s, the top tier): %s. Managers told: %s. %s', ticket.ticket_id,
                   ticket.priority::text, ticket.tier, reason,
                   support.tell_staff(ticket, 'managers',
                       format('[Ticket #%s] - Needs a manager - %s', ticket.ticket_id, ticket.subject),
                       CASE WHEN support.war_room_limit_reached(ticket, as_of)
                            AND ticket.priority::text OPERATOR(pg_catalog.=) ANY
                                ((SELECT e.executive_priorities FROM support.escalation_triggers e)::text[])
                       THEN format('#%s (%s) is in the top tier and %s. Its account has opened as many war rooms in 24 hours as it may (support.escalation_triggers.war_rooms_a_day: %s): please decide whether the executives are needed (support.escalate_to_executive).',
                                   ticket.ticket_id, ticket.priority::text, reason,
                                   (SELECT e.war_rooms_a_day FROM support.escalation_triggers e))
                       ELSE format('#%s (%s) is in the top tier and %s. Executive escalation is for %s tickets (support.escalation_triggers.executive_priorities); please see to it.',
                                   ticket.ticket_id, ticket.priority::text, reason,
                                   array_to_string((SELECT e.executive_priorities FROM support.escalation_triggers e)::text[], ', ')) END,
                       'top_tier_escalation'),
                   ticket.subject),
            -- not 'escalation': an enterprise client's channel would read that
            -- the ticket moved to a new team, and it did not
            jsonb_build_object('kind', 'top_tier_escalation'));
    ELSE
        -- Triage's pick (src/assignment.c): the least-loaded eligible agent of the
        -- new tier, counting picks still in progress, never waiting for one
        owner_id := support.pick_agent(new_tier, (SELECT c.required_skill FROM support.categories c
                                                   WHERE c.category OPERATOR(pg_catalog.=) ticket.category));
        SELECT g.* INTO owner FROM support.agents g WHERE g.agent_id OPERATOR(pg_catalog.=) owner_id;
        IF owner.agent_id IS NOT NULL THEN
            -- (a change to fold, not an update: nobody's open transaction holds it up)
            INSERT INTO support.agent_load_changes (agent_id, open_tickets, assigned_at)
            VALUES (owner.agent_id, 0, as_of);
        END IF;
        UPDATE support.tickets t
           SET tier = new_tier, assignee_id = owner.agent_id, escalated_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        SELECT count(*) INTO history_count FROM support.ticket_events e
         WHERE e.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND e.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
        PERFORM support.queue_message(ticket, 'email', owner.email, NULL,
            format('[Ticket #%s] - Escalated to you - %s', ticket.ticket_id, ticket.subject),
            format(E'Ticket #%s (%s) was escalated to tier %s and is now yours: %s.\n'
                   'Its complete case history (%s events) is in support.ticket_events.',
                   ticket.ticket_id, ticket.priority::text, new_tier, reason, history_count),
            jsonb_build_object('kind', 'escalation_owner'), urgent => true);
        PERFORM support.client_message(ticket, 'escalation_notice');
        PERFORM support.alert(ticket, support.alert_channel(ticket), NULL,
            format('[Ticket #%s] escalated to tier %s', ticket.ticket_id, new_tier),
            format('#%s (%s) escalated to tier %s: %s. Owner: %s. %s', ticket.ticket_id,
                   ticket.priority::text, new_tier, reason,
                   COALESCE(owner.full_name, 'none on shift, waiting in the queue'), ticket.subject),
            jsonb_build_object('kind', 'escalation'));
    END IF;
    PERFORM set_config('support.change_reason', '', true);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.escalate_ticket(ticket support.tickets, reason text, as_of timestamp with time zone) IS 'moves a ticket one tier up to a fresh owner (or to executives from tier 3) and queues the owner''s, the client''s and the channel''s notices';
REVOKE ALL ON FUNCTION support.escalate_ticket(ticket support.tickets, reason text, as_of timestamp with time zone) FROM PUBLIC;

COMMENT ON FUNCTION support.pick_agent(tier smallint, skill text) IS 'the on-shift, active agent of the tier with the skill and the fewest open tickets, counting picks of transactions still running (then assigned longest ago, then lowest id); never locks an agent or waits for one; NULL when none is eligible';
COMMENT ON FUNCTION support.track_agent_load() IS 'moves a ticket between the agents'' loads when it changes hands or opens or closes: in an agent''s row no other transaction holds, else in support.agent_load_changes, never waiting';
COMMENT ON COLUMN support.agents.open_tickets IS 'open tickets assigned to this agent, written in place unless another transaction held the row then; with its rows of support.agent_load_changes (folded in by the worker), the load routing balances';
COMMENT ON COLUMN support.agents.last_assigned_at IS 'when this agent last got a new ticket (with the ledger''s, support.agent_load_changes): among equally loaded agents the one waiting longest goes first';

-- The outbox is delivered fairly (#23: one account's 10,000 webhooks held
-- up another's P1 alert for 115 s): urgent messages first, each class in
-- the places start-time fair queuing gives each account (src/send_order.c);
-- a retry joins the queue when it comes due.
ALTER TABLE support.outbound_messages
    ADD COLUMN urgent boolean DEFAULT false NOT NULL,
    ADD COLUMN send_order bigint;
COMMENT ON COLUMN support.outbound_messages.urgent IS 'an alert or a staff member''s escalation email: delivered before every other message (bulk: acknowledgments, client emails, webhooks)';
COMMENT ON COLUMN support.outbound_messages.send_order IS 'its place in the fair queue of its class (src/send_order.c: one account''s many messages do not hold up another''s); NULL while it waits for another attempt (next_attempt_at) or is being sent';
UPDATE support.outbound_messages SET urgent = true WHERE destination = 'slack';
DROP INDEX support.outbound_messages_due_idx;
CREATE INDEX outbound_messages_queue_idx ON support.outbound_messages USING btree (urgent DESC, send_order) WHERE ((state = 'pending'::text) AND (send_order IS NOT NULL));
CREATE INDEX outbound_messages_waiting_idx ON support.outbound_messages USING btree (next_attempt_at) WHERE ((state = 'pending'::text) AND (send_order IS NULL));
DROP FUNCTION support.queue_message(ticket support.tickets, destination text, target text, template text, subject text, body text, payload jsonb);
DROP FUNCTION support.claim_messages(max_messages integer, max_bytes bigint, lease_ms bigint, worker_started_at timestamp with time zone);
CREATE OR REPLACE FUNCTION support.queue_message(ticket support.tickets, destination text, target text, template text, subject text, body text, payload jsonb DEFAULT '{}'::jsonb, urgent boolean DEFAULT NULL::boolean) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- Slack alerts are urgent unless said otherwise; so are staff's escalation emails (their callers say so)
    is_urgent boolean := COALESCE(urgent, destination OPERATOR(pg_catalog.=) 'slack');
BEGIN
    IF target IS NULL THEN
        RETURN;                 -- nobody to tell (no assignee, no address)
    END IF;
    -- composed texts are cut to fit, never refused (src/text_bounds.c);
    -- Slack shows at most 40,000 characters of a message; its place in the
    -- fair queue of its class (src/send_order.c)
    INSERT INTO support.outbound_messages
           (account_id, ticket_id, destination, target, template, subject, body, payload, urgent, send_order)
    VALUES (ticket.account_id, ticket.ticket_id, destination, target, template,
            support.fit_text(subject, 998),
            support.fit_text(body, CASE WHEN destination OPERATOR(pg_catalog.=) 'slack' THEN 32768 ELSE 262144 END),
            jsonb_build_object('ticket_id', ticket.ticket_id, 'priority', ticket.priority::text,
                               'tier', ticket.tier, 'status', ticket.status::text)
            || COALESCE(payload, '{}'),
            is_urgent, support.next_send_order(ticket.account_id, is_urgent));
END $$;
COMMENT ON FUNCTION support.queue_message(ticket support.tickets, destination text, target text, template text, subject text, body text, payload jsonb, urgent boolean) IS 'puts one message about a ticket into the outbox, in the fair queue of its class (urgent: Slack alerts by default; nothing when the target is unknown)';
REVOKE ALL ON FUNCTION support.queue_message(ticket support.tickets, destination text, target text, template text, subject text, body text, payload jsonb, urgent boolean) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.next_send_order(account_id bigint, urgent boolean) RETURNS bigint
    LANGUAGE c AS 'MODULE_PATHNAME', 'next_send_order';
COMMENT ON FUNCTION support.next_send_order(account_id bigint, urgent boolean) IS 'the place of the account''s next message in the fair queue of its class (urgent or bulk): one after the later of the class''s clock and the account''s last place';
REVOKE ALL ON FUNCTION support.next_send_order(account_id bigint, urgent boolean) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.queue_due_messages() RETURNS bigint
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    WITH due AS (
        SELECT m.ctid AS row_id FROM support.outbound_messages m
         WHERE m.state = 'pending' AND m.send_order IS NULL AND m.next_attempt_at <= statement_timestamp()
         ORDER BY m.next_attempt_at
         LIMIT 10000
           FOR UPDATE SKIP LOCKED),
    queued AS (
        UPDATE support.outbound_messages m
           SET send_order = support.next_send_order(m.account_id, m.urgent)
          FROM due d
         WHERE m.ctid = d.row_id
        RETURNING 1)
    SELECT count(*) FROM queued
$$;
COMMENT ON FUNCTION support.queue_due_messages() IS 'the delivery worker''s: due messages waiting for another attempt join the fair queue, each behind its account''s messages of its class (at most 10,000 a call); returns how many';
REVOKE ALL ON FUNCTION support.queue_due_messages() FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.next_delivery() RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    -- a probe of each index: the fair queue (all due), and the messages
    -- waiting for another attempt; messages without an endpoint are parked
    SELECT CASE WHEN EXISTS (SELECT 1 FROM support.outbound_messages m
                              WHERE m.state = 'pending' AND m.send_order IS NOT NULL)
                THEN statement_timestamp()
                ELSE (SELECT m.next_attempt_at FROM support.outbound_messages m
                       WHERE m.state = 'pending' AND m.send_order IS NULL
                       ORDER BY m.next_attempt_at LIMIT 1) END
$$;
COMMENT ON FUNCTION support.next_delivery() IS 'when the delivery worker has its next message to send (NULL: none)';
REVOKE ALL ON FUNCTION support.next_delivery() FROM PUBLIC;
GRANT ALL ON FUNCTION support.next_delivery() TO support_manager;

CREATE OR REPLACE FUNCTION support.claim_messages(max_messages integer, max_bytes bigint, lease_ms bigint, worker_started_at timestamp with time zone) RETURNS TABLE(account_id bigint, message_id bigint, attempts integer, destination text, target text, idempotency_key text, url text, secret text, username text, sender text, content text, require_tls boolean, size bigint, urgent boolean, send_order bigint)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
BEGIN
    -- due messages waiting for another attempt join the queue first
    PERFORM support.queue_due_messages();
    -- The fair queue's next messages, urgent first, each class in its
    -- places (src/send_order.c), and a bounded batch more: those without an
    -- endpoint are parked (out of the queue's index, until an endpoint for
    -- them appears), so the next claim is again one index probe however many
    -- wait for endpoints that do not exist.
    -- The claimed messages leave the queue (send_order NULL) and wait for
    -- their outcome; the lease names the claiming worker's life: the next
    -- worker sends again, at its start, what this one had in flight
    -- (release_earlier_claims).
    -- The batch also stops at max_bytes of messages (at least one): what the
    -- worker holds in flight stays bounded whatever the messages hold.
    RETURN QUERY
    WITH candidates AS (
        SELECT m.ctid AS row_id, m.urgent, m.send_order,
               support.has_endpoint(m.destination, m.target) AS deliverable,
               m.body, m.subject, m.target, m.template, m.payload
          FROM support.outbound_messages m
         WHERE m.state = 'pending' AND m.send_order IS NOT NULL
         ORDER BY m.urgent DESC, m.send_order
         LIMIT max_messages + 1000
           FOR UPDATE SKIP LOCKED),
    parked AS (
        UPDATE support.outbound_messages m
           SET state = 'parked', last_error = 'no active endpoint for ' || m.destination || ' ' || m.target,
               claiming_worker_started_at = NULL, send_order = NULL
         WHERE m.ctid = ANY (ARRAY(SELECT c.row_id FROM candidates c WHERE NOT c.deliverable))
        RETURNING m.message_id),
    chosen AS (
        SELECT c.row_id, c.urgent, c.send_order
          FROM (SELECT c.row_id, c.urgent, c.send_order, row_number() OVER w AS n,
                       sum(support.message_size(c.body, c.subject, c.target, c.template, c.payload)) OVER w AS running
                  FROM candidates c WHERE c.deliverable
                WINDOW w AS (ORDER BY c.urgent DESC, c.send_order, c.row_id)) c
         WHERE c.n <= max_messages AND (c.n = 1 OR c.running <= max_bytes)),
    claimed AS (
        UPDATE support.outbound_messages m
           SET attempts = m.attempts + 1,
               next_attempt_at = clock_timestamp() + lease_ms * interval '1 millisecond',
               claiming_worker_started_at = worker_started_at,
               send_order = NULL
          FROM chosen h
         WHERE m.ctid = h.row_id
        RETURNING m.account_id, m.message_id, m.attempts, m.destination, m.target, m.idempotency_key,
                  m.subject, m.body, m.payload, m.ticket_id, m.template, m.created_at,
                  h.urgent, h.send_order)
    SELECT c.account_id, c.message_id, c.attempts, c.destination, c.target, c.idempotency_key,
           e.url, e.secret, e.username, e.sender,
           support.message_content(c.destination, c.target, c.subject, c.body, c.payload, c.idempotency_key,
                                   c.account_id, c.ticket_id, c.template, c.created_at, e.sender),
           NOT COALESCE(e.plain_text_on_loopback, false),
           support.message_size(c.body, c.subject, c.target, c.template, c.payload),
           c.urgent, c.send_order
      FROM claimed c
      LEFT JOIN LATERAL (
            SELECT * FROM support.delivery_endpoints e
             WHERE e.active AND e.destination = c.destination
               AND (c.destination = 'email' OR e.endpoint = c.target
                    OR (c.destination = 'slack' AND e.endpoint = '*'))
             ORDER BY e.endpoint = c.target DESC, e.endpoint
             LIMIT 1) e ON true
     ORDER BY c.urgent DESC, c.send_order;
END $$;
COMMENT ON FUNCTION support.claim_messages(max_messages integer, max_bytes bigint, lease_ms bigint, worker_started_at timestamp with time zone) IS 'the delivery worker''s claim: the fair queue''s next messages, urgent first (at most max_messages and, but for the first, max_bytes of them), locked (SKIP LOCKED), their attempt counted and leased to the worker started at worker_started_at, with their endpoint, content, whether SMTP must use TLS, their size, class and place; messages without an endpoint are parked';
REVOKE ALL ON FUNCTION support.claim_messages(max_messages integer, max_bytes bigint, lease_ms bigint, worker_started_at timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.unpark_deliverable_messages(OUT unparked bigint, OUT skipped bigint)
    LANGUAGE sql SET search_path = pg_catalog, pg_temp SET enable_seqscan = off SET jit = off AS $$
    WITH candidates AS (
        -- (LATERAL, kept a subquery by OFFSET 0: a probe of the parked index
        -- an endpoint, never a scan of every parked message)
        SELECT p.row_id
          FROM (SELECT DISTINCT e.destination, e.endpoint FROM support.delivery_endpoints e
                 WHERE e.active AND e.destination <> 'email' AND e.endpoint <> '*') e
         CROSS JOIN LATERAL (
               SELECT p.ctid AS row_id FROM support.outbound_messages p
                WHERE p.state = 'parked' AND p.destination = e.destination AND p.target = e.endpoint
                  AND support.has_endpoint(p.destination, p.target)
               OFFSET 0) p
        UNION
        -- (endpoints for a whole destination: email's, and Slack's '*')
        SELECT p.row_id
          FROM (SELECT DISTINCT e.destination FROM support.delivery_endpoints e
                 WHERE e.active AND (e.destination = 'email' OR (e.destination = 'slack' AND e.endpoint = '*'))) d
         CROSS JOIN LATERAL (
               SELECT p.ctid AS row_id FROM support.outbound_messages p
                WHERE p.state = 'parked' AND p.destination = d.destination
                  AND support.has_endpoint(p.destination, p.target)
               OFFSET 0) p),
    -- a row another transaction holds is skipped, never waited for, and
    -- counted: the delivery worker sweeps again until none is left
    -- (joined by ctid, not "ctid = ANY (array)", which is checked against the
    -- whole array for every row: hours for 300,000; a row updated since
    -- this statement's snapshot, locked in its new version, is missed here
    -- and counted as skipped)
    locked AS (
        SELECT m.ctid AS row_id
          FROM candidates c JOIN support.outbound_messages m ON m.ctid = c.row_id
         WHERE m.state = 'parked'
           FOR UPDATE OF m SKIP LOCKED),
    moved AS (
        UPDATE support.outbound_messages m
           SET state = 'pending', next_attempt_at = now(), last_error = NULL,
               send_order = support.next_send_order(m.account_id, m.urgent)
          FROM locked l
         WHERE m.ctid = l.row_id
        RETURNING 1)
    SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM candidates) - (SELECT count(*) FROM moved)
$$;
COMMENT ON FUNCTION support.unpark_deliverable_messages(OUT unparked bigint, OUT skipped bigint) IS 'moves the parked messages an active endpoint now serves back to pending, due now; returns how many, and how many it could not lock (held by another transaction)';
REVOKE ALL ON FUNCTION support.unpark_deliverable_messages(OUT unparked bigint, OUT skipped bigint) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.requeue_message(account_id bigint, message_id bigint) RETURNS support.outbound_messages
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    message support.outbound_messages;
BEGIN
    IF NOT COALESCE(support.current_is_manager(), false)
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                        WHERE r.rolname OPERATOR(pg_catalog.=) session_user AND (r.rolsuper OR r.rolbypassrls)) THEN
        RAISE EXCEPTION 'only a support manager may send a dead letter again'
              USING ERRCODE = 'insufficient_privilege', HINT = 'Set support.auth_key to a support manager''s key.';
    END IF;
    UPDATE support.outbound_messages m
       SET state = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL,
           send_order = support.next_send_order(m.account_id, m.urgent)
     WHERE m.account_id OPERATOR(pg_catalog.=) requeue_message.account_id
       AND m.message_id OPERATOR(pg_catalog.=) requeue_message.message_id
       AND m.state = 'dead'
    RETURNING m.* INTO message;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % of account % is not a dead letter', message_id, account_id
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Only messages in state dead can be sent again.';
    END IF;
    RETURN message;
END $$;
COMMENT ON FUNCTION support.requeue_message(account_id bigint, message_id bigint) IS 'sends a dead letter again, from its first attempt (after the receiver was fixed)';
REVOKE ALL ON FUNCTION support.requeue_message(account_id bigint, message_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION support.requeue_message(account_id bigint, message_id bigint) TO support_manager;


-- How often an account may page people (#23: a client opened war rooms at
-- will): war rooms a day unless staff decide it, the managers an hour for
-- its clients' escalation requests and complaints.
ALTER TABLE support.escalation_triggers
    ADD COLUMN war_rooms_a_day smallint DEFAULT 3 NOT NULL,
    ADD COLUMN client_pages_an_hour smallint DEFAULT 5 NOT NULL,
    ADD CONSTRAINT page_limits_are_not_negative CHECK (((war_rooms_a_day >= 0) AND (client_pages_an_hour >= 0)));
COMMENT ON TABLE support.escalation_triggers IS 'when a client''s dissatisfaction escalates a ticket, which priorities go to the executives from the top tier, and how often an account may page them and the managers (one row)';
COMMENT ON COLUMN support.escalation_triggers.war_rooms_a_day IS 'war rooms an account''s tickets may open in 24 hours without staff deciding it (the worker''s marks, a client''s dissatisfaction or revenue at risk); beyond it the escalation goes to the support managers, who may still escalate to the executives (support.escalate_to_executive)';
COMMENT ON COLUMN support.escalation_triggers.client_pages_an_hour IS 'times an account''s clients may page the support managers in an hour (escalation requests and dissatisfaction); beyond it each request or complaint is still recorded, acknowledged and escalated, and #support-escalations hears once that the limit was reached';
CREATE OR REPLACE FUNCTION support.war_room_limit_reached(ticket support.tickets, as_of timestamp with time zone) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    -- staff's own escalation, and a ticket whose room is open, are not limited
    SELECT support.current_key_kind() IS DISTINCT FROM 'agent'
       AND support.current_key_kind() IS DISTINCT FROM 'manager'
       AND NOT EXISTS (SELECT 1 FROM support.war_rooms w
                        WHERE w.account_id = ticket.account_id AND w.ticket_id = ticket.ticket_id)
       AND (SELECT count(*) FROM support.war_rooms w
             WHERE w.account_id = ticket.account_id AND w.opened_at > as_of - interval '1 day')
           >= (SELECT e.war_rooms_a_day FROM support.escalation_triggers e)
$$;
COMMENT ON FUNCTION support.war_room_limit_reached(ticket support.tickets, as_of timestamp with time zone) IS 'whether escalating the ticket from the top tier may not open a war room: its account opened support.escalation_triggers.war_rooms_a_day of them in the 24 hours before as_of, and no staff decided it';
REVOKE ALL ON FUNCTION support.war_room_limit_reached(ticket support.tickets, as_of timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.client_may_page(ticket support.tickets) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    pages bigint := (SELECT count(*) FROM support.tickets t
                      WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
                        AND (t.escalation_requested_at OPERATOR(pg_catalog.>) (now() OPERATOR(pg_catalog.-) interval '1 hour')
                             OR t.dissatisfaction_escalated_at OPERATOR(pg_catalog.>) (now() OPERATOR(pg_catalog.-) interval '1 hour')));
    page_limit smallint := (SELECT e.client_pages_an_hour FROM support.escalation_triggers e);
BEGIN
    IF pages OPERATOR(pg_catalog.<=) page_limit THEN
        RETURN true;
    END IF;
    IF pages OPERATOR(pg_catalog.=) (page_limit OPERATOR(pg_catalog.+) 1) THEN
        PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
            format('[Ticket #%s] client pages over the hourly limit', ticket.ticket_id),
            format('%s''s clients asked for escalations or complained on %s tickets in the last hour; the managers were paged for the first %s (support.escalation_triggers.client_pages_an_hour). The rest are recorded and escalated: see support.tickets.escalation_requested_at and dissatisfaction_escalated_at.',
                   (SELECT a.name FROM support.accounts a WHERE a.account_id OPERATOR(pg_catalog.=) ticket.account_id),
                   pages, page_limit),
            jsonb_build_object('kind', 'client_page_limit'));
    END IF;
    RETURN false;
END $$;
COMMENT ON FUNCTION support.client_may_page(ticket support.tickets) IS 'whether a client''s escalation request or complaint on the ticket may page the support managers: its account''s of the last hour are within support.escalation_triggers.client_pages_an_hour (the first over it alerts #support-escalations)';
REVOKE ALL ON FUNCTION support.client_may_page(ticket support.tickets) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.escalate_ticket(ticket support.tickets, reason text, as_of timestamp with time zone) RETURNS support.tickets
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- the next tier a manager has configured; none above: the executives
    new_tier smallint := (SELECT min(r.tier) FROM support.tiers r WHERE r.tier OPERATOR(pg_catalog.>) ticket.tier);
    owner_id bigint;
    owner support.agents;
    history_count bigint;
BEGIN
    PERFORM set_config('support.actor_id', '0', true),
            set_config('support.change_reason', 'escalated: ' || reason, true);
    IF new_tier IS NULL AND ticket.priority::text OPERATOR(pg_catalog.=) ANY
           ((SELECT e.executive_priorities FROM support.escalation_triggers e)::text[])
       AND NOT support.war_room_limit_reached(ticket, as_of) THEN
        -- "critical business impact": the executives
        UPDATE support.tickets t
           SET executive_escalated_at = COALESCE(t.executive_escalated_at, as_of), escalated_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        PERFORM support.open_war_room(ticket, reason, as_of);
    ELSIF new_tier IS NULL THEN
        -- the top tier already has it and the priority is not critical: the managers
        UPDATE support.tickets t SET escalated_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        PERFORM support.alert(ticket, support.alert_channel(ticket), NULL,
            format('[Ticket #%s] needs a manager', ticket.ticket_id),
            format('#%s (%s, tier %s, the top tier): %s. Managers told: %s. %s', ticket.ticket_id,
                   ticket.priority::text, ticket.tier, reason,
                   support.tell_staff(ticket, 'managers',
                       format('[Ticket #%s] - Needs a manager - %s', ticket.ticket_id, ticket.subject),
                       CASE WHEN support.war_room_limit_reached(ticket, as_of)
                            AND ticket.priority::text OPERATOR(pg_catalog.=) ANY
                                ((SELECT e.executive_priorities FROM support.escalation_triggers e)::text[])
                       THEN format('#%s (%s) is in the top tier and %s. Its account has opened as many war rooms in 24 hours as it may (support.escalation_triggers.war_rooms_a_day: %s): please decide whether the executives are needed (support.escalate_to_executive).',
                                   ticket.ticket_id, ticket.priority::text, reason,
                                   (SELECT e.war_rooms_a_day FROM support.escalation_triggers e))
                       ELSE format('#%s (%s) is in the top tier and %s. Executive escalation is for %s tickets (support.escalation_triggers.executive_priorities); please see to it.',
                                   ticket.ticket_id, ticket.priority::text, reason,
                                   array_to_string((SELECT e.executive_priorities FROM support.escalation_triggers e)::text[], ', ')) END,
                       'top_tier_escalation'),
                   ticket.subject),
            -- not 'escalation': an enterprise client's channel would read that
            -- the ticket moved to a new team, and it did not
            jsonb_build_object('kind', 'top_tier_escalation'));
    ELSE
        -- Triage's pick (src/assignment.c): the least-loaded eligible agent of the
        -- new tier, counting picks still in progress, never waiting for one
        owner_id := support.pick_agent(new_tier, (SELECT c.required_skill FROM support.categories c
                                                   WHERE c.category OPERATOR(pg_catalog.=) ticket.category));
        SELECT g.* INTO owner FROM support.agents g WHERE g.agent_id OPERATOR(pg_catalog.=) owner_id;
        IF owner.agent_id IS NOT NULL THEN
            -- (a change to fold, not an update: nobody's open transaction holds it up)
            INSERT INTO support.agent_load_changes (agent_id, open_tickets, assigned_at)
            VALUES (owner.agent_id, 0, as_of);
        END IF;
        UPDATE support.tickets t
           SET tier = new_tier, assignee_id = owner.agent_id, escalated_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        SELECT count(*) INTO history_count FROM support.ticket_events e
         WHERE e.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND e.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
        PERFORM support.queue_message(ticket, 'email', owner.email, NULL,
            format('[Ticket #%s] - Escalated to you - %s', ticket.ticket_id, ticket.subject),
            format(E'Ticket #%s (%s) was escalated to tier %s and is now yours: %s.\n'
                   'Its complete case history (%s events) is in support.ticket_events.',
                   ticket.ticket_id, ticket.priority::text, new_tier, reason, history_count),
            jsonb_build_object('kind', 'escalation_owner'), urgent => true);
        PERFORM support.client_message(ticket, 'escalation_notice');
        PERFORM support.alert(ticket, support.alert_channel(ticket), NULL,
            format('[Ticket #%s] escalated to tier %s', ticket.ticket_id, new_tier),
            format('#%s (%s) escalated to tier %s: %s. Owner: %s. %s', ticket.ticket_id,
                   ticket.priority::text, new_tier, reason,
                   COALESCE(owner.full_name, 'none on shift, waiting in the queue'), ticket.subject),
            jsonb_build_object('kind', 'escalation'));
    END IF;
    PERFORM set_config('support.change_reason', '', true);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.escalate_ticket(ticket support.tickets, reason text, as_of timestamp with time zone) IS 'moves a ticket one tier up to a fresh owner (or to executives from tier 3) and queues the owner''s, the client''s and the channel''s notices';
REVOKE ALL ON FUNCTION support.escalate_ticket(ticket support.tickets, reason text, as_of timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.escalate_for_dissatisfaction(ticket support.tickets, why text) RETURNS support.tickets
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    managers text;
    escalating boolean := ticket.status OPERATOR(pg_catalog.<>) 'closed';
BEGIN
    -- once per complaint the desk has not answered, on a closed ticket too
    IF ticket.dissatisfaction_escalated_at OPERATOR(pg_catalog.>=)
       COALESCE(ticket.last_public_reply_at, ticket.created_at) THEN
        RETURN ticket;
    END IF;
    IF ticket.status OPERATOR(pg_catalog.=) 'resolved' THEN
        PERFORM set_config('support.change_reason', 'reopened: the client is dissatisfied', true);
        UPDATE support.tickets t SET status = 'in_progress'
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
    END IF;
    UPDATE support.tickets t SET dissatisfaction_escalated_at = now()
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    IF escalating THEN
        ticket := support.escalate_ticket(ticket, 'the client is dissatisfied: ' || why, now());
    END IF;
    IF NOT support.client_may_page(ticket) THEN
        PERFORM support.add_event(ticket, 'escalation', NULL, 'internal',
            format('Client dissatisfied: %s. The managers were not paged: the account reached its hourly limit (support.escalation_triggers.client_pages_an_hour)', why),
            jsonb_build_object('trigger', 'dissatisfaction', 'escalated', escalating, 'paged', false));
        PERFORM set_config('support.change_reason', '', true);
        RETURN ticket;
    END IF;
    managers := support.tell_staff(ticket, 'managers',
        format('[Ticket #%s] - Dissatisfied client - %s', ticket.ticket_id, ticket.subject),
        format(E'The client is dissatisfied with #%s (%s, tier %s): %s.\n%s',
               ticket.ticket_id, ticket.priority::text, ticket.tier, why,
               CASE WHEN escalating THEN 'The ticket was escalated; please get in touch with the client.'
                    ELSE 'The ticket is closed; please get in touch with the client.' END),
        'dissatisfaction');
    PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
        format('[Ticket #%s] dissatisfied client', ticket.ticket_id),
        format('The client is dissatisfied with #%s (%s, tier %s): %s. Managers told: %s.',
               ticket.ticket_id, ticket.priority::text, ticket.tier, why, managers),
        jsonb_build_object('kind', 'dissatisfaction'));
    PERFORM support.add_event(ticket, 'escalation', NULL, 'internal',
        format('Client dissatisfied: %s. Managers told: %s', why, managers),
        jsonb_build_object('trigger', 'dissatisfaction', 'escalated', escalating));
    PERFORM set_config('support.change_reason', '', true);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.escalate_for_dissatisfaction(ticket support.tickets, why text) IS 'the handbook''s "client expresses dissatisfaction with progress": reopens a resolved ticket, escalates it and tells the support managers (a closed one: the managers only)';
REVOKE ALL ON FUNCTION support.escalate_for_dissatisfaction(ticket support.tickets, why text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.take_action(ticket support.tickets, action text, due timestamp with time zone, as_of timestamp with time zone) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    recorded_as support.worker_actions;
    recorded bigint;
    assignee support.agents;
    -- an escalation answers every escalation trigger that had passed by then
    answered boolean := action IN ('escalation_mark', 'no_progress', 'update_twice_overdue')
                        AND ticket.escalated_at OPERATOR(pg_catalog.>=) due;
    -- the review is set at the resolution and chased at its deadline
    review_chased boolean := action = 'post_incident_review' AND due OPERATOR(pg_catalog.>) ticket.resolved_at;
    people text;
    reminder_subject text;
    reminder_body text;
BEGIN
    SELECT * INTO recorded_as FROM support.worker_actions w
     WHERE w.action::text OPERATOR(pg_catalog.=) take_action.action;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown ticket action "%"', action
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Actions are the ones support.ticket_actions() lists.';
    END IF;
    IF action = 'auto_close' THEN
        RETURN support.close_after_verification(ticket);    -- a closed ticket is not closed again
    END IF;

    INSERT INTO support.ticket_events AS e
           (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, details, action_key)
    VALUES (ticket.account_id, ticket.ticket_id, recorded_as.event_kind,
            NULL, 'system', recorded_as.visibility,
            CASE WHEN answered THEN split_part(recorded_as.summary, ':', 1)
                                    || ': answered by the escalation already made'
                 WHEN review_chased THEN 'Post-incident review overdue: the executives and managers were reminded'
                 ELSE recorded_as.summary END,
            jsonb_build_object('action', action, 'due', due, 'acted_at', as_of,
                               'tier', ticket.tier, 'assignee_id', ticket.assignee_id)
            || CASE WHEN answered THEN jsonb_build_object('answered_by_escalation_at', ticket.escalated_at)
                    ELSE '{}' END,
            support.action_key(action, due))
    ON CONFLICT (account_id, ticket_id, action_key) WHERE action_key IS NOT NULL DO NOTHING
    RETURNING e.event_id INTO recorded;
    IF recorded IS NULL THEN
        RETURN false;           -- taken already, by this worker or another
    END IF;
    IF answered THEN
        RETURN true;
    END IF;

    CASE action
    WHEN 'escalation_mark' THEN
        PERFORM support.escalate_ticket(ticket, 'SLA breach imminent', as_of);
    WHEN 'no_progress' THEN
        PERFORM support.escalate_ticket(ticket, 'no progress within the tier''s escalation threshold', as_of);
    WHEN 'update_twice_overdue' THEN
        PERFORM support.escalate_ticket(ticket, 'update cadence missed twice', as_of);
    WHEN 'first_response_breach' THEN
        PERFORM support.record_breach(ticket, 'first_response', due);
    WHEN 'resolution_breach' THEN
        PERFORM support.record_breach(ticket, 'resolution', due);
    WHEN 'update_overdue' THEN
        PERFORM support.record_breach(ticket, 'next_update', due);
        SELECT * INTO assignee FROM support.agents g WHERE g.agent_id OPERATOR(pg_catalog.=) ticket.assignee_id;
        PERFORM support.queue_message(ticket,
            CASE WHEN assignee.agent_id IS NULL THEN 'slack' ELSE 'email' END,
            COALESCE(assignee.email, support.slack_channel('general')), NULL,
            format('[Ticket #%s] - Update overdue - %s', ticket.ticket_id, ticket.subject),
            format('The client was due an update on #%s (%s) at %s. Send one now (support.reply_publicly); a second missed update escalates the ticket.',
                   ticket.ticket_id, ticket.priority::text, support.client_time(ticket, due)),
            jsonb_build_object('kind', 'update_reminder'), urgent => true);
    WHEN 'escalation_call_overdue' THEN
        PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
            format('[Ticket #%s] escalation call overdue', ticket.ticket_id),
            format('The client asked for an escalation of #%s at %s; the call was due by %s and has not been recorded.',
                   ticket.ticket_id, support.client_time(ticket, ticket.escalation_requested_at),
                   support.client_time(ticket, due)),
            jsonb_build_object('kind', 'escalation_call_overdue'));
    WHEN 'post_incident_review' THEN
        IF review_chased THEN
            reminder_subject := format('[Ticket #%s] - Post-incident review overdue - %s', ticket.ticket_id, ticket.subject);
            reminder_body := format('The post-incident review of #%s was due at %s and is not recorded (support.record_post_incident_review).',
                                    ticket.ticket_id, support.client_time(ticket, due));
            people := support.tell_staff(ticket, 'executives', reminder_subject, reminder_body, 'post_incident_review_overdue')
                || ', ' || support.tell_staff(ticket, 'managers', reminder_subject, reminder_body, 'post_incident_review_overdue');
            PERFORM support.alert(ticket, support.slack_channel('critical'), NULL,
                format('[Ticket #%s] post-incident review overdue', ticket.ticket_id),
                format('The post-incident review of #%s was due at %s. Reminded: %s.',
                       ticket.ticket_id, support.client_time(ticket, due), people),
                jsonb_build_object('kind', 'post_incident_review_overdue'));
        ELSE
            people := support.tell_staff(ticket, 'executives',
                format('[Ticket #%s] - Post-incident review - %s', ticket.ticket_id, ticket.subject),
                format('#%s was resolved at %s. Its post-incident review and improvement plan are due by %s. Root cause: %s',
                       ticket.ticket_id, support.client_time(ticket, ticket.resolved_at),
                       support.client_time(ticket, ticket.resolved_at + (SELECT p.post_incident_review_within
                           FROM support.sla_policies p WHERE p.priority::text OPERATOR(pg_catalog.=) ticket.priority::text)),
                       COALESCE(ticket.root_cause, 'not recorded')), 'post_incident_review');
            PERFORM support.alert(ticket, support.slack_channel('critical'), NULL,
                format('[Ticket #%s] post-incident review', ticket.ticket_id),
                format('#%s, escalated to executives, was resolved at %s: schedule its post-incident review with %s. Root cause: %s',
                       ticket.ticket_id, support.client_time(ticket, ticket.resolved_at), people,
                       COALESCE(ticket.root_cause, 'not recorded')),
                jsonb_build_object('kind', 'post_incident_review'));
        END IF;
    WHEN 'follow_up' THEN
        PERFORM support.client_message(ticket, 'follow_up');
    END CASE;
    RETURN true;
END $$;
COMMENT ON FUNCTION support.take_action(ticket support.tickets, action text, due timestamp with time zone, as_of timestamp with time zone) IS 'takes one scheduled action on a locked ticket, once: false when the ledger shows it taken';
REVOKE ALL ON FUNCTION support.take_action(ticket support.tickets, action text, due timestamp with time zone, as_of timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.tell_staff(ticket support.tickets, audience text, subject text, body text, kind text) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    person support.agents;
    names text[] := '{}';
BEGIN
    IF audience IS NULL OR audience NOT IN ('managers', 'executives') THEN
        RAISE EXCEPTION 'unknown audience "%"', audience
              USING ERRCODE = 'invalid_parameter_value', HINT = 'Tell the managers or the executives.';
    END IF;
    FOR person IN SELECT g.* FROM support.agents g
                   WHERE g.active
                     AND CASE audience WHEN 'managers' THEN g.is_support_manager ELSE g.is_executive END
                   ORDER BY g.full_name LOOP
        PERFORM support.queue_message(ticket, 'email', person.email, NULL, subject, body,
                                      jsonb_build_object('kind', kind, 'audience', audience, 'agent_id', person.agent_id),
                                      urgent => true);
        names := names || person.full_name;
    END LOOP;
    RETURN COALESCE(NULLIF(array_to_string(names, ', '), ''),
                    CASE audience WHEN 'managers' THEN 'no support manager on record'
                                  ELSE 'no executive on record (support.agents.is_executive)' END);
END $$;
COMMENT ON FUNCTION support.tell_staff(ticket support.tickets, audience text, subject text, body text, kind text) IS 'emails every active support manager (audience managers) or executive (executives) about a ticket; returns their names for the alert';
REVOKE ALL ON FUNCTION support.tell_staff(ticket support.tickets, audience text, subject text, body text, kind text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.request_escalation(ticket_id bigint, user_id bigint, reason text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(request_escalation.ticket_id);
    policy support.sla_policies;
    call_pending boolean;
    paging boolean := false;
    managers text;
BEGIN
    PERFORM support.require_client(ticket.account_id, user_id);
    PERFORM support.require_text(reason, 'reason for the escalation');
    PERFORM support.require_open(ticket);
    SELECT * INTO policy FROM support.sla_policies p WHERE p.priority::text OPERATOR(pg_catalog.=) ticket.priority::text;
    call_pending := ticket.escalation_call_due IS NOT NULL AND ticket.escalation_call_held_at IS NULL;
    PERFORM support.set_actor(user_id, reason);
    -- a request while a call is pending is acknowledged again; the call stays
    IF NOT call_pending THEN
        UPDATE support.tickets t SET escalation_requested_at = now(), escalation_call_held_at = NULL
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        -- "involve appropriate management level": a call, and the support
        -- managers paged by name, as often as the account may page them
        -- (client_pages_an_hour); beyond that the request is recorded and
        -- acknowledged, and a manager decides
        paging := support.client_may_page(ticket);
        UPDATE support.tickets t
           SET escalation_call_due = CASE WHEN paging THEN now() + policy.escalation_call_within END
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
    END IF;
    PERFORM support.add_event(ticket, 'escalation', user_id, 'public', reason,
        jsonb_build_object('requested_by', 'client', 'call_due', ticket.escalation_call_due));
    PERFORM support.queue_message(ticket, 'email',
        (SELECT u.email FROM support.account_users u
          WHERE u.account_id OPERATOR(pg_catalog.=) ticket.account_id
            AND u.user_id OPERATOR(pg_catalog.=) request_escalation.user_id), NULL,
        format('[Ticket #%s] - Escalation received - %s', ticket.ticket_id, ticket.subject),
        CASE WHEN ticket.escalation_call_due IS NOT NULL
             THEN format(E'We have received your escalation request for ticket #%s.\n'
                         'A support manager will call you by %s with a detailed status and action plan, '
                         'and you will get an update at least every %s until the issue is resolved.',
                         ticket.ticket_id, support.client_time(ticket, ticket.escalation_call_due),
                         support.duration_in_words(LEAST(policy.escalated_update_cadence, policy.update_cadence)))
             ELSE format(E'We have received your escalation request for ticket #%s.\n'
                         'Your account has asked for several escalations within the hour; a support manager '
                         'will review them together and get back to you.', ticket.ticket_id) END,
        jsonb_build_object('kind', 'escalation_acknowledgment'));
    IF paging THEN
        managers := support.tell_staff(ticket, 'managers',
            format('[Ticket #%s] - Client escalation - %s', ticket.ticket_id, ticket.subject),
            format(E'The client escalated #%s (%s, tier %s): %s.\n'
                   'Call them by %s with a detailed status and action plan, then record the call (support.record_escalation_call).',
                   ticket.ticket_id, ticket.priority::text, ticket.tier, reason,
                   support.client_time(ticket, ticket.escalation_call_due)),
            'client_escalation');
        PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
            format('[Ticket #%s] client escalation', ticket.ticket_id),
            format('The client escalated #%s (%s, tier %s): %s. Escalation call due by %s. Managers told: %s.',
                   ticket.ticket_id, ticket.priority::text, ticket.tier, reason,
                   support.client_time(ticket, ticket.escalation_call_due), managers),
            jsonb_build_object('kind', 'client_escalation'));
    END IF;
    PERFORM support.set_actor(NULL);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.request_escalation(ticket_id bigint, user_id bigint, reason text) IS 'a client''s escalation request: acknowledged at once, an escalation call due within the policy''s escalation_call_within and the managers paged (at most support.escalation_triggers.client_pages_an_hour an account), updates on the enhanced cadence';


-- Nobody but a superuser holds the desk's tables or rows by hand, or
-- prepares a transaction that touched them (#23: src/lock_guard.c, in the
-- library). Staff send through the workflow: the outbox's rows are the
-- desk's own (an agent's raw row mailed any address from the desk's
-- sender, or carried the desk's webhook signature over any payload).
DROP POLICY agent_queues_messages ON support.outbound_messages;
REVOKE INSERT(account_id), INSERT(ticket_id), INSERT(destination), INSERT(target), INSERT(template),
       INSERT(subject), INSERT(body), INSERT(payload) ON TABLE support.outbound_messages FROM support_agent;
REVOKE USAGE ON SEQUENCE support.message_id_seq FROM support_manager, support_agent;

-- An endpoint's path on a shared host and its credentials are a DBA's, as
-- its host is; the audit names what changed (#23: a manager moved a Slack
-- endpoint to another workspace on hooks.slack.com).
CREATE OR REPLACE FUNCTION support.url_path(url text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN regexp_replace(url, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*'::text, ''::text);
COMMENT ON FUNCTION support.url_path(url text) IS 'what follows a URL''s origin: its path, query and fragment';
REVOKE ALL ON FUNCTION support.url_path(url text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.url_userinfo(url text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN "substring"(url, '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#@]*)@'::text);
COMMENT ON FUNCTION support.url_userinfo(url text) IS 'the credentials a URL carries before its host (NULL: none)';
REVOKE ALL ON FUNCTION support.url_userinfo(url text) FROM PUBLIC;

-- Hosts that serve many parties behind one name: there an endpoint's path
-- says whose it is (another Slack workspace is another path on
-- hooks.slack.com), so changing it is a superuser's, like its host.
CREATE TABLE support.shared_endpoint_hosts (
    host text NOT NULL,
    note text,
    CONSTRAINT shared_endpoint_hosts_pkey PRIMARY KEY (host),
    CONSTRAINT hosts_are_lower_case CHECK ((host = lower(host)))
);
ALTER TABLE support.shared_endpoint_hosts ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.shared_endpoint_hosts IS 'hosts shared by many parties (Slack, Microsoft Teams, Zapier, Discord): on them an endpoint''s path is as much a superuser''s to change as its host; a DBA edits the list';
GRANT SELECT ON TABLE support.shared_endpoint_hosts TO support_manager;
CREATE POLICY manager_reads_shared_hosts ON support.shared_endpoint_hosts
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));
SELECT pg_catalog.pg_extension_config_dump('support.shared_endpoint_hosts', '');
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.shared_endpoint_hosts FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('host');
INSERT INTO support.shared_endpoint_hosts (host, note) VALUES
    ('hooks.slack.com', 'Slack incoming webhooks: the path names the workspace and channel'),
    ('outlook.office.com', 'Microsoft Teams connectors'),
    ('webhook.office.com', 'Microsoft Teams connectors'),
    ('hooks.zapier.com', 'Zapier catch hooks'),
    ('discord.com', 'Discord webhooks'),
    ('discordapp.com', 'Discord webhooks');

CREATE FUNCTION support.is_shared_host(host text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    -- a listed host or any of its subdomains (<tenant>.webhook.office.com,
    -- canary.discord.com), with or without the DNS root's trailing dot
    SELECT EXISTS (SELECT 1 FROM support.shared_endpoint_hosts h
                    WHERE pg_catalog.rtrim(is_shared_host.host, '.') OPERATOR(pg_catalog.=) h.host
                       OR pg_catalog.right(pg_catalog.rtrim(is_shared_host.host, '.'),
                                           pg_catalog.length(h.host) OPERATOR(pg_catalog.+) 1)
                          OPERATOR(pg_catalog.=) ('.' OPERATOR(pg_catalog.||) h.host))
$$;
COMMENT ON FUNCTION support.is_shared_host(host text) IS 'whether a host is one of support.shared_endpoint_hosts or a subdomain of one';
REVOKE ALL ON FUNCTION support.is_shared_host(host text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.guard_endpoint_host() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    caller_is_superuser boolean := (SELECT r.rolsuper FROM pg_catalog.pg_roles r
                                     WHERE r.rolname OPERATOR(pg_catalog.=) support.calling_role());
    changed text[] := '{}';
    moved boolean;
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'delivery_endpoints', 'guard_endpoint_host');
    IF support.restoring() THEN
        RETURN CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN OLD ELSE NEW END;   -- a restore's rows, and its trail, as dumped
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
        -- a channel's own endpoint gone sends its messages to '*': a move too
        IF NOT COALESCE(caller_is_superuser, false) THEN
            RAISE EXCEPTION 'only a superuser may remove endpoint "%"', OLD.endpoint
                  USING ERRCODE = 'insufficient_privilege',
                        HINT = 'Set active = false to pause it; a DBA removes endpoints.';
        END IF;
        INSERT INTO support.security_audit (kind, changed_by, details)
        VALUES ('endpoint', support.current_user_id(),
                jsonb_build_object('endpoint', OLD.endpoint, 'operation', 'delete',
                                   'host', jsonb_build_array(support.url_host(OLD.url), NULL)));
        RETURN OLD;
    END IF;
    -- what changed, named (never the values of secrets)
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN
        changed := ARRAY(SELECT c.part FROM (VALUES
            ('endpoint', NEW.endpoint IS DISTINCT FROM OLD.endpoint),
            ('destination', NEW.destination IS DISTINCT FROM OLD.destination),
            ('url origin', support.url_origin(NEW.url) IS DISTINCT FROM support.url_origin(OLD.url)),
            ('url path', support.url_path(NEW.url) IS DISTINCT FROM support.url_path(OLD.url)),
            ('url credentials', support.url_userinfo(NEW.url) IS DISTINCT FROM support.url_userinfo(OLD.url)),
            ('secret', NEW.secret IS DISTINCT FROM OLD.secret),
            ('username', NEW.username IS DISTINCT FROM OLD.username),
            ('sender', NEW.sender IS DISTINCT FROM OLD.sender),
            ('event_kinds', NEW.event_kinds IS DISTINCT FROM OLD.event_kinds),
            ('active', NEW.active IS DISTINCT FROM OLD.active),
            ('plain_text_on_loopback', NEW.plain_text_on_loopback IS DISTINCT FROM OLD.plain_text_on_loopback)
            ) c(part, differs) WHERE c.differs);
    END IF;
    -- where it delivers and as whom is a superuser's: its origin (scheme,
    -- host and port: no downgrade to http, no other server); on a host many
    -- parties share (hooks.slack.com: another workspace), its path too; the
    -- credentials of an SMTP login or in a URL; a webhook's signing secret
    -- and a private host's token stay a manager's to rotate
    moved := TG_OP OPERATOR(pg_catalog.=) 'INSERT'
             OR changed && ARRAY['endpoint', 'destination', 'url origin', 'url credentials', 'plain_text_on_loopback']
             OR ('url path' OPERATOR(pg_catalog.=) ANY (changed)
                 AND support.is_shared_host(support.url_host(NEW.url)))
             OR (NEW.destination OPERATOR(pg_catalog.=) 'email'
                 AND changed && ARRAY['secret', 'username', 'sender']);
    IF moved AND NOT COALESCE(caller_is_superuser, false) THEN
        RAISE EXCEPTION 'only a superuser may set where endpoint "%" delivers (%) and as whom', NEW.endpoint, support.url_origin(NEW.url)
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'A support manager may pause an endpoint, choose its event kinds, rotate a webhook''s signing secret, and change the path of a URL on a host of its own; a DBA adds, renames and moves endpoints, and changes their credentials and paths on shared hosts (support.shared_endpoint_hosts).';
    END IF;
    INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
    VALUES ('endpoint', support.current_user_id(), NULL,
            jsonb_build_object('endpoint', NEW.endpoint, 'operation', pg_catalog.lower(TG_OP),
                               'host', jsonb_build_array(CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN support.url_host(OLD.url) END,
                                                         support.url_host(NEW.url)),
                               'changed', to_jsonb(changed),
                               'credentials_changed', changed && ARRAY['secret', 'username', 'url credentials']));
    RETURN NEW;
END $$;
COMMENT ON FUNCTION support.guard_endpoint_host() IS 'BEFORE INSERT, UPDATE OR DELETE trigger on support.delivery_endpoints: only a superuser adds, removes, renames or moves an endpoint, changes its credentials or its path on a shared host; every change is audited with what changed (never secrets)';
REVOKE ALL ON FUNCTION support.guard_endpoint_host() FROM PUBLIC;


-- A template is checked when written (#23: a manager's {{unsubscribe_link}}
-- stopped ticket creation); 1.0's templates are checked too, and one that
-- uses a placeholder the desk does not fill is reported, not changed.
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

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT template, support.template_unknown_variables(subject, template)
                              || support.template_unknown_variables(body, template) AS unknown
               FROM support.templates LOOP
        IF cardinality(t.unknown) > 0 THEN
            RAISE WARNING 'template "%" uses %, which the desk does not fill: they are sent empty until it is edited',
                          t.template, array_to_string(t.unknown, ', ');
        END IF;
    END LOOP;
END $$;
CREATE TRIGGER templates_are_filled BEFORE INSERT OR UPDATE ON support.templates FOR EACH ROW EXECUTE FUNCTION support.check_template();
ALTER TABLE support.templates ADD CONSTRAINT templates_are_at_most_64_kb CHECK (((octet_length(subject) <= 998) AND (octet_length(body) <= 65536) AND support.is_one_line(subject))) NOT VALID;
DO $$
BEGIN
    ALTER TABLE support.templates VALIDATE CONSTRAINT templates_are_at_most_64_kb;
EXCEPTION WHEN check_violation THEN
    RAISE WARNING 'a template from before 1.1 is over 64 kB or has a subject of more than one line: it must be shortened before it is next edited';
END $$;
COMMENT ON TABLE support.templates IS 'client communication templates with the handbook''s [placeholders], checked when written: each placeholder must be one the desk fills (support.template_variable_names)';

-- A client's Admin adds colleagues at the account's own mail domains, by
-- names that are names (#23: a "colleague" at an outside address, named
-- with a phishing text, got the desk's acknowledgment from support@).
ALTER TABLE support.accounts
    ADD COLUMN email_domains text[] DEFAULT '{}'::text[] NOT NULL,
    ADD CONSTRAINT email_domains_are_lower_case_names CHECK (((pg_catalog.array_to_string(email_domains, ' ') = lower(pg_catalog.array_to_string(email_domains, ' '))) AND (pg_catalog.array_position(email_domains, NULL::text) IS NULL)));
GRANT INSERT(email_domains),UPDATE(email_domains) ON TABLE support.accounts TO support_manager;
COMMENT ON COLUMN support.accounts.email_domains IS 'the mail domains of the account''s users: an Admin adds colleagues only at these (empty: at the Admin''s own); support managers set them';
CREATE OR REPLACE FUNCTION support.check_user_domain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    domain text := pg_catalog.lower(pg_catalog.split_part(NEW.email, '@', 2));
    domains text[];
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'account_users', 'check_user_domain');
    IF support.restoring() OR support.current_key_kind() IS DISTINCT FROM 'client' THEN
        RETURN NEW;             -- staff and a DBA's session add any address
    END IF;
    IF NOT COALESCE(support.is_email_address(NEW.email), false) THEN
        RETURN NEW;             -- not an address at all: emails_are_addresses says so
    END IF;
    SELECT a.email_domains INTO domains FROM support.accounts a
     WHERE a.account_id OPERATOR(pg_catalog.=) NEW.account_id;
    IF COALESCE(pg_catalog.cardinality(domains), 0) OPERATOR(pg_catalog.=) 0 THEN
        domains := ARRAY(SELECT pg_catalog.lower(pg_catalog.split_part(u.email, '@', 2)) FROM support.account_users u
                          WHERE u.account_id OPERATOR(pg_catalog.=) support.current_account_id()
                            AND u.user_id OPERATOR(pg_catalog.=) support.current_user_id());
    END IF;
    IF NOT COALESCE(domain OPERATOR(pg_catalog.=) ANY (domains), false) THEN
        RAISE EXCEPTION 'the users of account % have addresses at %, not at %', NEW.account_id,
                        pg_catalog.array_to_string(domains, ', '), domain
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'A support manager sets the account''s mail domains (support.accounts.email_domains).';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION support.check_user_domain() IS 'BEFORE INSERT OR UPDATE OF email trigger on support.account_users: a client''s key adds users only at the account''s mail domains (support.accounts.email_domains; none set: the Admin''s own)';
REVOKE ALL ON FUNCTION support.check_user_domain() FROM PUBLIC;

CREATE TRIGGER users_at_the_account_domains BEFORE INSERT OR UPDATE OF email ON support.account_users FOR EACH ROW EXECUTE FUNCTION support.check_user_domain();
COMMENT ON FUNCTION support.is_name(value text) IS 'whether value is a name someone is called by: one line of at most 200 characters, no control character, no markup (< >) or web address (://), not blank';

-- The second factor holds against the login service (#23): wrong codes
-- are counted per member of staff in shared memory and lock it
-- (src/second_factor.c; the worker audits them), and enrolling again
-- needs the current code or a superuser, audited.
ALTER TABLE support.assumption_policy
    ADD COLUMN second_factor_failures integer DEFAULT 5 NOT NULL,
    ADD COLUMN second_factor_lockout interval DEFAULT '00:15:00'::interval NOT NULL,
    ADD CONSTRAINT second_factor_lockouts_are_bounded CHECK (((second_factor_failures >= 1) AND (second_factor_failures <= 1000) AND (second_factor_lockout >= '00:01:00'::interval) AND (second_factor_lockout <= '7 days'::interval)));
COMMENT ON TABLE support.assumption_policy IS 'the handbook''s limits on keys and role assumption: idle timeout (2 hours), justification length, how long a manager''s approval lasts, longest key, and wrong one-time codes before a lockout';
COMMENT ON COLUMN support.assumption_policy.second_factor_failures IS 'wrong one-time codes in a row that lock a member of staff''s second factor (5)';
COMMENT ON COLUMN support.assumption_policy.second_factor_lockout IS 'how long such a lockout lasts (15 minutes; a superuser may enroll a new second factor sooner)';
ALTER TABLE support.staff_totp ADD COLUMN locked_until timestamp with time zone;
COMMENT ON COLUMN support.staff_totp.locked_until IS 'a lockout for wrong codes, as the worker wrote it down (the count itself is in shared memory): it outlives a restart';
-- Wrong codes are counted outside transactions (src/second_factor.c): a
-- wrong code's transaction fails, so the worker writes down what happened.
CREATE FUNCTION support.check_second_factor(agent_id bigint, secret bytea, code text, last_step bigint, locked_until timestamp with time zone, max_failures integer, lockout interval) RETURNS bigint
    LANGUAGE c AS 'MODULE_PATHNAME', 'check_second_factor';
COMMENT ON FUNCTION support.check_second_factor(agent_id bigint, secret bytea, code text, last_step bigint, locked_until timestamp with time zone, max_failures integer, lockout interval) IS 'the time step of a right one-time code after last_step; a wrong one is counted and refused (28P01), the max_failures-th in a row locks the second factor for lockout, and while it is locked every code is refused (28000)';
REVOKE ALL ON FUNCTION support.check_second_factor(agent_id bigint, secret bytea, code text, last_step bigint, locked_until timestamp with time zone, max_failures integer, lockout interval) FROM PUBLIC;

CREATE FUNCTION support.forget_second_factor_failures(agent_id bigint) RETURNS void
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'forget_second_factor_failures';
COMMENT ON FUNCTION support.forget_second_factor_failures(agent_id bigint) IS 'a new second factor starts with no wrong codes and no lockout';
REVOKE ALL ON FUNCTION support.forget_second_factor_failures(agent_id bigint) FROM PUBLIC;

CREATE FUNCTION support.take_second_factor_events() RETURNS TABLE(agent_id bigint, wrong_codes integer, first_at timestamp with time zone, last_at timestamp with time zone, refused_while_locked integer, locked_until timestamp with time zone)
    LANGUAGE c AS 'MODULE_PATHNAME', 'take_second_factor_events';
COMMENT ON FUNCTION support.take_second_factor_events() IS 'what happened to second factors that the audit does not say yet, taken to be recorded (given back if the transaction aborts)';
REVOKE ALL ON FUNCTION support.take_second_factor_events() FROM PUBLIC;

CREATE FUNCTION support.record_second_factor_events() RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    e record;
    recorded integer := 0;
BEGIN
    FOR e IN SELECT * FROM support.take_second_factor_events() LOOP
        IF e.wrong_codes OPERATOR(pg_catalog.>) 0 OR e.refused_while_locked OPERATOR(pg_catalog.>) 0 THEN
            INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
            VALUES ('second_factor', NULL, e.agent_id,
                    jsonb_build_object('operation', 'codes_refused', 'wrong_codes', e.wrong_codes,
                                       'refused_while_locked', e.refused_while_locked,
                                       'first_at', e.first_at, 'last_at', e.last_at));
            recorded := recorded OPERATOR(pg_catalog.+) 1;
        END IF;
        IF e.locked_until IS NOT NULL THEN
            INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
            VALUES ('second_factor', NULL, e.agent_id,
                    jsonb_build_object('operation', 'locked_out', 'until', e.locked_until));
            -- (a second factor enrolled since those codes is not locked by them)
            UPDATE support.staff_totp t
               SET locked_until = GREATEST(t.locked_until, e.locked_until)
             WHERE t.agent_id OPERATOR(pg_catalog.=) e.agent_id
               AND t.enrolled_at OPERATOR(pg_catalog.<=) COALESCE(e.last_at, e.first_at, e.locked_until);
            recorded := recorded OPERATOR(pg_catalog.+) 1;
        END IF;
    END LOOP;
    RETURN recorded;
END $$;
COMMENT ON FUNCTION support.record_second_factor_events() IS 'the desk''s worker''s sweep: wrong one-time codes and lockouts into support.security_audit (kind second_factor), and each lockout into support.staff_totp.locked_until; the number of audit rows written';
REVOKE ALL ON FUNCTION support.record_second_factor_events() FROM PUBLIC;

DROP FUNCTION support.enroll_totp(agent_id bigint);
CREATE FUNCTION support.enroll_totp(agent_id bigint, current_code text DEFAULT NULL) RETURNS bytea
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    secret bytea := decode(substr(support.new_auth_key(), 5, 40), 'hex');   -- 160 random bits
    enrolled support.staff_totp;
    limits support.assumption_policy := (SELECT p FROM support.assumption_policy p);
    proof text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM support.agents g
                    WHERE g.agent_id OPERATOR(pg_catalog.=) enroll_totp.agent_id AND g.active) THEN
        RAISE EXCEPTION 'user % is not an active member of support staff', agent_id
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Second factors are enrolled for support.agents.';
    END IF;
    SELECT * INTO enrolled FROM support.staff_totp t
     WHERE t.agent_id OPERATOR(pg_catalog.=) enroll_totp.agent_id FOR UPDATE;
    IF FOUND THEN
        IF current_code IS NOT NULL THEN
            PERFORM support.check_second_factor(agent_id, enrolled.secret, current_code, enrolled.last_step,
                                                COALESCE(enrolled.locked_until, '-infinity'),
                                                limits.second_factor_failures, limits.second_factor_lockout);
            proof := 'current code';
        ELSIF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) support.calling_role()) THEN
            proof := 'superuser';
            PERFORM support.forget_second_factor_failures(agent_id);
        ELSE
            RAISE EXCEPTION 'user % already has a second factor', agent_id
                  USING ERRCODE = 'invalid_authorization_specification',
                        HINT = 'Enrolling a new one needs the current code (support.enroll_totp(agent_id, current_code)) or a superuser.';
        END IF;
    END IF;
    INSERT INTO support.staff_totp AS t (agent_id, secret) VALUES (enroll_totp.agent_id, secret)
    ON CONFLICT ON CONSTRAINT staff_totp_pkey
    DO UPDATE SET secret = EXCLUDED.secret, last_step = 0, enrolled_at = now(), locked_until = NULL;
    INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
    VALUES ('second_factor', support.current_user_id(), agent_id,
            jsonb_strip_nulls(jsonb_build_object('operation', CASE WHEN proof IS NULL THEN 'enrolled' ELSE 're-enrolled' END,
                                                 'proof', proof)));
    RETURN secret;
END $$;
COMMENT ON FUNCTION support.enroll_totp(agent_id bigint, current_code text) IS 'the login service''s call: a new 160-bit TOTP secret for a member of staff, returned once (for the authenticator''s QR code); replacing one needs its current code or a superuser; audited';
REVOKE ALL ON FUNCTION support.enroll_totp(agent_id bigint, current_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION support.enroll_totp(agent_id bigint, current_code text) TO support_login;

CREATE OR REPLACE FUNCTION support.issue_key(user_id bigint, valid_for interval DEFAULT '08:00:00'::interval, totp_code text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    client support.account_users;
    agent support.agents;
    enrolled support.staff_totp;
    step bigint;
    limits support.assumption_policy := (SELECT p FROM support.assumption_policy p);
    new_key text := support.new_auth_key();
BEGIN
    IF valid_for IS NULL OR valid_for <= interval '0' OR valid_for > limits.max_key_lifetime THEN
        RAISE EXCEPTION 'a key is valid for more than 0 and at most %, not %', limits.max_key_lifetime, valid_for
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'support.assumption_policy.max_key_lifetime sets the limit.';
    END IF;
    SELECT * INTO agent FROM support.agents g WHERE g.agent_id OPERATOR(pg_catalog.=) issue_key.user_id;
    IF NOT FOUND THEN
        SELECT * INTO client FROM support.account_users u WHERE u.user_id OPERATOR(pg_catalog.=) issue_key.user_id;
    END IF;
    IF NOT COALESCE(agent.active, client.active, false) THEN
        RAISE EXCEPTION 'user % is not an active user', user_id
              USING ERRCODE = 'invalid_authorization_specification',
                    HINT = 'Keys are issued to active account users (support.account_users) and staff (support.agents).';
    END IF;
    IF totp_code IS NOT NULL THEN
        SELECT * INTO enrolled FROM support.staff_totp t
         WHERE t.agent_id OPERATOR(pg_catalog.=) issue_key.user_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'user % has no second factor enrolled', user_id
                  USING ERRCODE = 'invalid_authorization_specification',
                        HINT = 'Enrol staff with support.enroll_totp(agent_id).';
        END IF;
        step := support.check_second_factor(issue_key.user_id, enrolled.secret, totp_code, enrolled.last_step,
                                            COALESCE(enrolled.locked_until, '-infinity'),
                                            limits.second_factor_failures, limits.second_factor_lockout);
        UPDATE support.staff_totp t SET last_step = step WHERE t.agent_id OPERATOR(pg_catalog.=) issue_key.user_id;
    END IF;
    INSERT INTO support.auth_keys (key_hash, user_id, account_id, expires_at, second_factor_at)
    VALUES (support.auth_key_hash(new_key), issue_key.user_id, client.account_id, now() + valid_for,
            CASE WHEN totp_code IS NOT NULL THEN now() END);
    RETURN new_key;
END $$;
COMMENT ON FUNCTION support.issue_key(user_id bigint, valid_for interval, totp_code text) IS 'the login service''s call: a new key for an active user, valid for valid_for; staff may prove a second factor with totp_code (wrong codes are counted and lock it: support.assumption_policy). Shown once, stored as a hash';
REVOKE ALL ON FUNCTION support.issue_key(user_id bigint, valid_for interval, totp_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION support.issue_key(user_id bigint, valid_for interval, totp_code text) TO support_login;

COMMENT ON FUNCTION support.issue_key(user_id bigint, valid_for interval, totp_code text) IS 'the login service''s call: a new key for an active user, valid for valid_for; staff may prove a second factor with totp_code (wrong codes are counted and lock it: support.assumption_policy). Shown once, stored as a hash';

-- The desk's settings count only when set for the transaction (#23: a
-- plain SET support.change_reason on a pooled connection landed in the
-- next client's public history; src/transaction_settings.c).
CREATE FUNCTION support.change_reason() RETURNS text
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'change_reason';
COMMENT ON FUNCTION support.change_reason() IS 'support.change_reason when this transaction set it (SET LOCAL, set_config(..., true), a default, or a superuser''s session); else NULL, with a warning';
REVOKE ALL ON FUNCTION support.change_reason() FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.log_ticket_changes() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    actor bigint := support.current_actor_id();
    reason text := support.change_reason();
    acting_kind support.actor_kind := support.actor_kind_of(actor);
BEGIN
    INSERT INTO support.ticket_events
           (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, old_value, new_value)
    SELECT n.account_id, n.ticket_id, change.kind, actor, acting_kind,
           change.visibility, reason, change.old_value, change.new_value
      FROM new_tickets n
      JOIN old_tickets o ON o.account_id OPERATOR(pg_catalog.=) n.account_id
                        AND o.ticket_id OPERATOR(pg_catalog.=) n.ticket_id
     CROSS JOIN LATERAL (VALUES
            ('status_change'::support.event_kind, 'public'::support.visibility, o.status::text, n.status::text),
            ('priority_change', 'public', o.priority::text, n.priority::text),
            ('tier_change', 'internal', o.tier::text, n.tier::text),
            ('assignee_change', 'internal', o.assignee_id::text, n.assignee_id::text))
            AS change(kind, visibility, old_value, new_value)
     WHERE change.old_value IS DISTINCT FROM change.new_value
     ORDER BY n.ticket_id, change.kind;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.log_ticket_changes() IS 'records status, priority, tier and assignee changes as events, with the actor (support.actor_id) and reason (support.change_reason)';
REVOKE ALL ON FUNCTION support.log_ticket_changes() FROM PUBLIC;


-- Smaller (#23): a client's key learns nothing of another account's users
-- from require_client; the groups draw only from the sequences of the
-- tables they insert into.
CREATE OR REPLACE FUNCTION support.require_client(account_id bigint, user_id bigint) RETURNS support.account_users
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    client_user support.account_users;
BEGIN
    -- a client's key learns nothing of another account's users: one answer for all of them
    IF support.current_key_kind() OPERATOR(pg_catalog.=) 'client'
       AND support.current_account_id() IS DISTINCT FROM require_client.account_id THEN
        client_user := NULL;
    ELSE
        SELECT * INTO client_user FROM support.account_users u
         WHERE u.account_id OPERATOR(pg_catalog.=) require_client.account_id
           AND u.user_id OPERATOR(pg_catalog.=) require_client.user_id;
    END IF;
    IF client_user.user_id IS NULL OR NOT client_user.active THEN
        RAISE EXCEPTION 'user % is not an active user of account %', user_id, account_id
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Clients act only on their own account''s tickets.';
    END IF;
    IF support.current_user_id() OPERATOR(pg_catalog.=) user_id
       AND client_user.role OPERATOR(pg_catalog.=) 'reporting_manager' THEN
        RAISE EXCEPTION 'a Reporting Manager has read-only access to tickets'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'An Admin or Campaign Manager of the account can do this.';
    END IF;
    RETURN client_user;
END $$;
COMMENT ON FUNCTION support.require_client(account_id bigint, user_id bigint) IS 'the active user of that account; 42501 otherwise, in the same words for every user of another account when asked with a client''s key';
REVOKE ALL ON FUNCTION support.require_client(account_id bigint, user_id bigint) FROM PUBLIC;

COMMENT ON FUNCTION support.require_client(account_id bigint, user_id bigint) IS 'the active user of that account; 42501 otherwise, in the same words for every user of another account when asked with a client''s key';
REVOKE USAGE ON SEQUENCE support.auth_key_id_seq, support.sla_event_id_seq, support.approval_id_seq, support.audit_id_seq FROM support_manager;
REVOKE USAGE ON SEQUENCE support.user_id_seq FROM support_agent;

-- A restore brings every table back exactly, the trails included (#23:
-- restoring agents fired the audit triggers, and pg_restore failed on a
-- duplicate audit row); keys are dumped too, as their trail refers to them.
CREATE OR REPLACE FUNCTION support.audit_account_sensitivity() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'accounts', 'audit_account_sensitivity');
    IF support.restoring() THEN
        RETURN NULL;            -- a restore brings the trail back as it was dumped
    END IF;
    INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
    VALUES ('account_sensitivity', support.current_user_id(), NEW.account_id,
            jsonb_build_object('sensitive', jsonb_build_array(OLD.sensitive, NEW.sensitive)));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.audit_account_sensitivity() IS 'AFTER UPDATE trigger on support.accounts: a change of an account''s sensitive flag goes to support.security_audit';
REVOKE ALL ON FUNCTION support.audit_account_sensitivity() FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.audit_assumption_policy() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'assumption_policy', 'audit_assumption_policy');
    IF support.restoring() THEN
        RETURN NULL;            -- a restore brings the trail back as it was dumped
    END IF;
    INSERT INTO support.security_audit (kind, changed_by, details)
    VALUES ('assumption_policy', support.current_user_id(),
            jsonb_build_object('old', pg_catalog.to_jsonb(OLD), 'new', pg_catalog.to_jsonb(NEW)));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.audit_assumption_policy() IS 'AFTER INSERT, UPDATE OR DELETE trigger on support.assumption_policy: a change of the assumption limits goes to support.security_audit';
REVOKE ALL ON FUNCTION support.audit_assumption_policy() FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.audit_staff_rights() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'agents', 'audit_staff_rights');
    IF support.restoring() THEN
        RETURN NULL;            -- a restore brings the trail back as it was dumped
    END IF;
    -- before and after: [old, new], NULL where the row did not exist
    INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
    VALUES ('staff_rights', support.current_user_id(), COALESCE(NEW.agent_id, OLD.agent_id),
            jsonb_build_object(
                'super_user', jsonb_build_array(OLD.is_super_user, NEW.is_super_user),
                'manager', jsonb_build_array(OLD.is_support_manager, NEW.is_support_manager),
                'active', jsonb_build_array(OLD.active, NEW.active)));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.audit_staff_rights() IS 'AFTER INSERT, UPDATE OR DELETE trigger on support.agents: a super-user or manager right granted, taken or deleted, or such staff (de)activated, goes to support.security_audit';
REVOKE ALL ON FUNCTION support.audit_staff_rights() FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.end_assumptions_of_former_super_users() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ended support.auth_keys;
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'agents', 'end_assumptions_of_former_super_users');
    IF support.restoring() THEN
        RETURN NULL;            -- a restore brings the trail back as it was dumped
    END IF;
    FOR ended IN
        UPDATE support.auth_keys k
           SET revoked_at = now(), revoke_reason = 'the super user is no longer an active super user'
         WHERE k.assumed_by OPERATOR(pg_catalog.=) NEW.agent_id AND k.revoked_at IS NULL
        RETURNING k.* LOOP
        PERFORM support.audit_release(ended, 'expired', ended.revoke_reason);
    END LOOP;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.end_assumptions_of_former_super_users() IS 'AFTER UPDATE trigger on support.agents: a super user deactivated or stripped of the role loses every assumption at once, audited';
REVOKE ALL ON FUNCTION support.end_assumptions_of_former_super_users() FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('support.auth_keys', '');

-- The B-tree operator classes declare that equal values are equal images,
-- so indexes on priorities, statuses and the other enums deduplicate (#23).
DO $$
DECLARE
    opclass record;
BEGIN
    FOR opclass IN SELECT c.opcname, c.opcintype::regtype AS type_name FROM pg_opclass c
                    WHERE c.opcnamespace = 'support'::regnamespace
                      AND c.opcmethod = (SELECT oid FROM pg_am WHERE amname = 'btree') LOOP
        EXECUTE format('ALTER OPERATOR FAMILY support.%I USING btree ADD FUNCTION 4 (%s, %s) pg_catalog.btequalimage(oid)',
                       opclass.opcname, opclass.type_name, opclass.type_name);
    END LOOP;
END $$;

-- Each function's volatility and parallel safety say what it does (#23):
-- the read-only ones are PARALLEL SAFE; a backend's own counter is RESTRICTED.
ALTER FUNCTION support.require_text(text,text) PARALLEL SAFE;
ALTER FUNCTION support.require_trigger_table(name,name,name,text) PARALLEL SAFE;
ALTER FUNCTION support.key_user_id() PARALLEL SAFE;
ALTER FUNCTION support.calling_role() PARALLEL SAFE;
ALTER FUNCTION support.slack_channel(text) PARALLEL SAFE;
ALTER FUNCTION support.list_accounts_and_users() PARALLEL SAFE;
ALTER FUNCTION support.require_acting_user(bigint) PARALLEL SAFE;
ALTER FUNCTION support.require_agent(bigint) PARALLEL SAFE;
ALTER FUNCTION support.require_client(bigint,bigint) PARALLEL SAFE;
ALTER FUNCTION support.require_super_user() PARALLEL SAFE;
ALTER FUNCTION support.change_reason() PARALLEL SAFE;
ALTER FUNCTION support.require_not_closed(support.tickets) PARALLEL SAFE;
ALTER FUNCTION support.require_open(support.tickets) PARALLEL SAFE;
ALTER FUNCTION support.war_room_limit_reached(support.tickets,timestamp with time zone) PARALLEL SAFE;
ALTER FUNCTION support.next_action_time() PARALLEL SAFE;
ALTER FUNCTION support.ticket_actions(support.tickets) PARALLEL SAFE;
ALTER FUNCTION support.dissatisfaction_rule(text) PARALLEL SAFE;
ALTER FUNCTION support.alert_channel(support.tickets) PARALLEL SAFE;
ALTER FUNCTION support.client_safe_alert(support.tickets,text) PARALLEL SAFE;
ALTER FUNCTION support.client_time(support.tickets,timestamp with time zone) PARALLEL SAFE;
ALTER FUNCTION support.template_variables(support.tickets) PARALLEL SAFE;
ALTER FUNCTION support.has_endpoint(text,text) PARALLEL SAFE;
ALTER FUNCTION support.message_content(text, text, text, text, jsonb, text, bigint, bigint, text, timestamp with time zone, text) PARALLEL SAFE;
ALTER FUNCTION support.next_delivery() PARALLEL SAFE;
ALTER FUNCTION support.active_assumptions() PARALLEL SAFE;
ALTER FUNCTION support.assumption_end_reason(support.auth_keys) PARALLEL SAFE;
ALTER FUNCTION support.recent_power_changers(bigint) PARALLEL SAFE;
ALTER FUNCTION support.auth_key_lookups() PARALLEL RESTRICTED;
COMMENT ON FUNCTION support.auth_key_lookups() IS 'how many times this backend has looked a key up: once per transaction and key, however many rows the policies check (this backend''s count: parallel restricted)';

-- The event trigger costs DDL outside the desk a look at the statement
-- (#23: it ran a query on every ALTER TABLE in the database).
CREATE FUNCTION support.record_trail_commands() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    command record;
    recorded integer := 0;
    trails oid[] := ARRAY['support.assumption_audit'::regclass, 'support.security_audit'::regclass,
                          'support.ticket_events'::regclass, 'support.sla_events'::regclass]::oid[];
BEGIN
    IF support.restoring() THEN
        RETURN 0;               -- a restore's own statements are not a bypass
    END IF;
    FOR command IN
        -- the trail's own changes, and its triggers' and policies'
        SELECT c.command_tag, c.object_identity FROM pg_catalog.pg_event_trigger_ddl_commands() c
         WHERE CASE c.classid
                 WHEN 'pg_catalog.pg_class'::regclass THEN c.objid
                 WHEN 'pg_catalog.pg_trigger'::regclass THEN
                     (SELECT t.tgrelid FROM pg_catalog.pg_trigger t WHERE t.oid OPERATOR(pg_catalog.=) c.objid)
                 WHEN 'pg_catalog.pg_policy'::regclass THEN
                     (SELECT p.polrelid FROM pg_catalog.pg_policy p WHERE p.oid OPERATOR(pg_catalog.=) c.objid)
               END OPERATOR(pg_catalog.=) ANY (trails)
    LOOP
        INSERT INTO support.security_audit (kind, changed_by, details)
        VALUES ('bypass', support.current_user_id(),
                jsonb_build_object('command', command.command_tag, 'object', command.object_identity,
                                   'statement', pg_catalog.current_query()));
        recorded := recorded OPERATOR(pg_catalog.+) 1;
    END LOOP;
    RETURN recorded;
END $$;
COMMENT ON FUNCTION support.record_trail_commands() IS 'the event trigger''s query: the commands of this DDL statement on the trails, recorded in support.security_audit; how many';
REVOKE ALL ON FUNCTION support.record_trail_commands() FROM PUBLIC;

CREATE FUNCTION support.record_trail_drops() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    dropped record;
    recorded integer := 0;
BEGIN
    IF support.restoring() THEN
        RETURN 0;
    END IF;
    FOR dropped IN
        SELECT d.object_type, d.object_identity FROM pg_catalog.pg_event_trigger_dropped_objects() d
         WHERE d.object_type OPERATOR(pg_catalog.=) ANY (ARRAY['trigger', 'policy'])
           AND d.address_names[1] OPERATOR(pg_catalog.=) 'support'
           AND d.address_names[2] OPERATOR(pg_catalog.=) ANY (ARRAY['assumption_audit', 'security_audit', 'ticket_events', 'sla_events'])
    LOOP
        INSERT INTO support.security_audit (kind, changed_by, details)
        VALUES ('bypass', support.current_user_id(),
                jsonb_build_object('command', 'DROP ' OPERATOR(pg_catalog.||) pg_catalog.upper(dropped.object_type),
                                   'object', dropped.object_identity, 'statement', pg_catalog.current_query()));
        recorded := recorded OPERATOR(pg_catalog.+) 1;
    END LOOP;
    RETURN recorded;
END $$;
COMMENT ON FUNCTION support.record_trail_drops() IS 'the drop event trigger''s query: a trail''s triggers and policies dropped by this statement, recorded in support.security_audit; how many';
REVOKE ALL ON FUNCTION support.record_trail_drops() FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.record_trail_bypass() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'record_trail_bypass';
COMMENT ON FUNCTION support.record_trail_bypass() IS 'event trigger: DDL on the trails (disabling their triggers or row-level security, say) is recorded in support.security_audit; DDL elsewhere costs a look at the statement';

-- Dropping a trail's trigger or policy is recorded too (#23).
CREATE EVENT TRIGGER bedrock_support_trail_drops ON sql_drop
         WHEN TAG IN ('DROP TRIGGER', 'DROP POLICY')
   EXECUTE FUNCTION support.record_trail_bypass();
CREATE OR REPLACE FUNCTION support.is_shared_host(host text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    -- a listed host or any of its subdomains (<tenant>.webhook.office.com,
    -- canary.discord.com), with or without the DNS root's trailing dot
    SELECT EXISTS (SELECT 1 FROM support.shared_endpoint_hosts h
                    WHERE pg_catalog.rtrim(is_shared_host.host, '.') OPERATOR(pg_catalog.=) h.host
                       OR pg_catalog.right(pg_catalog.rtrim(is_shared_host.host, '.'),
                                           pg_catalog.length(h.host) OPERATOR(pg_catalog.+) 1)
                          OPERATOR(pg_catalog.=) ('.' OPERATOR(pg_catalog.||) h.host))
$$;
COMMENT ON FUNCTION support.is_shared_host(host text) IS 'whether a host is one of support.shared_endpoint_hosts or a subdomain of one';
REVOKE ALL ON FUNCTION support.is_shared_host(host text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.guard_endpoint_host() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    caller_is_superuser boolean := (SELECT r.rolsuper FROM pg_catalog.pg_roles r
                                     WHERE r.rolname OPERATOR(pg_catalog.=) support.calling_role());
    changed text[] := '{}';
    moved boolean;
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'delivery_endpoints', 'guard_endpoint_host');
    IF support.restoring() THEN
        RETURN CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN OLD ELSE NEW END;   -- a restore's rows, and its trail, as dumped
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
        -- a channel's own endpoint gone sends its messages to '*': a move too
        IF NOT COALESCE(caller_is_superuser, false) THEN
            RAISE EXCEPTION 'only a superuser may remove endpoint "%"', OLD.endpoint
                  USING ERRCODE = 'insufficient_privilege',
                        HINT = 'Set active = false to pause it; a DBA removes endpoints.';
        END IF;
        INSERT INTO support.security_audit (kind, changed_by, details)
        VALUES ('endpoint', support.current_user_id(),
                jsonb_build_object('endpoint', OLD.endpoint, 'operation', 'delete',
                                   'host', jsonb_build_array(support.url_host(OLD.url), NULL)));
        RETURN OLD;
    END IF;
    -- what changed, named (never the values of secrets)
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN
        changed := ARRAY(SELECT c.part FROM (VALUES
            ('endpoint', NEW.endpoint IS DISTINCT FROM OLD.endpoint),
            ('destination', NEW.destination IS DISTINCT FROM OLD.destination),
            ('url origin', support.url_origin(NEW.url) IS DISTINCT FROM support.url_origin(OLD.url)),
            ('url path', support.url_path(NEW.url) IS DISTINCT FROM support.url_path(OLD.url)),
            ('url credentials', support.url_userinfo(NEW.url) IS DISTINCT FROM support.url_userinfo(OLD.url)),
            ('secret', NEW.secret IS DISTINCT FROM OLD.secret),
            ('username', NEW.username IS DISTINCT FROM OLD.username),
            ('sender', NEW.sender IS DISTINCT FROM OLD.sender),
            ('event_kinds', NEW.event_kinds IS DISTINCT FROM OLD.event_kinds),
            ('active', NEW.active IS DISTINCT FROM OLD.active),
            ('plain_text_on_loopback', NEW.plain_text_on_loopback IS DISTINCT FROM OLD.plain_text_on_loopback)
            ) c(part, differs) WHERE c.differs);
    END IF;
    -- where it delivers and as whom is a superuser's: its origin (scheme,
    -- host and port: no downgrade to http, no other server); on a host many
    -- parties share (hooks.slack.com: another workspace), its path too; the
    -- credentials of an SMTP login or in a URL; a webhook's signing secret
    -- and a private host's token stay a manager's to rotate
    moved := TG_OP OPERATOR(pg_catalog.=) 'INSERT'
             OR changed && ARRAY['endpoint', 'destination', 'url origin', 'url credentials', 'plain_text_on_loopback']
             OR ('url path' OPERATOR(pg_catalog.=) ANY (changed)
                 AND support.is_shared_host(support.url_host(NEW.url)))
             OR (NEW.destination OPERATOR(pg_catalog.=) 'email'
                 AND changed && ARRAY['secret', 'username', 'sender']);
    IF moved AND NOT COALESCE(caller_is_superuser, false) THEN
        RAISE EXCEPTION 'only a superuser may set where endpoint "%" delivers (%) and as whom', NEW.endpoint, support.url_origin(NEW.url)
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'A support manager may pause an endpoint, choose its event kinds, rotate a webhook''s signing secret, and change the path of a URL on a host of its own; a DBA adds, renames and moves endpoints, and changes their credentials and paths on shared hosts (support.shared_endpoint_hosts).';
    END IF;
    INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
    VALUES ('endpoint', support.current_user_id(), NULL,
            jsonb_build_object('endpoint', NEW.endpoint, 'operation', pg_catalog.lower(TG_OP),
                               'host', jsonb_build_array(CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN support.url_host(OLD.url) END,
                                                         support.url_host(NEW.url)),
                               'changed', to_jsonb(changed),
                               'credentials_changed', changed && ARRAY['secret', 'username', 'url credentials']));
    RETURN NEW;
END $$;
COMMENT ON FUNCTION support.guard_endpoint_host() IS 'BEFORE INSERT, UPDATE OR DELETE trigger on support.delivery_endpoints: only a superuser adds, removes, renames or moves an endpoint, changes its credentials or its path on a shared host; every change is audited with what changed (never secrets)';
REVOKE ALL ON FUNCTION support.guard_endpoint_host() FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.record_second_factor_events() RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    e record;
    recorded integer := 0;
BEGIN
    FOR e IN SELECT * FROM support.take_second_factor_events() LOOP
        IF e.wrong_codes OPERATOR(pg_catalog.>) 0 OR e.refused_while_locked OPERATOR(pg_catalog.>) 0 THEN
            INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
            VALUES ('second_factor', NULL, e.agent_id,
                    jsonb_build_object('operation', 'codes_refused', 'wrong_codes', e.wrong_codes,
                                       'refused_while_locked', e.refused_while_locked,
                                       'first_at', e.first_at, 'last_at', e.last_at));
            recorded := recorded OPERATOR(pg_catalog.+) 1;
        END IF;
        IF e.locked_until IS NOT NULL THEN
            INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
            VALUES ('second_factor', NULL, e.agent_id,
                    jsonb_build_object('operation', 'locked_out', 'until', e.locked_until));
            -- (a second factor enrolled since those codes is not locked by them)
            UPDATE support.staff_totp t
               SET locked_until = GREATEST(t.locked_until, e.locked_until)
             WHERE t.agent_id OPERATOR(pg_catalog.=) e.agent_id
               AND t.enrolled_at OPERATOR(pg_catalog.<=) COALESCE(e.last_at, e.first_at, e.locked_until);
            recorded := recorded OPERATOR(pg_catalog.+) 1;
        END IF;
    END LOOP;
    RETURN recorded;
END $$;
COMMENT ON FUNCTION support.record_second_factor_events() IS 'the desk''s worker''s sweep: wrong one-time codes and lockouts into support.security_audit (kind second_factor), and each lockout into support.staff_totp.locked_until; the number of audit rows written';
REVOKE ALL ON FUNCTION support.record_second_factor_events() FROM PUBLIC;

CREATE OR REPLACE FUNCTION support.check_user_domain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    domain text := pg_catalog.lower(pg_catalog.split_part(NEW.email, '@', 2));
    domains text[];
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'account_users', 'check_user_domain');
    IF support.restoring() OR support.current_key_kind() IS DISTINCT FROM 'client' THEN
        RETURN NEW;             -- staff and a DBA's session add any address
    END IF;
    IF NOT COALESCE(support.is_email_address(NEW.email), false) THEN
        RETURN NEW;             -- not an address at all: emails_are_addresses says so
    END IF;
    SELECT a.email_domains INTO domains FROM support.accounts a
     WHERE a.account_id OPERATOR(pg_catalog.=) NEW.account_id;
    IF COALESCE(pg_catalog.cardinality(domains), 0) OPERATOR(pg_catalog.=) 0 THEN
        domains := ARRAY(SELECT pg_catalog.lower(pg_catalog.split_part(u.email, '@', 2)) FROM support.account_users u
                          WHERE u.account_id OPERATOR(pg_catalog.=) support.current_account_id()
                            AND u.user_id OPERATOR(pg_catalog.=) support.current_user_id());
    END IF;
    IF NOT COALESCE(domain OPERATOR(pg_catalog.=) ANY (domains), false) THEN
        RAISE EXCEPTION 'the users of account % have addresses at %, not at %', NEW.account_id,
                        pg_catalog.array_to_string(domains, ', '), domain
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'A support manager sets the account''s mail domains (support.accounts.email_domains).';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION support.check_user_domain() IS 'BEFORE INSERT OR UPDATE OF email trigger on support.account_users: a client''s key adds users only at the account''s mail domains (support.accounts.email_domains; none set: the Admin''s own)';
REVOKE ALL ON FUNCTION support.check_user_domain() FROM PUBLIC;

-- 1.0's executive escalations get their war room (no executives were known)
INSERT INTO support.war_rooms (account_id, ticket_id, opened_at, reason, channel)
SELECT t.account_id, t.ticket_id, t.executive_escalated_at, 'executive escalation before 1.1',
       COALESCE((SELECT r.channel FROM support.slack_routes r WHERE r.route = 'critical'), '#critical-issues')
  FROM support.tickets t WHERE t.executive_escalated_at IS NOT NULL;

-- The open tickets' deadlines, computed again under the new rules; their
-- tier's targets run from now (the trigger stamps tier_entered_at), not
-- from a past 1.0 never measured them in.
-- recomputes: tickets.escalation_due, tickets.next_action_at, tickets.actions_checked_at, tickets.updated_at, tickets.tier_entered_at, tickets.tier_response_due, tickets.tier_resolution_due
UPDATE support.tickets SET tier = tier
 WHERE status <> ALL (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status]);

SELECT support.wake_worker();
