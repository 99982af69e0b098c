-- bedrock_support 1.0: the support desk's data model, the handbook as data,
-- the ticket lifecycle and the workflow functions.
\echo Use "CREATE EXTENSION bedrock_support" to load this file. \quit

------------------------------------------------------------------------------
-- Types
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
COMMENT ON TYPE support.priority IS
    'Ticket priority P1 (critical) to P4 (low); accepts P1..P4, 1..4, critical/high/medium/low in any case; sorts most urgent first';

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
COMMENT ON FUNCTION support.priority_in(cstring) IS 'text input of support.priority';
COMMENT ON FUNCTION support.priority_out(support.priority) IS 'text output of support.priority: P1..P4';
COMMENT ON FUNCTION support.priority_recv(internal) IS 'binary input of support.priority';
COMMENT ON FUNCTION support.priority_send(support.priority) IS 'binary output of support.priority';

CREATE OPERATOR support.< (LEFTARG = support.priority, RIGHTARG = support.priority,
    FUNCTION = support.priority_lt, COMMUTATOR = OPERATOR(support.>), NEGATOR = OPERATOR(support.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR support.<= (LEFTARG = support.priority, RIGHTARG = support.priority,
    FUNCTION = support.priority_le, COMMUTATOR = OPERATOR(support.>=), NEGATOR = OPERATOR(support.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR support.= (LEFTARG = support.priority, RIGHTARG = support.priority,
    FUNCTION = support.priority_eq, COMMUTATOR = OPERATOR(support.=), NEGATOR = OPERATOR(support.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR support.<> (LEFTARG = support.priority, RIGHTARG = support.priority,
    FUNCTION = support.priority_ne, COMMUTATOR = OPERATOR(support.<>), NEGATOR = OPERATOR(support.=),
    RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR support.>= (LEFTARG = support.priority, RIGHTARG = support.priority,
    FUNCTION = support.priority_ge, COMMUTATOR = OPERATOR(support.<=), NEGATOR = OPERATOR(support.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel);
CREATE OPERATOR support.> (LEFTARG = support.priority, RIGHTARG = support.priority,
    FUNCTION = support.priority_gt, COMMUTATOR = OPERATOR(support.<), NEGATOR = OPERATOR(support.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel);

CREATE OPERATOR CLASS support.priority_ops DEFAULT FOR TYPE support.priority USING btree AS
    OPERATOR 1 support.<,
    OPERATOR 2 support.<=,
    OPERATOR 3 support.=,
    OPERATOR 4 support.>=,
    OPERATOR 5 support.>,
    FUNCTION 1 support.priority_cmp(support.priority, support.priority);
CREATE OPERATOR CLASS support.priority_hash_ops DEFAULT FOR TYPE support.priority USING hash AS
    OPERATOR 1 support.=,
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

CREATE FUNCTION support.priority_more_urgent(support.priority, support.priority) RETURNS support.priority
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION support.priority_less_urgent(support.priority, support.priority) RETURNS support.priority
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.priority_more_urgent(support.priority, support.priority) IS 'the more urgent of two priorities';
COMMENT ON FUNCTION support.priority_less_urgent(support.priority, support.priority) IS 'the less urgent of two priorities';
CREATE AGGREGATE support.min(support.priority) (
    SFUNC = support.priority_more_urgent, STYPE = support.priority,
    SORTOP = OPERATOR(support.<), COMBINEFUNC = support.priority_more_urgent, PARALLEL = SAFE);
CREATE AGGREGATE support.max(support.priority) (
    SFUNC = support.priority_less_urgent, STYPE = support.priority,
    SORTOP = OPERATOR(support.>), COMBINEFUNC = support.priority_less_urgent, PARALLEL = SAFE);
COMMENT ON AGGREGATE support.min(support.priority) IS 'the most urgent priority of a set';
COMMENT ON AGGREGATE support.max(support.priority) IS 'the least urgent priority of a set';

CREATE FUNCTION support.priority_label(support.priority) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.priority_label(support.priority) IS
    'the handbook''s name of the level: Critical, High, Medium or Low';

CREATE TYPE support.ticket_status AS ENUM
    ('new', 'triaged', 'in_progress', 'pending_client', 'resolved', 'closed');
COMMENT ON TYPE support.ticket_status IS
    'ticket lifecycle: new -> triaged -> in_progress <-> pending_client; in_progress -> resolved -> closed; resolved -> in_progress (reopen)';

CREATE TYPE support.account_role AS ENUM ('admin', 'campaign_manager', 'reporting_manager');
COMMENT ON TYPE support.account_role IS
    'the handbook''s client user roles: Admin, Campaign Manager, Reporting Manager';

CREATE TYPE support.event_kind AS ENUM (
    'created', 'public_reply', 'internal_note', 'client_message',
    'status_change', 'priority_change', 'tier_change', 'assignee_change',
    'resolution', 'rating', 'escalation', 'notification');
COMMENT ON TYPE support.event_kind IS 'what a ticket event records';

CREATE TYPE support.actor_kind AS ENUM ('agent', 'client', 'system');
COMMENT ON TYPE support.actor_kind IS 'who caused an event: a support agent, a client user, or the system';

CREATE TYPE support.visibility AS ENUM ('public', 'internal');
COMMENT ON TYPE support.visibility IS 'public events are part of the conversation with the client; internal ones are for support staff only';

CREATE FUNCTION support.check_time_zone(text) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.check_time_zone(text) IS
    'true for a time zone name PostgreSQL knows (an IANA name); raises 22023 for anything else';

------------------------------------------------------------------------------
-- Restoring extension tables
------------------------------------------------------------------------------

-- pg_dump dumps the data of the configuration tables (seeded and added rows
-- alike) and pg_restore replays it after CREATE EXTENSION has seeded them
-- again. Sessions with row_security = off are such restores (pg_dump and
-- pg_restore set it); for them a row whose key already exists replaces the
-- seeded row instead of failing, so edited seed rows keep their edits.
CREATE FUNCTION support.restore_config_row() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    key_column text := TG_ARGV[0];
    assignments text;
    replaced integer;
BEGIN
    IF current_setting('row_security') <> 'off' THEN
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
END $$;
COMMENT ON FUNCTION support.restore_config_row() IS
    'during a restore (row_security = off), turns the insert of an existing configuration key into an update of the seeded row';

------------------------------------------------------------------------------
-- Configuration: the handbook as data, editable by a support manager
------------------------------------------------------------------------------

CREATE TABLE support.tiers (
    tier                  smallint PRIMARY KEY CHECK (tier BETWEEN 1 AND 3),
    name                  text NOT NULL,
    responsibilities      text[] NOT NULL DEFAULT '{}',
    skills_required       text[] NOT NULL DEFAULT '{}',
    initial_response      interval NOT NULL CHECK (initial_response > interval '0'),
    resolution_target     interval CHECK (resolution_target > interval '0'),
    escalation_threshold  interval CHECK (escalation_threshold > interval '0'),
    escalation_condition  text,
    business_hours_only   boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE support.tiers IS
    'support tiers 1-3 with the handbook''s response, resolution and escalation targets (NULL resolution target: variable with complexity)';

CREATE TABLE support.sla_policies (
    priority              support.priority PRIMARY KEY,
    name                  text NOT NULL,
    criteria              text[] NOT NULL DEFAULT '{}',
    response_target       interval NOT NULL CHECK (response_target > interval '0'),
    resolution_target     interval NOT NULL CHECK (resolution_target > interval '0'),
    update_cadence        interval NOT NULL CHECK (update_cadence > interval '0'),
    update_cadence_unit   text NOT NULL CHECK (update_cadence_unit IN ('elapsed', 'business_hours', 'business_days')),
    clock                 text NOT NULL CHECK (clock IN ('24x7', 'business')),
    escalation_ratio      numeric(4,3) NOT NULL DEFAULT 0.8 CHECK (escalation_ratio > 0 AND escalation_ratio <= 1)
);
COMMENT ON TABLE support.sla_policies IS
    'per-priority targets: first response, resolution, update cadence, which clock runs (24x7 or the account calendar) and the share of a target after which a breach is imminent';

CREATE TABLE support.categories (
    category          text PRIMARY KEY CHECK (category ~ '^[a-z][a-z0-9_]*$'),
    name              text NOT NULL,
    description       text NOT NULL DEFAULT '',
    default_priority  support.priority NOT NULL,
    default_tier      smallint NOT NULL REFERENCES support.tiers,
    required_skill    text NOT NULL,
    symptoms          text[] NOT NULL DEFAULT '{}',
    diagnostic_steps  text[] NOT NULL DEFAULT '{}',
    common_solutions  text[] NOT NULL DEFAULT '{}',
    active            boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE support.categories IS
    'issue categories with their default priority and tier, the skill they need, and the handbook''s symptoms, diagnostic steps and common solutions';

CREATE TABLE support.channels (
    channel           text PRIMARY KEY CHECK (channel ~ '^[a-z][a-z0-9_]*$'),
    name              text NOT NULL,
    address           text,
    hours             text NOT NULL,
    response_target   interval CHECK (response_target > interval '0'),
    use_cases         text[] NOT NULL DEFAULT '{}',
    active            boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE support.channels IS 'the channels through which tickets arrive, with their hours and acknowledgment targets';

CREATE TABLE support.internal_channels (
    name              text PRIMARY KEY CHECK (name ~ '^#[a-z0-9_-]+$'),
    purpose           text NOT NULL
);
COMMENT ON TABLE support.internal_channels IS 'internal Slack channels of the support team and what each is for';

CREATE TABLE support.templates (
    template          text PRIMARY KEY CHECK (template ~ '^[a-z][a-z0-9_]*$'),
    name              text NOT NULL,
    subject           text NOT NULL,
    body              text NOT NULL
);
COMMENT ON TABLE support.templates IS 'client communication templates with the handbook''s [placeholders]';

CREATE TABLE support.troubleshooting_steps (
    step              smallint PRIMARY KEY CHECK (step > 0),
    name              text NOT NULL,
    time_box          text NOT NULL,
    actions           text[] NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE support.troubleshooting_steps IS 'the standard troubleshooting methodology, step by step with its time boxes';

CREATE SEQUENCE support.calendar_id_seq;
CREATE TABLE support.calendar (
    calendar_id       bigint PRIMARY KEY DEFAULT nextval('support.calendar_id_seq'),
    name              text NOT NULL UNIQUE,
    hours             text NOT NULL
        CHECK (hours ~* '^\s*(24x7|[a-z ,;:0-9-]+@\s*[A-Za-z_/+0-9-]+)\s*$'),
    holidays          date[] NOT NULL DEFAULT '{}'
);
ALTER SEQUENCE support.calendar_id_seq OWNED BY support.calendar.calendar_id;
COMMENT ON TABLE support.calendar IS
    'business calendars: weekly hours in a time zone (''mon-fri 09:00-17:00 @ America/New_York'' or ''24x7'') and local holiday dates';

------------------------------------------------------------------------------
-- Tenants: accounts, their users, support staff
------------------------------------------------------------------------------

CREATE SEQUENCE support.account_id_seq;
CREATE TABLE support.accounts (
    account_id        bigint PRIMARY KEY DEFAULT nextval('support.account_id_seq'),
    name              text NOT NULL CHECK (btrim(name) <> ''),
    time_zone         text NOT NULL CHECK (support.check_time_zone(time_zone)),
    calendar_id       bigint NOT NULL REFERENCES support.calendar,
    enterprise        boolean NOT NULL DEFAULT false,
    slack_channel     text CHECK (slack_channel ~ '^#[a-z0-9_-]+$'),
    sensitive         boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT enterprise_accounts_have_slack_channel CHECK (NOT enterprise OR slack_channel IS NOT NULL)
);
ALTER SEQUENCE support.account_id_seq OWNED BY support.accounts.account_id;
COMMENT ON TABLE support.accounts IS
    'client companies: time zone, support calendar, enterprise (dedicated Slack channel) and sensitive (assuming their users needs a manager''s approval)';

-- Account users and support staff share one id space, so an event's actor
-- or a key's user is one number whichever table it lives in.
CREATE SEQUENCE support.user_id_seq;

CREATE TABLE support.account_users (
    account_id        bigint NOT NULL REFERENCES support.accounts,
    user_id           bigint NOT NULL DEFAULT nextval('support.user_id_seq'),
    email             text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    full_name         text NOT NULL CHECK (btrim(full_name) <> ''),
    role              support.account_role NOT NULL,
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, user_id),
    UNIQUE (account_id, email)
);
COMMENT ON TABLE support.account_users IS 'client users, each with exactly one of the handbook''s roles';

CREATE TABLE support.agents (
    agent_id          bigint PRIMARY KEY DEFAULT nextval('support.user_id_seq'),
    email             text NOT NULL UNIQUE CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    full_name         text NOT NULL CHECK (btrim(full_name) <> ''),
    tier              smallint NOT NULL REFERENCES support.tiers,
    skills            text[] NOT NULL DEFAULT '{}',
    is_super_user     boolean NOT NULL DEFAULT false,
    is_support_manager boolean NOT NULL DEFAULT false,
    on_shift          boolean NOT NULL DEFAULT false,
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE support.agents IS
    'support staff: tier, skills, super-user and support-manager flags, whether on shift';
CREATE INDEX agents_routing_idx ON support.agents (tier) WHERE active AND on_shift;

------------------------------------------------------------------------------
-- Tickets and their case history
------------------------------------------------------------------------------

CREATE SEQUENCE support.ticket_id_seq START 10001;
CREATE TABLE support.tickets (
    account_id        bigint NOT NULL REFERENCES support.accounts,
    ticket_id         bigint NOT NULL DEFAULT nextval('support.ticket_id_seq'),
    requester_id      bigint NOT NULL,
    subject           text NOT NULL CHECK (btrim(subject) <> '' AND length(subject) <= 200),
    description       text NOT NULL DEFAULT '',
    channel           text NOT NULL REFERENCES support.channels,
    category          text NOT NULL REFERENCES support.categories,
    priority          support.priority NOT NULL,
    tier              smallint NOT NULL DEFAULT 1 REFERENCES support.tiers,
    status            support.ticket_status NOT NULL DEFAULT 'new',
    assignee_id       bigint REFERENCES support.agents,
    -- the handbook's priority criteria
    service_outage             boolean NOT NULL DEFAULT false,
    revenue_impact             boolean NOT NULL DEFAULT false,
    security_or_data_integrity boolean NOT NULL DEFAULT false,
    campaign_delivery_failure  boolean NOT NULL DEFAULT false,
    peak_period                boolean NOT NULL DEFAULT false,
    api_failure                boolean NOT NULL DEFAULT false,
    workaround_available       boolean NOT NULL DEFAULT false,
    multi_client_impact        boolean NOT NULL DEFAULT false,
    -- lifecycle milestones, written only by the lifecycle trigger
    created_at            timestamptz NOT NULL DEFAULT now(),
    triaged_at            timestamptz,
    first_response_at     timestamptz,
    last_public_reply_at  timestamptz,
    work_started_at       timestamptz,
    pending_since         timestamptz,
    paused_total          interval NOT NULL DEFAULT '0',
    resolved_at           timestamptz,
    closed_at             timestamptz,
    reopened_at           timestamptz,
    reopen_count          integer NOT NULL DEFAULT 0,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    -- resolution and satisfaction
    root_cause            text,
    solution              text,
    verification_steps    text,
    prevention_measures   text,
    satisfaction_rating   smallint CHECK (satisfaction_rating BETWEEN 1 AND 5),
    satisfaction_comment  text,
    rated_at              timestamptz,
    PRIMARY KEY (account_id, ticket_id),
    FOREIGN KEY (account_id, requester_id) REFERENCES support.account_users (account_id, user_id)
);
ALTER SEQUENCE support.ticket_id_seq OWNED BY support.tickets.ticket_id;
COMMENT ON TABLE support.tickets IS
    'support tickets: who asked, through which channel, category, priority, tier, lifecycle status and milestones, resolution and satisfaction';
CREATE INDEX tickets_number_idx ON support.tickets (ticket_id);
CREATE INDEX tickets_open_idx ON support.tickets (account_id, status) WHERE status <> 'closed';
CREATE INDEX tickets_assignee_idx ON support.tickets (assignee_id) WHERE status NOT IN ('resolved', 'closed');

CREATE SEQUENCE support.event_id_seq;
CREATE TABLE support.ticket_events (
    account_id        bigint NOT NULL,
    event_id          bigint NOT NULL DEFAULT nextval('support.event_id_seq'),
    ticket_id         bigint NOT NULL,
    kind              support.event_kind NOT NULL,
    actor_id          bigint,
    actor_kind        support.actor_kind NOT NULL,
    visibility        support.visibility NOT NULL,
    body              text,
    old_value         text,
    new_value         text,
    details           jsonb NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, event_id),
    FOREIGN KEY (account_id, ticket_id) REFERENCES support.tickets (account_id, ticket_id),
    CONSTRAINT messages_have_a_body
        CHECK (kind NOT IN ('public_reply', 'internal_note', 'client_message') OR btrim(body) <> '')
);
ALTER SEQUENCE support.event_id_seq OWNED BY support.ticket_events.event_id;
COMMENT ON TABLE support.ticket_events IS
    'append-only case history of every ticket: replies, notes, client messages, changes, escalations and notifications, with actor and time';
CREATE INDEX ticket_events_ticket_idx ON support.ticket_events (account_id, ticket_id, event_id);

------------------------------------------------------------------------------
-- Lifecycle and history triggers
------------------------------------------------------------------------------

CREATE FUNCTION support.ticket_lifecycle_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION support.ticket_lifecycle_trigger() IS
    'enforces the lifecycle state machine and writes the milestone timestamps (SQLSTATE 55000 for an illegal transition)';
CREATE TRIGGER ticket_lifecycle BEFORE INSERT OR UPDATE ON support.tickets
    FOR EACH ROW EXECUTE FUNCTION support.ticket_lifecycle_trigger();

CREATE FUNCTION support.ticket_event_stamp_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION support.ticket_event_stamp_trigger() IS 'stamps each new event with the server''s time';
CREATE TRIGGER ticket_event_stamp BEFORE INSERT ON support.ticket_events
    FOR EACH ROW EXECUTE FUNCTION support.ticket_event_stamp_trigger();

CREATE FUNCTION support.ticket_event_effects_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION support.ticket_event_effects_trigger() IS
    'an agent''s public reply records the first response; a client message resumes a ticket pending on the client';
CREATE TRIGGER ticket_event_effects AFTER INSERT ON support.ticket_events
    FOR EACH ROW WHEN (NEW.kind IN ('public_reply', 'client_message'))
    EXECUTE FUNCTION support.ticket_event_effects_trigger();

CREATE FUNCTION support.refuse_history_change_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION support.refuse_history_change_trigger() IS
    'keeps a history table append-only: updates, deletes and truncation raise 42501';
CREATE TRIGGER ticket_events_append_only BEFORE UPDATE OR DELETE ON support.ticket_events
    FOR EACH ROW EXECUTE FUNCTION support.refuse_history_change_trigger();
CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON support.ticket_events
    FOR EACH STATEMENT EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE FUNCTION support.actor_kind_of(actor_id bigint) RETURNS support.actor_kind
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE
        WHEN actor_id IS NULL THEN 'system'::support.actor_kind
        WHEN EXISTS (SELECT 1 FROM support.agents a WHERE a.agent_id OPERATOR(pg_catalog.=) actor_id)
            THEN 'agent'::support.actor_kind
        ELSE 'client'::support.actor_kind
    END
$$;
COMMENT ON FUNCTION support.actor_kind_of(bigint) IS 'agent, client or system for a user id (NULL: system)';

CREATE FUNCTION support.current_actor_id() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT NULLIF(COALESCE(current_setting('support.actor_id', true), '0'), '0')::bigint
$$;
COMMENT ON FUNCTION support.current_actor_id() IS 'the support.actor_id setting, NULL when unset';

-- Set-based: one INSERT per statement, however many tickets it touched.
CREATE FUNCTION support.log_ticket_creation() RETURNS trigger
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
                              'priority', n.priority::text, 'tier', n.tier)
      FROM new_tickets n;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.log_ticket_creation() IS 'records a created event for every new ticket';
CREATE TRIGGER ticket_created_events AFTER INSERT ON support.tickets
    REFERENCING NEW TABLE AS new_tickets
    FOR EACH STATEMENT EXECUTE FUNCTION support.log_ticket_creation();

CREATE FUNCTION support.log_ticket_changes() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    actor bigint := support.current_actor_id();
    reason text := NULLIF(current_setting('support.change_reason', true), '');
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
COMMENT ON FUNCTION support.log_ticket_changes() IS
    'records status, priority, tier and assignee changes as events, with the actor (support.actor_id) and reason (support.change_reason)';
CREATE TRIGGER ticket_changed_events AFTER UPDATE ON support.tickets
    REFERENCING OLD TABLE AS old_tickets NEW TABLE AS new_tickets
    FOR EACH STATEMENT EXECUTE FUNCTION support.log_ticket_changes();

------------------------------------------------------------------------------
-- Workflow functions an application calls
------------------------------------------------------------------------------

-- Runs one change on behalf of an actor, with an optional reason, and puts
-- the previous settings back so later statements are not misattributed.
CREATE FUNCTION support.set_actor(actor_id bigint, reason text DEFAULT NULL) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT set_config('support.actor_id', COALESCE(actor_id, 0)::text, true),
           set_config('support.change_reason', COALESCE(reason, ''), true);
$$;
COMMENT ON FUNCTION support.set_actor(bigint, text) IS
    'sets support.actor_id and support.change_reason for the rest of the transaction';

CREATE FUNCTION support.locked_ticket(ticket_id bigint) RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    existing support.tickets;
BEGIN
    SELECT * INTO existing FROM support.tickets t
     WHERE t.ticket_id OPERATOR(pg_catalog.=) locked_ticket.ticket_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ticket % does not exist', ticket_id
              USING ERRCODE = 'no_data_found', HINT = 'Ticket numbers are shown as #N in every message.';
    END IF;
    RETURN existing;
END $$;
COMMENT ON FUNCTION support.locked_ticket(bigint) IS 'the ticket, locked for update; P0002 when there is none';

CREATE FUNCTION support.require_agent(agent_id bigint) RETURNS support.agents
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    agent support.agents;
BEGIN
    SELECT * INTO agent FROM support.agents a WHERE a.agent_id OPERATOR(pg_catalog.=) require_agent.agent_id;
    IF NOT FOUND OR NOT agent.active THEN
        RAISE EXCEPTION 'user % is not an active support agent', agent_id
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Only support staff (support.agents) may do this.';
    END IF;
    RETURN agent;
END $$;
COMMENT ON FUNCTION support.require_agent(bigint) IS 'the active agent with this id; 42501 otherwise';

CREATE FUNCTION support.require_client(account_id bigint, user_id bigint) RETURNS support.account_users
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    client_user support.account_users;
BEGIN
    SELECT * INTO client_user FROM support.account_users u
     WHERE u.account_id OPERATOR(pg_catalog.=) require_client.account_id
       AND u.user_id OPERATOR(pg_catalog.=) require_client.user_id;
    IF NOT FOUND OR NOT client_user.active THEN
        RAISE EXCEPTION 'user % is not an active user of account %', user_id, account_id
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Clients act only on their own account''s tickets.';
    END IF;
    RETURN client_user;
END $$;
COMMENT ON FUNCTION support.require_client(bigint, bigint) IS 'the active user of that account; 42501 otherwise';

CREATE FUNCTION support.require_text(value text, what text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF value IS NULL OR btrim(value) = '' THEN
        RAISE EXCEPTION '% must not be empty', what
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN value;
END $$;
COMMENT ON FUNCTION support.require_text(text, text) IS 'the text itself; 22023 naming it when it is NULL or blank';

CREATE FUNCTION support.require_not_closed(ticket support.tickets) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF ticket.status = 'closed' THEN
        RAISE EXCEPTION 'ticket % is closed', ticket.ticket_id
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Open a new ticket that refers to this one.';
    END IF;
END $$;
COMMENT ON FUNCTION support.require_not_closed(support.tickets) IS
    'raises 55000 for a closed ticket: the conversation on it is over';

CREATE FUNCTION support.open_ticket(
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
    chosen support.categories;
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
    SELECT * INTO chosen FROM support.categories c
     WHERE c.category OPERATOR(pg_catalog.=) open_ticket.category AND c.active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown ticket category "%"', category
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Categories are listed in support.categories.';
    END IF;

    PERFORM support.set_actor(COALESCE(created_by, requester_id));
    INSERT INTO support.tickets AS t
           (account_id, requester_id, subject, description, channel, category, priority, tier,
            service_outage, revenue_impact, security_or_data_integrity, campaign_delivery_failure,
            peak_period, api_failure, workaround_available, multi_client_impact)
    VALUES (open_ticket.account_id, open_ticket.requester_id, btrim(open_ticket.subject),
            COALESCE(open_ticket.description, ''), open_ticket.channel, open_ticket.category,
            COALESCE(open_ticket.priority, chosen.default_priority), chosen.default_tier,
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
    'opens a ticket for a client user (created_by: the agent who took a phone or Slack request); priority and tier default from the category';

CREATE FUNCTION support.add_event(
    ticket support.tickets, kind support.event_kind, actor_id bigint,
    visibility support.visibility, body text, details jsonb DEFAULT '{}'
) RETURNS bigint
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
COMMENT ON FUNCTION support.add_event(support.tickets, support.event_kind, bigint, support.visibility, text, jsonb) IS
    'appends one event to a ticket''s history on behalf of an actor';

CREATE FUNCTION support.reply_publicly(ticket_id bigint, agent_id bigint, body text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(reply_publicly.ticket_id);
BEGIN
    PERFORM support.require_agent(agent_id);
    PERFORM support.require_text(body, 'reply body');
    PERFORM support.require_not_closed(ticket);
    RETURN support.add_event(ticket, 'public_reply', agent_id, 'public', body);
END $$;
COMMENT ON FUNCTION support.reply_publicly(bigint, bigint, text) IS
    'an agent''s reply to the client; the first one records the first response';

CREATE FUNCTION support.add_internal_note(ticket_id bigint, agent_id bigint, body text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(add_internal_note.ticket_id);
BEGIN
    PERFORM support.require_agent(agent_id);
    PERFORM support.require_text(body, 'note body');
    RETURN support.add_event(ticket, 'internal_note', agent_id, 'internal', body);
END $$;
COMMENT ON FUNCTION support.add_internal_note(bigint, bigint, text) IS
    'a note for support staff only, never shown to the client';

CREATE FUNCTION support.post_client_message(ticket_id bigint, user_id bigint, body text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(post_client_message.ticket_id);
BEGIN
    PERFORM support.require_client(ticket.account_id, user_id);
    PERFORM support.require_text(body, 'message body');
    PERFORM support.require_not_closed(ticket);
    RETURN support.add_event(ticket, 'client_message', user_id, 'public', body);
END $$;
COMMENT ON FUNCTION support.post_client_message(bigint, bigint, text) IS
    'a message from a user of the ticket''s account; resumes a ticket pending on the client';

CREATE FUNCTION support.change_status(
    ticket_id bigint, status support.ticket_status, actor_id bigint, reason text DEFAULT NULL
) RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.change_status(bigint, support.ticket_status, bigint, text) IS
    'moves a ticket through its lifecycle on behalf of an agent (55000 for an illegal transition)';

CREATE FUNCTION support.assign_ticket(ticket_id bigint, assignee_id bigint, actor_id bigint) RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.assign_ticket(bigint, bigint, bigint) IS 'gives a ticket to an agent';

CREATE FUNCTION support.change_priority(
    ticket_id bigint, priority support.priority, actor_id bigint, reason text
) RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.change_priority(bigint, support.priority, bigint, text) IS
    'an agent''s priority override, with the reason recorded in the event';

CREATE FUNCTION support.resolve_ticket(
    ticket_id bigint, agent_id bigint, root_cause text, solution text,
    verification_steps text DEFAULT NULL, prevention_measures text DEFAULT NULL
) RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.resolve_ticket(bigint, bigint, text, text, text, text) IS
    'resolves a ticket in progress, documenting root cause, solution, verification and prevention';

CREATE FUNCTION support.close_ticket(ticket_id bigint, actor_id bigint) RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.close_ticket(bigint, bigint) IS
    'closes a resolved ticket; the client confirming the fix or an agent may close it';

CREATE FUNCTION support.rate_ticket(ticket_id bigint, user_id bigint, rating integer, comment text DEFAULT NULL)
RETURNS support.tickets
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.rate_ticket(bigint, bigint, integer, text) IS
    'the client''s satisfaction rating (1-5) of a resolved or closed ticket';

------------------------------------------------------------------------------
-- The handbook's defaults
------------------------------------------------------------------------------

INSERT INTO support.tiers VALUES
 (1, 'First-Line Support',
  ARRAY['Initial client contact and issue triage', 'Basic troubleshooting and FAQ resolution',
        'Account access and login assistance', 'Campaign setup guidance and best practices',
        'Standard reporting and dashboard support', 'Documentation of issues and client interactions'],
  ARRAY['Platform UI navigation and basic functionality', 'Campaign management fundamentals',
        'Reporting and analytics interpretation', 'Basic troubleshooting methodology',
        'Excellent communication and documentation skills'],
  '2 hours', '4 hours', '2 hours', 'no progress', true),
 (2, 'Technical Support',
  ARRAY['Advanced technical troubleshooting', 'Campaign optimization and performance analysis',
        'API integration support and debugging', 'Data discrepancy investigation and resolution',
        'Platform configuration and customization', 'Complex reporting and analytics support'],
  ARRAY['Deep platform technical knowledge', 'API and integration expertise',
        'Database query and analysis capabilities', 'Performance optimization techniques',
        'Advanced troubleshooting and root cause analysis'],
  '1 hour', '8 hours', '4 hours', 'specialized expertise needed', true),
 (3, 'Engineering Support',
  ARRAY['Platform bugs and system issues', 'Infrastructure and performance problems',
        'Feature requests and enhancement evaluation', 'Critical system outages and emergency response',
        'Code-level debugging and fixes', 'Architecture and design consultation'],
  ARRAY['Full platform architecture knowledge', 'Software development and debugging',
        'Infrastructure and DevOps expertise', 'Database administration and optimization',
        'System design and scalability planning'],
  '30 minutes', NULL, NULL, 'executive and product team involvement', false);

INSERT INTO support.sla_policies VALUES
 ('P1', 'Critical',
  ARRAY['Complete service outage affecting revenue', 'Security breaches or data integrity issues',
        'Campaign delivery failures during peak periods', 'API failures preventing critical operations'],
  '15 minutes', '2 hours', '30 minutes', 'elapsed', '24x7', 0.8),
 ('P2', 'High',
  ARRAY['Partial service degradation affecting performance', 'Campaign optimization issues impacting spend',
        'Reporting discrepancies affecting decision-making', 'Integration failures with workarounds available'],
  '1 hour', '4 hours', '2 hours', 'business_hours', 'business', 0.8),
 ('P3', 'Medium',
  ARRAY['Feature requests and enhancement suggestions', 'Non-critical UI issues or cosmetic problems',
        'Training requests and best practice guidance', 'Documentation updates and clarifications'],
  '4 hours', '24 hours', '1 day', 'business_days', 'business', 0.8),
 ('P4', 'Low',
  ARRAY['General inquiries and information requests', 'Scheduled maintenance notifications',
        'Account administration tasks', 'Historical data requests and analysis'],
  '8 hours', '72 hours', '2 days', 'business_days', 'business', 0.8);

INSERT INTO support.categories
    (category, name, description, default_priority, default_tier, required_skill,
     symptoms, diagnostic_steps, common_solutions) VALUES
 ('campaign_performance', 'Campaign Performance Issues',
  'Delivery, pacing, click-through and conversion problems of running campaigns', 'P3', 1, 'campaign_management',
  ARRAY['Low impression delivery or spend pacing', 'Poor click-through or conversion rates',
        'Unexpected campaign pausing or errors', 'Budget utilization problems'],
  ARRAY['Review campaign configuration and targeting settings', 'Analyze bid performance and win rate metrics',
        'Check budget allocation and pacing settings', 'Verify creative approval and compliance status',
        'Examine audience segment availability and size'],
  ARRAY['Adjust bid prices and targeting parameters', 'Optimize audience segments and frequency capping',
        'Review and update creative assets', 'Modify budget allocation and pacing strategies',
        'Implement performance optimization recommendations']),
 ('data_discrepancy', 'Data Discrepancies',
  'Reporting inconsistencies, missing data and attribution problems', 'P2', 2, 'data_analysis',
  ARRAY['Reporting inconsistencies between platforms', 'Missing or delayed data in dashboards',
        'Conversion tracking attribution issues', 'Revenue reconciliation problems'],
  ARRAY['Compare data across multiple reporting sources', 'Check tracking pixel implementation and firing',
        'Verify attribution windows and methodology', 'Analyze data pipeline processing and timing',
        'Review third-party integration configurations'],
  ARRAY['Correct tracking implementation issues', 'Adjust attribution settings and windows',
        'Reconcile data processing timing differences', 'Update integration configurations and mappings',
        'Provide detailed explanation of methodology differences']),
 ('technical_integration', 'Technical Integration Issues',
  'API, data sync, webhook and SDK integration failures', 'P2', 2, 'api_integration',
  ARRAY['API authentication or authorization failures', 'Data sync errors or incomplete transfers',
        'Webhook delivery failures or timeouts', 'SDK integration problems or crashes'],
  ARRAY['Review API credentials and authentication setup', 'Check rate limiting and quota utilization',
        'Analyze request/response logs and error messages', 'Verify endpoint configurations and parameters',
        'Test integration in staging environment'],
  ARRAY['Update API credentials and permissions', 'Implement proper error handling and retry logic',
        'Optimize request patterns and rate limiting', 'Correct endpoint configurations and parameters',
        'Provide updated integration documentation and examples']),
 ('service_outage', 'Service Outage', 'Complete or partial loss of platform service', 'P1', 3, 'infrastructure',
  '{}', '{}', '{}'),
 ('security', 'Security or Data Integrity', 'Security breaches and data integrity issues', 'P1', 3, 'security',
  '{}', '{}', '{}'),
 ('platform_bug', 'Platform Bug', 'Defects in platform behaviour needing code-level debugging', 'P2', 3, 'software_engineering',
  '{}', '{}', '{}'),
 ('infrastructure', 'Infrastructure and Performance', 'Infrastructure and performance problems', 'P2', 3, 'infrastructure',
  '{}', '{}', '{}'),
 ('complex_reporting', 'Complex Reporting and Analytics', 'Advanced reporting and analytics questions', 'P3', 2, 'reporting',
  '{}', '{}', '{}'),
 ('reporting', 'Standard Reporting and Dashboards', 'Standard reports and dashboard support', 'P3', 1, 'reporting',
  '{}', '{}', '{}'),
 ('account_access', 'Account Access and Login', 'Login and account access assistance', 'P3', 1, 'account_administration',
  '{}', '{}', '{}'),
 ('feature_request', 'Feature Request', 'Feature requests and enhancement suggestions', 'P3', 3, 'product',
  '{}', '{}', '{}'),
 ('ui_issue', 'UI Issue', 'Non-critical UI issues or cosmetic problems', 'P3', 1, 'platform_ui',
  '{}', '{}', '{}'),
 ('training', 'Training and Best Practices', 'Training requests and best practice guidance', 'P3', 1, 'campaign_management',
  '{}', '{}', '{}'),
 ('documentation', 'Documentation', 'Documentation updates and clarifications', 'P3', 1, 'documentation',
  '{}', '{}', '{}'),
 ('general_inquiry', 'General Inquiry', 'General inquiries and information requests', 'P4', 1, 'platform_ui',
  '{}', '{}', '{}'),
 ('maintenance', 'Scheduled Maintenance', 'Scheduled maintenance notifications', 'P4', 1, 'platform_ui',
  '{}', '{}', '{}'),
 ('account_administration', 'Account Administration', 'Account administration tasks', 'P4', 1, 'account_administration',
  '{}', '{}', '{}'),
 ('historical_data', 'Historical Data Request', 'Historical data requests and analysis', 'P4', 2, 'data_analysis',
  '{}', '{}', '{}');

INSERT INTO support.channels VALUES
 ('email', 'Email Support', 'support@bedrockplatform.com', '24/7 monitoring, business hours response', '2 hours',
  ARRAY['General inquiries', 'Non-urgent issues'], true),
 ('slack', 'Slack Integration', NULL, 'Dedicated client channels for enterprise customers', NULL,
  ARRAY['Real-time communication and collaboration', 'Screen sharing and live troubleshooting',
        'Direct access to technical team members'], true),
 ('portal', 'Platform Support Portal', NULL, 'Integrated help system within customer UI', NULL,
  ARRAY['Contextual help and documentation', 'Ticket submission and tracking', 'Knowledge base and FAQ access'], true),
 ('phone', 'Emergency Hotline', NULL, 'Business hours with on-call coverage', '15 minutes',
  ARRAY['Critical issues', 'Automatic escalation for revenue-impacting issues'], true),
 ('api', 'API and Integrations', NULL, 'Automatic ticket creation from integrations such as Jira', NULL,
  ARRAY['Automatic ticket creation from support emails', 'Issue tracking and assignment workflows'], true),
 ('monitoring', 'Proactive Monitoring', NULL, 'Automated issue detection, around the clock', NULL,
  ARRAY['Campaign performance anomaly detection', 'API error rate and latency monitoring',
        'Data quality and discrepancy detection'], true);

INSERT INTO support.internal_channels VALUES
 ('#client-support', 'General support coordination'),
 ('#support-escalations', 'Tier 2/3 escalations'),
 ('#critical-issues', 'Emergency response coordination'),
 ('#client-feedback', 'Feature requests and feedback');

INSERT INTO support.troubleshooting_steps VALUES
 (1, 'Problem Identification', '5-10 minutes',
  ARRAY['Gather detailed problem description from client', 'Identify affected systems, campaigns, or features',
        'Determine timeline and frequency of issues', 'Collect relevant account and configuration details']),
 (2, 'Information Gathering', '10-15 minutes',
  ARRAY['Review client account configuration and settings', 'Check recent campaign changes and modifications',
        'Analyze system logs and error messages', 'Verify platform status and recent deployments']),
 (3, 'Initial Diagnosis', '15-30 minutes',
  ARRAY['Reproduce issue in staging or test environment', 'Identify potential root causes and contributing factors',
        'Check for known issues and existing solutions', 'Determine if issue is client-specific or platform-wide']),
 (4, 'Solution Implementation', 'Variable',
  ARRAY['Apply appropriate fix or workaround', 'Test solution thoroughly before client deployment',
        'Document solution steps and verification process', 'Communicate resolution approach to client']),
 (5, 'Verification & Follow-up', '10-15 minutes',
  ARRAY['Confirm issue resolution with client', 'Monitor for recurrence or related issues',
        'Update documentation and knowledge base', 'Schedule follow-up communication if needed']);

INSERT INTO support.templates VALUES
 ('initial_response', 'Initial Response',
  '[Ticket #12345] - Issue Acknowledgment - [Brief Description]',
  $t$Dear [Client Name],

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
Bedrock Platform Support Team$t$),
 ('progress_update', 'Progress Update',
  '[Ticket #12345] - Progress Update - [Brief Description]',
  $t$Dear [Client Name],

We wanted to provide you with an update on the resolution of your support request.

Current Status:
- Investigation Progress: [Detailed progress description]
- Findings: [Key discoveries or root cause identification]
- Next Steps: [Planned actions and timeline]

Expected Resolution:
- Timeline: [Updated estimate]
- Dependencies: [Any blocking factors]
- Testing Plan: [Verification approach]

If you have any questions or additional information that might help with the resolution, please don't hesitate to reach out.

Best regards,
[Support Engineer Name]
Bedrock Platform Support Team$t$),
 ('resolution_confirmation', 'Resolution Confirmation',
  '[Ticket #12345] - Resolution Confirmation - [Brief Description]',
  $t$Dear [Client Name],

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
Bedrock Platform Support Team$t$);

INSERT INTO support.calendar (name, hours) VALUES
 ('Around the clock (on-call coverage)', '24x7'),
 ('Business hours, UTC', 'mon-fri 09:00-17:00 @ UTC');

------------------------------------------------------------------------------
-- Restore behaviour, dump registration, row-level security
------------------------------------------------------------------------------

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.tiers
    FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('tier');
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.sla_policies
    FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('priority');
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.categories
    FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('category');
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.channels
    FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('channel');
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.internal_channels
    FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('name');
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.templates
    FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('template');
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.troubleshooting_steps
    FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('step');
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.calendar
    FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('calendar_id');

-- Every table holds data a restore must bring back: configuration (seeded
-- and added rows) and everything tenants and staff create.
-- (one call a statement: each call updates the extension's catalog row)
SELECT pg_catalog.pg_extension_config_dump('support.tiers', '');
SELECT pg_catalog.pg_extension_config_dump('support.sla_policies', '');
SELECT pg_catalog.pg_extension_config_dump('support.categories', '');
SELECT pg_catalog.pg_extension_config_dump('support.channels', '');
SELECT pg_catalog.pg_extension_config_dump('support.internal_channels', '');
SELECT pg_catalog.pg_extension_config_dump('support.templates', '');
SELECT pg_catalog.pg_extension_config_dump('support.troubleshooting_steps', '');
SELECT pg_catalog.pg_extension_config_dump('support.calendar', '');
SELECT pg_catalog.pg_extension_config_dump('support.calendar_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('support.accounts', '');
SELECT pg_catalog.pg_extension_config_dump('support.account_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('support.user_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('support.account_users', '');
SELECT pg_catalog.pg_extension_config_dump('support.agents', '');
SELECT pg_catalog.pg_extension_config_dump('support.tickets', '');
SELECT pg_catalog.pg_extension_config_dump('support.ticket_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('support.ticket_events', '');
SELECT pg_catalog.pg_extension_config_dump('support.event_id_seq', '');

-- Row-level security is on for every table; without a policy only the
-- owner and roles that bypass RLS see rows.
ALTER TABLE support.tiers ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.sla_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.categories ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.channels ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.internal_channels ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.troubleshooting_steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.calendar ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.account_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE support.ticket_events ENABLE ROW LEVEL SECURITY;
