-- Tickets: support.priority and the lifecycle's enums, the tickets and their
-- case history (ticket_events), the workflow functions an application
-- calls, the lifecycle and history triggers, and who reads and writes them.
-- (C: src/tickets/; reference: doc/tickets.md.)

--@section types

CREATE TYPE support.actor_kind AS ENUM ('agent', 'client', 'system');
COMMENT ON TYPE support.actor_kind IS 'who caused an event: a support agent, a client user, or the system';

CREATE TYPE support.event_kind AS ENUM (
    'created', 'public_reply', 'internal_note', 'client_message', 'status_change',
    'priority_change', 'tier_change', 'assignee_change', 'resolution', 'rating',
    'escalation', 'notification', 'sla_breach', 'reminder', 'follow_up', 'review_task',
    'revenue_at_risk'
);
COMMENT ON TYPE support.event_kind IS 'what a ticket event records';

CREATE TYPE support.ticket_status AS ENUM ('new', 'triaged', 'in_progress', 'pending_client', 'resolved', 'closed');
COMMENT ON TYPE support.ticket_status IS 'ticket lifecycle: new -> triaged -> in_progress <-> pending_client; in_progress -> resolved -> closed; resolved -> in_progress (reopen)';

CREATE TYPE support.visibility AS ENUM ('public', 'internal');
COMMENT ON TYPE support.visibility IS 'public events are part of the conversation with the client; internal ones are for support staff only';

------------------------------------------------------------------------------
-- support.priority
------------------------------------------------------------------------------
CREATE TYPE support.priority;

CREATE FUNCTION support.priority_in(cstring) RETURNS support.priority
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION support.priority_out(support.priority) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION support.priority_recv(internal) RETURNS support.priority
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION support.priority_send(support.priority) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.priority_in(cstring) IS 'text input of support.priority';
COMMENT ON FUNCTION support.priority_out(support.priority) IS 'text output of support.priority: P1..P4';
COMMENT ON FUNCTION support.priority_recv(internal) IS 'binary input of support.priority';
COMMENT ON FUNCTION support.priority_send(support.priority) IS 'binary output of support.priority';

CREATE TYPE support.priority (
    INPUT = support.priority_in,
    OUTPUT = support.priority_out,
    RECEIVE = support.priority_recv,
    SEND = support.priority_send,
    INTERNALLENGTH = 2,
    PASSEDBYVALUE,
    ALIGNMENT = int2,
    STORAGE = plain
);
COMMENT ON TYPE support.priority IS 'Ticket priority P1 (critical) to P4 (low); accepts P1..P4, 1..4, critical/high/medium/low in any case; sorts most urgent first';
--@section operators

CREATE FUNCTION support.priority_lt(support.priority, support.priority) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION support.priority_le(support.priority, support.priority) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION support.priority_eq(support.priority, support.priority) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION support.priority_ne(support.priority, support.priority) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION support.priority_ge(support.priority, support.priority) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION support.priority_gt(support.priority, support.priority) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION support.priority_cmp(support.priority, support.priority) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION support.priority_hash(support.priority) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION support.priority_hash_extended(support.priority, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION support.priority_lt(support.priority, support.priority) IS 'true when the left priority is more urgent';
COMMENT ON FUNCTION support.priority_le(support.priority, support.priority) IS 'true when the left priority is at least as urgent';
COMMENT ON FUNCTION support.priority_eq(support.priority, support.priority) IS 'true when both priorities are the same level';
COMMENT ON FUNCTION support.priority_ne(support.priority, support.priority) IS 'true when the priorities differ';
COMMENT ON FUNCTION support.priority_ge(support.priority, support.priority) IS 'true when the left priority is at most as urgent';
COMMENT ON FUNCTION support.priority_gt(support.priority, support.priority) IS 'true when the left priority is less urgent';
COMMENT ON FUNCTION support.priority_cmp(support.priority, support.priority) IS 'btree comparison: -1 when the left priority is more urgent';
COMMENT ON FUNCTION support.priority_hash(support.priority) IS 'hash support for hash joins and hash indexes';
COMMENT ON FUNCTION support.priority_hash_extended(support.priority, bigint) IS 'seeded hash support for hash partitioning';

CREATE OPERATOR pg_catalog.< (LEFTARG = support.priority, RIGHTARG = support.priority,
    FUNCTION = support.priority_lt, COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel);

CREATE OPERATOR pg_catalog.<= (LEFTARG = support.priority, RIGHTARG = support.priority,
    FUNCTION = support.priority_le, COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel);

CREATE OPERATOR pg_catalog.= (LEFTARG = support.priority, RIGHTARG = support.priority,
    FUNCTION = support.priority_eq, COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);

CREATE OPERATOR pg_catalog.<> (LEFTARG = support.priority, RIGHTARG = support.priority,
    FUNCTION = support.priority_ne, COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
    RESTRICT = neqsel, JOIN = neqjoinsel);

CREATE OPERATOR pg_catalog.>= (LEFTARG = support.priority, RIGHTARG = support.priority,
    FUNCTION = support.priority_ge, COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR pg_catalog.> (LEFTARG = support.priority, RIGHTARG = support.priority,
    FUNCTION = support.priority_gt, COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel);

CREATE OPERATOR CLASS support.priority_ops DEFAULT FOR TYPE support.priority USING btree AS
    OPERATOR 1 pg_catalog.<,
    OPERATOR 2 pg_catalog.<=,
    OPERATOR 3 pg_catalog.=,
    OPERATOR 4 pg_catalog.>=,
    OPERATOR 5 pg_catalog.>,
    FUNCTION 1 support.priority_cmp(support.priority, support.priority),
    FUNCTION 4 pg_catalog.btequalimage(oid);
       -- one representation per priority: indexes deduplicate
CREATE OPERATOR CLASS support.priority_hash_ops DEFAULT FOR TYPE support.priority USING hash AS
    OPERATOR 1 pg_catalog.=,
    FUNCTION 1 support.priority_hash(support.priority),
    FUNCTION 2 support.priority_hash_extended(support.priority, bigint);

CREATE FUNCTION support.priority_to_int4(support.priority) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION support.int4_to_priority(integer) RETURNS support.priority
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE CAST (support.priority AS integer) WITH FUNCTION support.priority_to_int4(support.priority);

CREATE CAST (integer AS support.priority) WITH FUNCTION support.int4_to_priority(integer);
COMMENT ON FUNCTION support.priority_to_int4(support.priority) IS 'the priority level as a number, 1 (P1) to 4 (P4)';
COMMENT ON FUNCTION support.int4_to_priority(integer) IS 'the priority for a level 1..4; other numbers are out of range (22003)';

-- 'P1' bound as text or varchar (JDBC, psycopg2) compares with a priority
CREATE CAST (text AS support.priority) WITH INOUT AS IMPLICIT;

CREATE CAST (character varying AS support.priority) WITH INOUT AS IMPLICIT;

CREATE FUNCTION support.priority_more_urgent(support.priority, support.priority) RETURNS support.priority
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION support.priority_less_urgent(support.priority, support.priority) RETURNS support.priority
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.priority_more_urgent(support.priority, support.priority) IS 'the more urgent of two priorities';
COMMENT ON FUNCTION support.priority_less_urgent(support.priority, support.priority) IS 'the less urgent of two priorities';

CREATE FUNCTION support.priority_label(support.priority) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.priority_label(support.priority) IS 'the handbook''s name of the level: Critical, High, Medium or Low';
--@section tables

-- Tickets: the table, its history (ticket_events), the workflow functions
-- that change them, their grants and policies.
--
-- Triggers on support.tickets fire in this order (PostgreSQL fires the
-- triggers of one timing in name order, so the names carry the order):
--   BEFORE UPDATE   ticket_10_column_guard   refuses direct writes of owned columns (here)
--   BEFORE INSERT   ticket_20_classify       priority, tier, assignee (triage.sql)
--   BEFORE both     ticket_30_lifecycle      status rules and milestone times (here)
--   BEFORE both     ticket_40_sla_deadlines  deadlines from priority and times (sla.sql)
--   AFTER, row      audit_assumed_write      an assumed user's writes (security.sql)
--   AFTER UPDATE,   ticket_50_agent_load     the agents' loads (here)
--     row
--   AFTER UPDATE    ticket_60_changed_events the history of the change (here)
--   AFTER INSERT    ticket_70_sla_activated  / AFTER UPDATE ticket_70_sla_changed:
--                                            the SLA trail (sla.sql)
--   AFTER INSERT    ticket_80_triaged        created events, acknowledgment, alerts (triage.sql)
-- The AFTER triggers from ticket_60 on are statement triggers, which run
-- after every row trigger of their statement whatever the names.
CREATE SEQUENCE support.ticket_id_seq
    START WITH 10001;
GRANT USAGE ON SEQUENCE support.ticket_id_seq TO support_client, support_agent, support_manager;

CREATE TABLE support.tickets (
    account_id bigint NOT NULL,
    ticket_id bigint DEFAULT nextval('support.ticket_id_seq') NOT NULL,
    requester_id bigint NOT NULL,
    subject text NOT NULL,
    description text DEFAULT '' NOT NULL,
    channel text NOT NULL,
    category text NOT NULL,
    priority support.priority NOT NULL,
    tier smallint DEFAULT 1 NOT NULL,
    status support.ticket_status DEFAULT 'new'::support.ticket_status NOT NULL,
    assignee_id bigint,
    -- the handbook's priority criteria
    service_outage boolean DEFAULT false NOT NULL,
    revenue_impact boolean DEFAULT false NOT NULL,
    security_or_data_integrity boolean DEFAULT false NOT NULL,
    campaign_delivery_failure boolean DEFAULT false NOT NULL,
    peak_period boolean DEFAULT false NOT NULL,
    api_failure boolean DEFAULT false NOT NULL,
    workaround_available boolean DEFAULT false NOT NULL,
    multi_client_impact boolean DEFAULT false NOT NULL,
    -- lifecycle milestones, written only by the lifecycle trigger
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    triaged_at timestamp with time zone,
    first_response_at timestamp with time zone,
    last_public_reply_at timestamp with time zone,
    work_started_at timestamp with time zone,
    pending_since timestamp with time zone,
    paused_total interval DEFAULT '00:00:00' NOT NULL,
    resolved_at timestamp with time zone,
    closed_at timestamp with time zone,
    reopened_at timestamp with time zone,
    reopen_count integer DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    -- resolution and satisfaction
    root_cause text,
    solution text,
    verification_steps text,
    prevention_measures text,
    satisfaction_rating smallint,
    satisfaction_comment text,
    rated_at timestamp with time zone,
    first_response_due timestamp with time zone,
    next_update_due timestamp with time zone,
    resolution_due timestamp with time zone,
    escalation_due timestamp with time zone,
    sla_paused tstzmultirange DEFAULT '{}'::tstzmultirange NOT NULL,
    triage_rule_id bigint,
    priority_source text,
    escalated_at timestamp with time zone,
    escalation_requested_at timestamp with time zone,
    escalation_call_due timestamp with time zone,
    escalation_call_held_at timestamp with time zone,
    executive_escalated_at timestamp with time zone,
    last_activity_at timestamp with time zone,
    actions_checked_at timestamp with time zone,
    next_action_at timestamp with time zone,
    tier_entered_at timestamp with time zone,
    tier_response_due timestamp with time zone,
    tier_resolution_due timestamp with time zone,
    follows_up_ticket_id bigint,
    revenue_at_risk numeric(14,2),
    revenue_currency text,
    revenue_escalated_at timestamp with time zone,
    dissatisfaction_escalated_at timestamp with time zone,
    post_incident_review_done_at timestamp with time zone,
    CONSTRAINT subjects_are_one_line CHECK (support.is_one_line(subject)),
    -- what a tenant writes is bounded where it is written (src/text_bounds.c)
    CONSTRAINT texts_are_at_most_1_mb CHECK ((octet_length(description) <= 1048576) AND (octet_length(root_cause) <= 1048576) AND (octet_length(solution) <= 1048576) AND (octet_length(verification_steps) <= 1048576) AND (octet_length(prevention_measures) <= 1048576) AND (octet_length(satisfaction_comment) <= 1048576)),
    CONSTRAINT tickets_priority_source_check CHECK (priority_source = ANY (ARRAY['given', 'rule', 'category'])),
    CONSTRAINT tickets_satisfaction_rating_check CHECK ((satisfaction_rating >= 1) AND (satisfaction_rating <= 5)),
    CONSTRAINT tickets_subject_check CHECK ((btrim(subject) <> '') AND (length(subject) <= 200)),
    CONSTRAINT tickets_pkey PRIMARY KEY (account_id, ticket_id),
    CONSTRAINT tickets_account_id_fkey FOREIGN KEY (account_id) REFERENCES support.accounts(account_id),
    CONSTRAINT tickets_account_id_requester_id_fkey FOREIGN KEY (account_id, requester_id) REFERENCES support.account_users(account_id, user_id),
    CONSTRAINT tickets_assignee_id_fkey FOREIGN KEY (assignee_id) REFERENCES support.agents(agent_id),
    CONSTRAINT tickets_category_fkey FOREIGN KEY (category) REFERENCES support.categories(category),
    CONSTRAINT tickets_channel_fkey FOREIGN KEY (channel) REFERENCES support.channels(channel),
    CONSTRAINT tickets_tier_fkey FOREIGN KEY (tier) REFERENCES support.tiers(tier)
);

CREATE INDEX tickets_assignee_idx ON support.tickets USING btree (assignee_id) WHERE (status <> ALL (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status]));

CREATE INDEX tickets_next_action_idx ON support.tickets USING btree (next_action_at) WHERE (next_action_at IS NOT NULL);

CREATE INDEX tickets_number_idx ON support.tickets USING btree (ticket_id);

CREATE INDEX tickets_open_idx ON support.tickets USING btree (account_id, status) WHERE (status <> 'closed'::support.ticket_status);
ALTER SEQUENCE support.ticket_id_seq OWNED BY support.tickets.ticket_id;
ALTER TABLE support.tickets ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.tickets IS 'support tickets: who asked, through which channel, category, priority, tier, lifecycle status and milestones, resolution and satisfaction';
COMMENT ON COLUMN support.tickets.first_response_due IS 'when the first agent reply is due (kept after it is given, for compliance)';
COMMENT ON COLUMN support.tickets.next_update_due IS 'when the next agent update is due; NULL while the ticket waits on the client or is resolved';
COMMENT ON COLUMN support.tickets.resolution_due IS 'when resolution is due, paused time excluded; NULL while paused unless already breached';
COMMENT ON COLUMN support.tickets.escalation_due IS 'the "SLA breach imminent" mark: the earliest escalation_ratio (the priority''s policy) of every target still running, the priority''s and the tier''s, after the last escalation';
COMMENT ON COLUMN support.tickets.sla_paused IS 'periods in which the resolution clock stood still (pending on the client, or resolved until reopened)';
COMMENT ON COLUMN support.tickets.triage_rule_id IS 'the triage rule the ticket matched on creation (NULL: none, the category decided)';
COMMENT ON COLUMN support.tickets.priority_source IS 'where the priority at creation came from: given by the creator, a triage rule, or the category default';
COMMENT ON COLUMN support.tickets.escalated_at IS 'last escalation to a higher tier (or to executives from tier 3); it answers every breach-imminent mark passed by then';
COMMENT ON COLUMN support.tickets.escalation_requested_at IS 'when the client asked for an escalation (support.request_escalation)';
COMMENT ON COLUMN support.tickets.escalation_call_due IS 'the escalation call the client''s request scheduled is due by then';
COMMENT ON COLUMN support.tickets.escalation_call_held_at IS 'when that call took place (support.record_escalation_call)';
COMMENT ON COLUMN support.tickets.executive_escalated_at IS 'executive escalation: hourly updates, and a post-incident review once resolved';
COMMENT ON COLUMN support.tickets.last_activity_at IS 'the last public reply or internal note by an agent: progress, for the no-progress escalation';
COMMENT ON COLUMN support.tickets.actions_checked_at IS 'the escalation worker has acted on everything due up to this time';
COMMENT ON COLUMN support.tickets.next_action_at IS 'the earliest action of the escalation worker still to come (support.ticket_actions), kept by the deadline trigger';
COMMENT ON COLUMN support.tickets.tier_entered_at IS 'when the ticket entered its current tier: the tier''s targets run from here';
COMMENT ON COLUMN support.tickets.tier_response_due IS 'the tier''s initial response target: an agent''s public reply is due by then after the ticket entered the tier; NULL when met or not in force (support.tiers.targets_enforced)';
COMMENT ON COLUMN support.tickets.tier_resolution_due IS 'the tier''s resolution target from when the ticket entered it, paused time excluded; NULL while paused, resolved or not in force';
COMMENT ON COLUMN support.tickets.follows_up_ticket_id IS 'the closed ticket of the same account this one follows up: the client wrote again after it was closed (written only by support.open_follow_up; no foreign key, whose per-row check would cost every ticket insert more than the rest of this release)';
COMMENT ON COLUMN support.tickets.revenue_at_risk IS 'the client''s revenue at risk, in revenue_currency (an ISO 4217 code), written and checked only by support.report_revenue_at_risk (a CHECK here would cost every ticket insert 54,000 instructions); above the applicable support.revenue_thresholds row it escalates the ticket';
COMMENT ON COLUMN support.tickets.revenue_escalated_at IS 'when revenue at risk above its threshold escalated the ticket (once)';
COMMENT ON COLUMN support.tickets.dissatisfaction_escalated_at IS 'when the client''s dissatisfaction (a low rating, a message a dissatisfaction rule matches) last escalated the ticket; another escalates again only after an agent''s reply';
COMMENT ON COLUMN support.tickets.post_incident_review_done_at IS 'when the post-incident review of an executive escalation was recorded (support.record_post_incident_review); until then the worker chases it';
GRANT SELECT,UPDATE ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(account_id) ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(requester_id) ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(subject) ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(description) ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(channel) ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(category) ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(priority) ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(service_outage) ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(revenue_impact) ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(security_or_data_integrity) ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(campaign_delivery_failure) ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(peak_period) ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(api_failure) ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(workaround_available) ON TABLE support.tickets TO support_client, support_agent, support_manager;
GRANT INSERT(multi_client_impact) ON TABLE support.tickets TO support_client, support_agent, support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.tickets', '');
SELECT pg_catalog.pg_extension_config_dump('support.ticket_id_seq', '');

CREATE SEQUENCE support.event_id_seq;
GRANT USAGE ON SEQUENCE support.event_id_seq TO support_client, support_agent, support_manager;

CREATE TABLE support.ticket_events (
    account_id bigint NOT NULL,
    event_id bigint DEFAULT nextval('support.event_id_seq') NOT NULL,
    ticket_id bigint NOT NULL,
    kind support.event_kind NOT NULL,
    actor_id bigint,
    actor_kind support.actor_kind NOT NULL,
    visibility support.visibility NOT NULL,
    body text,
    old_value text,
    new_value text,
    details jsonb DEFAULT '{}' NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    action_key text,
    assumed_by bigint,
    CONSTRAINT bodies_are_at_most_1_mb CHECK (octet_length(body) <= 1048576),
    CONSTRAINT details_are_at_most_64_kb CHECK (support.message_size(NULL::text, NULL::text, NULL::text, NULL::text, details) <= 65536),
    CONSTRAINT messages_have_a_body CHECK ((kind <> ALL (ARRAY['public_reply'::support.event_kind, 'internal_note'::support.event_kind, 'client_message'::support.event_kind])) OR (btrim(body) <> '')),
    CONSTRAINT ticket_events_pkey PRIMARY KEY (account_id, event_id),
    CONSTRAINT ticket_events_account_id_ticket_id_fkey FOREIGN KEY (account_id, ticket_id) REFERENCES support.tickets(account_id, ticket_id)
);

CREATE UNIQUE INDEX ticket_events_action_key_idx ON support.ticket_events USING btree (account_id, ticket_id, action_key) WHERE (action_key IS NOT NULL);

CREATE INDEX ticket_events_ticket_idx ON support.ticket_events USING btree (account_id, ticket_id, event_id);
ALTER SEQUENCE support.event_id_seq OWNED BY support.ticket_events.event_id;
ALTER TABLE support.ticket_events ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.ticket_events IS 'append-only case history of every ticket: replies, notes, client messages, changes, escalations and notifications, with actor and time';
COMMENT ON COLUMN support.ticket_events.action_key IS 'for actions of the escalation worker: action@deadline (microseconds since 1970), unique per ticket so each action happens once';
COMMENT ON COLUMN support.ticket_events.assumed_by IS 'the super user who had assumed the acting user when this was written (NULL: nobody), set from the key';
GRANT SELECT ON TABLE support.ticket_events TO support_client, support_agent, support_manager;
GRANT INSERT(account_id) ON TABLE support.ticket_events TO support_client, support_agent, support_manager;
GRANT INSERT(ticket_id) ON TABLE support.ticket_events TO support_client, support_agent, support_manager;
GRANT INSERT(kind) ON TABLE support.ticket_events TO support_client, support_agent, support_manager;
GRANT INSERT(actor_id) ON TABLE support.ticket_events TO support_client, support_agent, support_manager;
GRANT INSERT(actor_kind) ON TABLE support.ticket_events TO support_client, support_agent, support_manager;
GRANT INSERT(visibility) ON TABLE support.ticket_events TO support_client, support_agent, support_manager;
GRANT INSERT(body) ON TABLE support.ticket_events TO support_client, support_agent, support_manager;
GRANT INSERT(details) ON TABLE support.ticket_events TO support_client, support_agent, support_manager;
GRANT INSERT(action_key) ON TABLE support.ticket_events TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.ticket_events', '');
SELECT pg_catalog.pg_extension_config_dump('support.event_id_seq', '');
--@section functions

CREATE FUNCTION support.add_event(ticket support.tickets, kind support.event_kind, actor_id bigint, visibility support.visibility, body text, details jsonb DEFAULT '{}'::jsonb) RETURNS bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    new_event_id bigint;
BEGIN
    PERFORM support.set_actor(actor_id);
    INSERT INTO support.ticket_events AS e
           (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body, details)
    VALUES (ticket.account_id, ticket.ticket_id, kind, actor_id, support.actor_kind_of(actor_id),
            visibility, body, COALESCE(details, '{}'))
    RETURNING e.event_id INTO new_event_id;
    PERFORM support.set_actor(NULL);
    RETURN new_event_id;
END $$;
COMMENT ON FUNCTION support.add_event(ticket support.tickets, kind support.event_kind, actor_id bigint, visibility support.visibility, body text, details jsonb) IS 'appends one event to a ticket''s history on behalf of an actor';
REVOKE ALL ON FUNCTION support.add_event(ticket support.tickets, kind support.event_kind, actor_id bigint, visibility support.visibility, body text, details jsonb) FROM PUBLIC;

CREATE FUNCTION support.add_internal_note(ticket_id bigint, agent_id bigint, body text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(add_internal_note.ticket_id);
BEGIN
    PERFORM support.require_agent(agent_id);
    PERFORM support.require_text(body, 'note body');
    RETURN support.add_event(ticket, 'internal_note', agent_id, 'internal', body);
END $$;
COMMENT ON FUNCTION support.add_internal_note(ticket_id bigint, agent_id bigint, body text) IS 'a note for support staff only, never shown to the client';

CREATE FUNCTION support.add_internal_note(ticket_id bigint, body text) RETURNS bigint
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.add_internal_note(ticket_id, support.key_user_id(), body);
COMMENT ON FUNCTION support.add_internal_note(ticket_id bigint, body text) IS 'an internal note as the key''s agent';

CREATE FUNCTION support.assign_ticket(ticket_id bigint, assignee_id bigint, actor_id bigint) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(assign_ticket.ticket_id);
BEGIN
    PERFORM support.require_agent(actor_id);
    PERFORM support.require_agent(assignee_id);
    PERFORM support.set_actor(actor_id);
    UPDATE support.tickets t SET assignee_id = assign_ticket.assignee_id
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.set_actor(NULL);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.assign_ticket(ticket_id bigint, assignee_id bigint, actor_id bigint) IS 'gives a ticket to an agent';

CREATE FUNCTION support.assign_ticket(ticket_id bigint, assignee_id bigint) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.assign_ticket(ticket_id, assignee_id, support.key_user_id());
COMMENT ON FUNCTION support.assign_ticket(ticket_id bigint, assignee_id bigint) IS 'assign_ticket as the key''s agent';

CREATE FUNCTION support.caller_holds_ticket(ticket_id bigint, for_update boolean) RETURNS boolean
    LANGUAGE c AS 'MODULE_PATHNAME', 'caller_holds_ticket';
COMMENT ON FUNCTION support.caller_holds_ticket(ticket_id bigint, for_update boolean) IS 'whether the role that called the running owner-rights function sees (and, for update, may change and now locks) the ticket under row-level security';
REVOKE ALL ON FUNCTION support.caller_holds_ticket(ticket_id bigint, for_update boolean) FROM PUBLIC;

CREATE FUNCTION support.change_priority(ticket_id bigint, priority support.priority, actor_id bigint, reason text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(change_priority.ticket_id);
BEGIN
    PERFORM support.require_agent(actor_id);
    PERFORM support.require_text(reason, 'reason for a priority change');
    PERFORM support.set_actor(actor_id, reason);
    UPDATE support.tickets t SET priority = change_priority.priority
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.set_actor(NULL);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.change_priority(ticket_id bigint, priority support.priority, actor_id bigint, reason text) IS 'an agent''s priority override, with the reason recorded in the event';

CREATE FUNCTION support.change_priority(ticket_id bigint, priority support.priority, reason text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.change_priority(ticket_id, priority, support.key_user_id(), reason);
COMMENT ON FUNCTION support.change_priority(ticket_id bigint, priority support.priority, reason text) IS 'change_priority as the key''s agent';

CREATE FUNCTION support.change_status(ticket_id bigint, status support.ticket_status, actor_id bigint, reason text DEFAULT NULL::text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(change_status.ticket_id);
BEGIN
    PERFORM support.require_agent(actor_id);
    IF status = 'resolved' THEN
        RAISE EXCEPTION 'use support.resolve_ticket() to resolve ticket %', ticket_id
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'A resolution records its root cause, solution, verification and prevention.';
    END IF;
    PERFORM support.set_actor(actor_id, reason);
    UPDATE support.tickets t SET status = change_status.status
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.set_actor(NULL);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.change_status(ticket_id bigint, status support.ticket_status, actor_id bigint, reason text) IS 'moves a ticket through its lifecycle on behalf of an agent (55000 for an illegal transition)';

CREATE FUNCTION support.change_status(ticket_id bigint, status support.ticket_status, reason text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.change_status(ticket_id, status, support.key_user_id(), reason);
COMMENT ON FUNCTION support.change_status(ticket_id bigint, status support.ticket_status, reason text) IS 'change_status as the key''s agent';

CREATE FUNCTION support.close_ticket(ticket_id bigint, actor_id bigint) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(close_ticket.ticket_id);
BEGIN
    IF support.actor_kind_of(actor_id) = 'agent' THEN
        PERFORM support.require_agent(actor_id);
    ELSE
        PERFORM support.require_client(ticket.account_id, actor_id);
    END IF;
    PERFORM support.set_actor(actor_id);
    UPDATE support.tickets t SET status = 'closed'
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.set_actor(NULL);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.close_ticket(ticket_id bigint, actor_id bigint) IS 'closes a resolved ticket; the client confirming the fix or an agent may close it';

CREATE FUNCTION support.close_ticket(ticket_id bigint) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.close_ticket(ticket_id, support.key_user_id());
COMMENT ON FUNCTION support.close_ticket(ticket_id bigint) IS 'close_ticket as the key''s user';

-- The workflow's ticket, as the caller's row-level security allows it: the
-- functions below run as the owner, so the policies no longer filter what
-- they read. Another account's ticket does not exist; one the caller may
-- read but not change (a Reporting Manager's) says so. A client's key keeps
-- to its account even for a caller RLS does not bind (a superuser's session).
CREATE FUNCTION support.locked_ticket(ticket_id bigint) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    existing support.tickets;
    key_account bigint := support.current_account_id();
    in_key_account boolean := key_account IS NULL OR EXISTS (
        SELECT 1 FROM support.tickets t
         WHERE t.ticket_id OPERATOR(pg_catalog.=) locked_ticket.ticket_id
           AND t.account_id OPERATOR(pg_catalog.=) key_account);
BEGIN
    IF in_key_account AND support.caller_holds_ticket(locked_ticket.ticket_id, true) THEN
        SELECT * INTO existing FROM support.tickets t
         WHERE t.ticket_id OPERATOR(pg_catalog.=) locked_ticket.ticket_id;
        RETURN existing;
    END IF;
    IF in_key_account AND support.caller_holds_ticket(locked_ticket.ticket_id, false) THEN
        RAISE EXCEPTION 'ticket % is read-only for user %', ticket_id, support.current_user_id()
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'A Reporting Manager reads tickets; an Admin or Campaign Manager changes them.';
    END IF;
    RAISE EXCEPTION 'ticket % does not exist', ticket_id
          USING ERRCODE = 'no_data_found', HINT = 'Ticket numbers are shown as #N in every message.';
END $$;
COMMENT ON FUNCTION support.locked_ticket(ticket_id bigint) IS 'the ticket, locked for update; P0002 when there is none';
REVOKE ALL ON FUNCTION support.locked_ticket(ticket_id bigint) FROM PUBLIC;

-- A reason set by a plain SET outlives its transaction and, behind a
-- pooler, would land in the next client's public history: it counts only
-- when set for the transaction (src/transaction_settings.c).
CREATE FUNCTION support.change_reason() RETURNS text
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'change_reason';
COMMENT ON FUNCTION support.change_reason() IS 'support.change_reason when this transaction set it (SET LOCAL, set_config(..., true), a default, or a superuser''s session); else NULL, with a warning';
REVOKE ALL ON FUNCTION support.change_reason() FROM PUBLIC;

CREATE FUNCTION support.log_ticket_changes() RETURNS trigger
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

CREATE FUNCTION support.open_ticket(account_id bigint, requester_id bigint, subject text, description text DEFAULT ''::text, channel text DEFAULT 'portal'::text, category text DEFAULT 'general_inquiry'::text, priority support.priority DEFAULT NULL::support.priority, created_by bigint DEFAULT NULL::bigint, service_outage boolean DEFAULT false, revenue_impact boolean DEFAULT false, security_or_data_integrity boolean DEFAULT false, campaign_delivery_failure boolean DEFAULT false, peak_period boolean DEFAULT false, api_failure boolean DEFAULT false, workaround_available boolean DEFAULT false, multi_client_impact boolean DEFAULT false) RETURNS support.tickets
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

CREATE FUNCTION support.post_client_message(ticket_id bigint, user_id bigint, body text) RETURNS bigint
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

-- A client who writes again after the ticket closed starts a new
-- conversation, linked to the old one: triage classifies it afresh.
CREATE FUNCTION support.open_follow_up(closed support.tickets, user_id bigint, body text) RETURNS support.tickets
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

CREATE FUNCTION support.post_client_message(ticket_id bigint, body text) RETURNS bigint
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.post_client_message(ticket_id, support.key_user_id(), body);
COMMENT ON FUNCTION support.post_client_message(ticket_id bigint, body text) IS 'a client''s message as the key''s user';

-- Feedback goes to #client-feedback (the handbook's channel for it).
CREATE FUNCTION support.rate_ticket(ticket_id bigint, user_id bigint, rating integer, comment text DEFAULT NULL::text) RETURNS support.tickets
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

CREATE FUNCTION support.rate_ticket(ticket_id bigint, rating integer, comment text DEFAULT NULL::text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.rate_ticket(ticket_id, support.key_user_id(), rating, comment);
COMMENT ON FUNCTION support.rate_ticket(ticket_id bigint, rating integer, comment text) IS 'rate_ticket as the key''s user';

CREATE FUNCTION support.reply_publicly(ticket_id bigint, agent_id bigint, body text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(reply_publicly.ticket_id);
BEGIN
    PERFORM support.require_agent(agent_id);
    PERFORM support.require_text(body, 'reply body');
    PERFORM support.require_not_closed(ticket);
    RETURN support.add_event(ticket, 'public_reply', agent_id, 'public', body);
END $$;
COMMENT ON FUNCTION support.reply_publicly(ticket_id bigint, agent_id bigint, body text) IS 'an agent''s reply to the client; the first one records the first response';

CREATE FUNCTION support.reply_publicly(ticket_id bigint, body text) RETURNS bigint
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.reply_publicly(ticket_id, support.key_user_id(), body);
COMMENT ON FUNCTION support.reply_publicly(ticket_id bigint, body text) IS 'a public reply as the key''s agent';

CREATE FUNCTION support.require_not_closed(ticket support.tickets) RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF ticket.status = 'closed' THEN
        RAISE EXCEPTION 'ticket % is closed', ticket.ticket_id
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Open a new ticket that refers to this one.';
    END IF;
END $$;
COMMENT ON FUNCTION support.require_not_closed(ticket support.tickets) IS 'raises 55000 for a closed ticket: the conversation on it is over';
REVOKE ALL ON FUNCTION support.require_not_closed(ticket support.tickets) FROM PUBLIC;

CREATE FUNCTION support.require_open(ticket support.tickets) RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF ticket.status IN ('resolved', 'closed') THEN
        RAISE EXCEPTION 'ticket % is %', ticket.ticket_id, ticket.status
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Escalations are for open tickets; a client message reopens a resolved one.';
    END IF;
END $$;
COMMENT ON FUNCTION support.require_open(ticket support.tickets) IS 'raises 55000 for a resolved or closed ticket';
REVOKE ALL ON FUNCTION support.require_open(ticket support.tickets) FROM PUBLIC;

CREATE FUNCTION support.resolve_ticket(ticket_id bigint, agent_id bigint, root_cause text, solution text, verification_steps text DEFAULT NULL::text, prevention_measures text DEFAULT NULL::text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(resolve_ticket.ticket_id);
BEGIN
    PERFORM support.require_agent(agent_id);
    PERFORM support.require_text(root_cause, 'root cause');
    PERFORM support.require_text(solution, 'solution');
    PERFORM support.set_actor(agent_id);
    UPDATE support.tickets t
       SET status = 'resolved',
           root_cause = resolve_ticket.root_cause,
           solution = resolve_ticket.solution,
           verification_steps = resolve_ticket.verification_steps,
           prevention_measures = resolve_ticket.prevention_measures
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.add_event(ticket, 'resolution', agent_id, 'public', solution,
        jsonb_build_object('root_cause', root_cause, 'solution', solution,
                           'verification_steps', verification_steps,
                           'prevention_measures', prevention_measures));
    PERFORM support.client_message(ticket, 'resolution_confirmation', jsonb_build_object(
        'explanation_of_underlying_issue', root_cause,
        'detailed_description_of_fix', solution,
        'how_resolution_was_confirmed', COALESCE(verification_steps, 'verified by our support engineer'),
        'steps_to_prevent_recurrence', COALESCE(prevention_measures, 'no further steps needed')));
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.resolve_ticket(ticket_id bigint, agent_id bigint, root_cause text, solution text, verification_steps text, prevention_measures text) IS 'resolves a ticket in progress, documenting root cause, solution, verification and prevention';

CREATE FUNCTION support.resolve_ticket(ticket_id bigint, root_cause text, solution text, verification_steps text DEFAULT NULL::text, prevention_measures text DEFAULT NULL::text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.resolve_ticket(ticket_id, support.key_user_id(), root_cause, solution, verification_steps, prevention_measures);
COMMENT ON FUNCTION support.resolve_ticket(ticket_id bigint, root_cause text, solution text, verification_steps text, prevention_measures text) IS 'resolve_ticket as the key''s agent';

CREATE FUNCTION support.send_progress_update(ticket_id bigint, agent_id bigint, progress text, findings text, next_steps text, expected_resolution text, dependencies text DEFAULT 'none'::text, testing_plan text DEFAULT 'we will confirm the fix with you'::text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(send_progress_update.ticket_id);
BEGIN
    PERFORM support.require_agent(agent_id);
    PERFORM support.require_text(progress, 'progress');
    PERFORM support.require_text(findings, 'findings');
    PERFORM support.require_text(next_steps, 'next steps');
    PERFORM support.require_text(expected_resolution, 'expected resolution');
    PERFORM support.require_not_closed(ticket);
    PERFORM support.client_message(ticket, 'progress_update', jsonb_build_object(
        'detailed_progress_description', progress,
        'key_discoveries_or_root_cause_identification', findings,
        'planned_actions_and_timeline', next_steps,
        'updated_estimate', expected_resolution,
        'any_blocking_factors', dependencies,
        'verification_approach', testing_plan));
    -- the update is the agent's public reply: it fulfils the update cadence
    RETURN support.reply_publicly(ticket_id, agent_id, progress);
END $$;
COMMENT ON FUNCTION support.send_progress_update(ticket_id bigint, agent_id bigint, progress text, findings text, next_steps text, expected_resolution text, dependencies text, testing_plan text) IS 'an agent''s progress update: the handbook''s template emailed to the client, recorded as a public reply';

CREATE FUNCTION support.send_progress_update(ticket_id bigint, progress text, findings text, next_steps text, expected_resolution text, dependencies text DEFAULT 'none'::text, testing_plan text DEFAULT 'we will confirm the fix with you'::text) RETURNS bigint
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.send_progress_update(ticket_id, support.key_user_id(), progress, findings, next_steps, expected_resolution, dependencies, testing_plan);
COMMENT ON FUNCTION support.send_progress_update(ticket_id bigint, progress text, findings text, next_steps text, expected_resolution text, dependencies text, testing_plan text) IS 'send_progress_update as the key''s agent';

-- Named to fire before ticket_30_lifecycle and ticket_40_sla_deadlines, which
-- would otherwise put some old values back without a word.
CREATE FUNCTION support.ticket_column_guard() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'ticket_column_guard';
COMMENT ON FUNCTION support.ticket_column_guard() IS 'refuses a group role''s direct UPDATE of a column a rule owns (42501, naming the function to call); subject and description stay editable, and staff may reclassify';
REVOKE ALL ON FUNCTION support.ticket_column_guard() FROM PUBLIC;

CREATE FUNCTION support.ticket_event_effects_trigger() RETURNS trigger
    LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'ticket_event_effects_trigger';
COMMENT ON FUNCTION support.ticket_event_effects_trigger() IS 'an agent''s public reply records the first response; a client message resumes a ticket pending on the client; an agent''s reply or note records activity';
REVOKE ALL ON FUNCTION support.ticket_event_effects_trigger() FROM PUBLIC;

CREATE FUNCTION support.ticket_event_stamp_trigger() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'ticket_event_stamp_trigger';
COMMENT ON FUNCTION support.ticket_event_stamp_trigger() IS 'stamps each new event with the server''s time';
REVOKE ALL ON FUNCTION support.ticket_event_stamp_trigger() FROM PUBLIC;

CREATE FUNCTION support.ticket_lifecycle_trigger() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'ticket_lifecycle_trigger';
COMMENT ON FUNCTION support.ticket_lifecycle_trigger() IS 'enforces the lifecycle state machine and writes the milestone timestamps (SQLSTATE 55000 for an illegal transition)';
REVOKE ALL ON FUNCTION support.ticket_lifecycle_trigger() FROM PUBLIC;

CREATE FUNCTION support.track_agent_load() RETURNS trigger
    LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'track_agent_load';
COMMENT ON FUNCTION support.track_agent_load() IS 'moves a ticket between the agents'' loads when it changes hands or opens or closes: in an agent''s row no other transaction holds, else in support.agent_load_changes, never waiting';
REVOKE ALL ON FUNCTION support.track_agent_load() FROM PUBLIC;
--@section triggers

CREATE TRIGGER ticket_50_agent_load AFTER UPDATE ON support.tickets FOR EACH ROW WHEN (((old.assignee_id IS DISTINCT FROM new.assignee_id) OR ((old.status = ANY (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status])) IS DISTINCT FROM (new.status = ANY (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status]))))) EXECUTE FUNCTION support.track_agent_load();

CREATE TRIGGER ticket_60_changed_events AFTER UPDATE ON support.tickets REFERENCING OLD TABLE AS old_tickets NEW TABLE AS new_tickets FOR EACH STATEMENT EXECUTE FUNCTION support.log_ticket_changes();

CREATE TRIGGER ticket_10_column_guard BEFORE UPDATE ON support.tickets FOR EACH ROW EXECUTE FUNCTION support.ticket_column_guard();

CREATE TRIGGER ticket_event_effects AFTER INSERT ON support.ticket_events FOR EACH ROW WHEN ((new.kind = ANY (ARRAY['public_reply'::support.event_kind, 'client_message'::support.event_kind, 'internal_note'::support.event_kind, 'resolution'::support.event_kind]))) EXECUTE FUNCTION support.ticket_event_effects_trigger();

CREATE TRIGGER ticket_event_stamp BEFORE INSERT ON support.ticket_events FOR EACH ROW EXECUTE FUNCTION support.ticket_event_stamp_trigger();

CREATE TRIGGER ticket_events_append_only BEFORE DELETE OR UPDATE ON support.ticket_events FOR EACH ROW EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON support.ticket_events FOR EACH STATEMENT EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER ticket_30_lifecycle BEFORE INSERT OR UPDATE ON support.tickets FOR EACH ROW EXECUTE FUNCTION support.ticket_lifecycle_trigger();
--@section policies

CREATE POLICY agent_opens_tickets ON support.tickets
    FOR INSERT TO support_agent
    WITH CHECK (((SELECT support.current_key_kind()) = 'agent') AND ((SELECT support.current_agent_tier()) IS NOT NULL));

CREATE POLICY agent_ticket_history ON support.ticket_events
    FOR SELECT TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND (EXISTS ( SELECT 1
   FROM support.tickets t
  WHERE ((t.account_id = ticket_events.account_id) AND (t.ticket_id = ticket_events.ticket_id)))));

CREATE POLICY agent_tier_or_assigned ON support.tickets
    FOR SELECT TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND ((tier = (SELECT support.current_agent_tier())) OR (assignee_id = (SELECT support.current_user_id()))));

CREATE POLICY agent_updates_tickets ON support.tickets
    FOR UPDATE TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND ((tier = (SELECT support.current_agent_tier())) OR (assignee_id = (SELECT support.current_user_id()))))
    WITH CHECK (((SELECT support.current_key_kind()) = 'agent') AND ((SELECT support.current_agent_tier()) IS NOT NULL));

CREATE POLICY agent_writes_history ON support.ticket_events
    FOR INSERT TO support_agent
    WITH CHECK (((SELECT support.current_key_kind()) = 'agent') AND ((actor_id = (SELECT support.current_user_id())) AND (actor_kind = 'agent'::support.actor_kind) AND (((kind = 'public_reply'::support.event_kind) AND (visibility = 'public'::support.visibility)) OR ((kind = 'internal_note'::support.event_kind) AND (visibility = 'internal'::support.visibility))) AND (action_key IS NULL) AND (EXISTS ( SELECT 1
   FROM support.tickets t
  WHERE ((t.account_id = ticket_events.account_id) AND (t.ticket_id = ticket_events.ticket_id))))));

CREATE POLICY client_opens_tickets ON support.tickets
    FOR INSERT TO support_client
    WITH CHECK (((SELECT support.current_key_kind()) = 'client') AND ((account_id = (SELECT support.current_account_id())) AND (((SELECT support.current_user_role()) = 'admin') OR (((SELECT support.current_user_role()) = 'campaign_manager') AND (requester_id = (SELECT support.current_user_id()))))));

CREATE POLICY client_own_tickets ON support.tickets
    FOR SELECT TO support_client
    USING (((SELECT support.current_key_kind()) = 'client') AND (account_id = (SELECT support.current_account_id())));

CREATE POLICY client_public_history ON support.ticket_events
    FOR SELECT TO support_client
    USING (((SELECT support.current_key_kind()) = 'client') AND ((account_id = (SELECT support.current_account_id())) AND (visibility = 'public'::support.visibility)));

CREATE POLICY client_updates_tickets ON support.tickets
    FOR UPDATE TO support_client
    USING (((SELECT support.current_key_kind()) = 'client') AND ((account_id = (SELECT support.current_account_id())) AND (SELECT support.client_role_writes(support.current_user_role()))))
    WITH CHECK (((SELECT support.current_key_kind()) = 'client') AND (account_id = (SELECT support.current_account_id())));

CREATE POLICY client_writes_messages ON support.ticket_events
    FOR INSERT TO support_client
    WITH CHECK (((SELECT support.current_key_kind()) = 'client') AND ((account_id = (SELECT support.current_account_id())) AND (SELECT support.client_role_writes(support.current_user_role())) AND (kind = 'client_message'::support.event_kind) AND (visibility = 'public'::support.visibility) AND (actor_id = (SELECT support.current_user_id())) AND (actor_kind = 'client'::support.actor_kind)));

CREATE POLICY manager_history ON support.ticket_events
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE POLICY manager_opens_tickets ON support.tickets
    FOR INSERT TO support_manager
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE POLICY manager_tickets ON support.tickets
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE POLICY manager_updates_tickets ON support.tickets
    FOR UPDATE TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE POLICY manager_writes_history ON support.ticket_events
    FOR INSERT TO support_manager
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND ((SELECT support.current_is_manager()) AND (actor_id = (SELECT support.current_user_id())) AND (actor_kind = 'agent'::support.actor_kind) AND (((kind = 'public_reply'::support.event_kind) AND (visibility = 'public'::support.visibility)) OR ((kind = 'internal_note'::support.event_kind) AND (visibility = 'internal'::support.visibility))) AND (action_key IS NULL)));
