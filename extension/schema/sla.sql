-- Calendars and SLA: support.business_hours and business time, the
-- calendars, tiers and SLA policies (the targets), the deadlines every
-- ticket carries (a C trigger) and the SLA trail. (C: src/sla/; reference:
-- doc/sla.md.)

--@section types

CREATE TYPE support.sla_event_kind AS ENUM ('activated', 'paused', 'resumed', 'fulfilled', 'breached');
COMMENT ON TYPE support.sla_event_kind IS 'what happened to an SLA target';

CREATE TYPE support.sla_target AS ENUM ('first_response', 'next_update', 'resolution');
COMMENT ON TYPE support.sla_target IS 'the three SLA targets a ticket carries';

------------------------------------------------------------------------------
-- support.business_hours
------------------------------------------------------------------------------
CREATE TYPE support.business_hours;

CREATE FUNCTION support.business_hours_in(cstring) RETURNS support.business_hours
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION support.business_hours_out(support.business_hours) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION support.business_hours_recv(internal) RETURNS support.business_hours
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION support.business_hours_send(support.business_hours) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Category S: an untyped literal in business_add(t, a, '...') resolves to
-- the schedule overload rather than the calendar-id one. Plain storage:
-- values are small and read in place, never copied to unpack a short header.
CREATE TYPE support.business_hours (
    INPUT = support.business_hours_in,
    OUTPUT = support.business_hours_out,
    RECEIVE = support.business_hours_recv,
    SEND = support.business_hours_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = plain,
    CATEGORY = 'S'
);
COMMENT ON TYPE support.business_hours IS
    'a weekly schedule of local wall-clock hours in an IANA time zone, such as ''mon-fri 09:00-17:00 @ America/New_York'', or ''24x7''';
COMMENT ON FUNCTION support.business_hours_in(cstring) IS 'parses business hours (22P02 for bad syntax, 22023 for a bad value)';
COMMENT ON FUNCTION support.business_hours_out(support.business_hours) IS 'canonical text of business hours, which reads back to an equal value';
COMMENT ON FUNCTION support.business_hours_recv(internal) IS 'binary input of business hours (the canonical text)';
COMMENT ON FUNCTION support.business_hours_send(support.business_hours) IS 'binary output of business hours (the canonical text)';
--@section operators

-- min and max live where the operators do, for the same reason
CREATE AGGREGATE pg_catalog.min(support.priority) (
    SFUNC = support.priority_more_urgent,
    STYPE = support.priority,
    COMBINEFUNC = support.priority_more_urgent,
    SORTOP = OPERATOR(pg_catalog.<),
    PARALLEL = safe
);

CREATE AGGREGATE pg_catalog.max(support.priority) (
    SFUNC = support.priority_less_urgent,
    STYPE = support.priority,
    COMBINEFUNC = support.priority_less_urgent,
    SORTOP = OPERATOR(pg_catalog.>),
    PARALLEL = safe
);
COMMENT ON AGGREGATE pg_catalog.min(support.priority) IS 'the most urgent priority of a set';
COMMENT ON AGGREGATE pg_catalog.max(support.priority) IS 'the least urgent priority of a set';

CREATE FUNCTION support.business_hours_eq(support.business_hours, support.business_hours) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION support.business_hours_ne(support.business_hours, support.business_hours) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION support.business_hours_eq(support.business_hours, support.business_hours) IS 'true when two schedules have the same hours and zone';
COMMENT ON FUNCTION support.business_hours_ne(support.business_hours, support.business_hours) IS 'true when two schedules differ';

CREATE OPERATOR pg_catalog.= (
    LEFTARG = support.business_hours, RIGHTARG = support.business_hours,
    FUNCTION = support.business_hours_eq, COMMUTATOR = OPERATOR(pg_catalog.=),
    NEGATOR = OPERATOR(pg_catalog.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);

CREATE OPERATOR pg_catalog.<> (
    LEFTARG = support.business_hours, RIGHTARG = support.business_hours,
    FUNCTION = support.business_hours_ne, COMMUTATOR = OPERATOR(pg_catalog.<>),
    NEGATOR = OPERATOR(pg_catalog.=), RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR pg_catalog.= (support.business_hours, support.business_hours) IS 'same hours and zone';
COMMENT ON OPERATOR pg_catalog.<> (support.business_hours, support.business_hours) IS 'different hours or zone';

-- GROUP BY, DISTINCT, UNION and joins on schedules need hashing or an
-- order. Schedules have no natural order: the btree class sorts by the
-- stored form, which is arbitrary but stable and agrees with equality.
CREATE FUNCTION support.business_hours_hash(support.business_hours) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION support.business_hours_hash(support.business_hours) IS 'hash of business hours, for hash aggregation and joins';

CREATE FUNCTION support.business_hours_cmp(support.business_hours, support.business_hours) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION support.business_hours_cmp(support.business_hours, support.business_hours) IS
    'a stable total order of schedules (by stored form), for sorting and grouping';

CREATE FUNCTION support.business_hours_lt(support.business_hours, support.business_hours) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION support.business_hours_le(support.business_hours, support.business_hours) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION support.business_hours_gt(support.business_hours, support.business_hours) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION support.business_hours_ge(support.business_hours, support.business_hours) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION support.business_hours_lt(support.business_hours, support.business_hours) IS 'sorts before (stable order for grouping)';
COMMENT ON FUNCTION support.business_hours_le(support.business_hours, support.business_hours) IS 'sorts before or equal (stable order for grouping)';
COMMENT ON FUNCTION support.business_hours_gt(support.business_hours, support.business_hours) IS 'sorts after (stable order for grouping)';
COMMENT ON FUNCTION support.business_hours_ge(support.business_hours, support.business_hours) IS 'sorts after or equal (stable order for grouping)';

CREATE OPERATOR pg_catalog.< (LEFTARG = support.business_hours, RIGHTARG = support.business_hours,
    FUNCTION = support.business_hours_lt, COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel);

CREATE OPERATOR pg_catalog.<= (LEFTARG = support.business_hours, RIGHTARG = support.business_hours,
    FUNCTION = support.business_hours_le, COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel);

CREATE OPERATOR pg_catalog.> (LEFTARG = support.business_hours, RIGHTARG = support.business_hours,
    FUNCTION = support.business_hours_gt, COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel);

CREATE OPERATOR pg_catalog.>= (LEFTARG = support.business_hours, RIGHTARG = support.business_hours,
    FUNCTION = support.business_hours_ge, COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel);
COMMENT ON OPERATOR pg_catalog.< (support.business_hours, support.business_hours) IS 'sorts before (stable order for grouping)';
COMMENT ON OPERATOR pg_catalog.<= (support.business_hours, support.business_hours) IS 'sorts before or equal (stable order for grouping)';
COMMENT ON OPERATOR pg_catalog.> (support.business_hours, support.business_hours) IS 'sorts after (stable order for grouping)';
COMMENT ON OPERATOR pg_catalog.>= (support.business_hours, support.business_hours) IS 'sorts after or equal (stable order for grouping)';

CREATE OPERATOR CLASS support.business_hours_ops DEFAULT FOR TYPE support.business_hours USING btree AS
    OPERATOR 1 pg_catalog.<, OPERATOR 2 pg_catalog.<=, OPERATOR 3 pg_catalog.=,
    OPERATOR 4 pg_catalog.>=, OPERATOR 5 pg_catalog.>,
    FUNCTION 1 support.business_hours_cmp(support.business_hours, support.business_hours),
    FUNCTION 4 pg_catalog.btequalimage(oid);
       -- the canonical form is the stored one: indexes deduplicate
COMMENT ON OPERATOR CLASS support.business_hours_ops USING btree IS 'stable order of business hours, for sorting and grouping';

CREATE OPERATOR CLASS support.business_hours_hash_ops DEFAULT FOR TYPE support.business_hours USING hash AS
    OPERATOR 1 pg_catalog.=,
    FUNCTION 1 support.business_hours_hash(support.business_hours);
COMMENT ON OPERATOR CLASS support.business_hours_hash_ops USING hash IS 'equality of business hours by hashing';
--@section checks

CREATE FUNCTION support.weekly_hours(hours support.business_hours) RETURNS interval
    AS 'MODULE_PATHNAME', 'weekly_hours' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.weekly_hours(support.business_hours) IS
    'business time in a week without holidays (wall-clock length; 168:00:00 for 24x7)';

CREATE FUNCTION support.check_time_zone(text) RETURNS boolean
    LANGUAGE c STABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'check_time_zone';
COMMENT ON FUNCTION support.check_time_zone(text) IS 'true for a time zone name PostgreSQL knows (an IANA name); raises 22023 for anything else';
--@section configuration

CREATE SEQUENCE support.calendar_id_seq;
GRANT USAGE ON SEQUENCE support.calendar_id_seq TO support_manager;

CREATE TABLE support.calendar (
    calendar_id bigint DEFAULT nextval('support.calendar_id_seq') NOT NULL,
    name text NOT NULL,
    hours support.business_hours NOT NULL,
    holidays date[] DEFAULT '{}'::date[] NOT NULL,
    CONSTRAINT calendar_name_key UNIQUE (name),
    CONSTRAINT calendar_pkey PRIMARY KEY (calendar_id)
);
ALTER SEQUENCE support.calendar_id_seq OWNED BY support.calendar.calendar_id;
ALTER TABLE support.calendar ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.calendar IS 'business calendars: weekly hours in a time zone (''mon-fri 09:00-17:00 @ America/New_York'' or ''24x7'') and local holiday dates';
COMMENT ON COLUMN support.calendar.hours IS 'weekly business hours and their time zone';
COMMENT ON COLUMN support.calendar.holidays IS 'local dates without business hours';
GRANT SELECT ON TABLE support.calendar TO support_client, support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.calendar TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.calendar', '');
SELECT pg_catalog.pg_extension_config_dump('support.calendar_id_seq', '');

CREATE TABLE support.tiers (
    tier smallint NOT NULL,
    name text NOT NULL,
    responsibilities text[] DEFAULT '{}' NOT NULL,
    skills_required text[] DEFAULT '{}' NOT NULL,
    initial_response interval NOT NULL,
    resolution_target interval,
    escalation_threshold interval,
    escalation_condition text,
    business_hours_only boolean DEFAULT true NOT NULL,
    targets_apply_to support.priority[] DEFAULT '{P1,P2,P3,P4}'::support.priority[] NOT NULL,
    CONSTRAINT tiers_escalation_threshold_check CHECK ((EXTRACT(epoch FROM escalation_threshold) > (0)::numeric) AND (escalation_threshold <= '1 year')),
    CONSTRAINT tiers_initial_response_check CHECK ((EXTRACT(epoch FROM initial_response) > (0)::numeric) AND (initial_response <= '30 days')),
    CONSTRAINT tiers_resolution_target_check CHECK ((EXTRACT(epoch FROM resolution_target) > (0)::numeric) AND (resolution_target <= '1 year')),
    CONSTRAINT tiers_tier_check CHECK ((tier >= 1) AND (tier <= 3)),
    CONSTRAINT tiers_pkey PRIMARY KEY (tier)
);
ALTER TABLE support.tiers ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.tiers IS 'support tiers 1-3 with the handbook''s response, resolution and escalation targets (NULL resolution target: variable with complexity)';
COMMENT ON COLUMN support.tiers.targets_apply_to IS 'the priorities whose tickets the tier''s initial_response and resolution_target apply to, from when a ticket enters the tier, beside its priority''s targets (the earliest "breach imminent" mark of them all escalates); empty: for reference only. Seeded: tiers 1 and 2 every priority, tier 3 (its 30 minutes are for critical issues) P1';
GRANT SELECT ON TABLE support.tiers TO support_client, support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.tiers TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.tiers', '');

CREATE TABLE support.sla_policies (
    priority support.priority NOT NULL,
    name text NOT NULL,
    criteria text[] DEFAULT '{}' NOT NULL,
    response_target interval NOT NULL,
    resolution_target interval NOT NULL,
    update_cadence interval NOT NULL,
    update_cadence_unit text NOT NULL,
    clock text NOT NULL,
    escalation_ratio numeric(4,3) DEFAULT 0.8 NOT NULL,
    follow_up_after interval DEFAULT '24:00:00' NOT NULL,
    auto_close_after interval DEFAULT '72:00:00' NOT NULL,
    escalation_call_within interval DEFAULT '02:00:00' NOT NULL,
    escalated_update_cadence interval DEFAULT '02:00:00' NOT NULL,
    executive_update_cadence interval DEFAULT '01:00:00' NOT NULL,
    post_incident_review_within interval DEFAULT '5 days' NOT NULL,
    CONSTRAINT business_day_cadence_in_whole_days CHECK ((update_cadence_unit <> 'business_days') OR ((EXTRACT(epoch FROM update_cadence) % (86400)::numeric) = (0)::numeric)),
    CONSTRAINT sla_policies_auto_close_after_check CHECK ((EXTRACT(epoch FROM auto_close_after) > (0)::numeric) AND (auto_close_after <= '1 year')),
    CONSTRAINT sla_policies_clock_check CHECK (clock = ANY (ARRAY['24x7', 'business'])),
    CONSTRAINT sla_policies_escalated_update_cadence_check CHECK ((EXTRACT(epoch FROM escalated_update_cadence) > (0)::numeric) AND (escalated_update_cadence <= '30 days')),
    CONSTRAINT sla_policies_escalation_call_within_check CHECK ((EXTRACT(epoch FROM escalation_call_within) > (0)::numeric) AND (escalation_call_within <= '30 days')),
    CONSTRAINT sla_policies_escalation_ratio_check CHECK ((escalation_ratio > (0)::numeric) AND (escalation_ratio <= (1)::numeric)),
    CONSTRAINT sla_policies_executive_update_cadence_check CHECK ((EXTRACT(epoch FROM executive_update_cadence) > (0)::numeric) AND (executive_update_cadence <= '30 days')),
    CONSTRAINT sla_policies_follow_up_after_check CHECK ((EXTRACT(epoch FROM follow_up_after) > (0)::numeric) AND (follow_up_after <= '1 year')),
    CONSTRAINT sla_policies_post_incident_review_within_check CHECK ((EXTRACT(epoch FROM post_incident_review_within) > (0)::numeric) AND (post_incident_review_within <= '1 year')),
    CONSTRAINT sla_policies_resolution_target_check CHECK ((EXTRACT(epoch FROM resolution_target) > (0)::numeric) AND (resolution_target <= '1 year')),
    CONSTRAINT sla_policies_response_target_check CHECK ((EXTRACT(epoch FROM response_target) > (0)::numeric) AND (response_target <= '30 days')),
    CONSTRAINT sla_policies_update_cadence_check CHECK ((EXTRACT(epoch FROM update_cadence) > (0)::numeric) AND (update_cadence <= '30 days')),
    CONSTRAINT sla_policies_update_cadence_unit_check CHECK (update_cadence_unit = ANY (ARRAY['elapsed', 'business_hours', 'business_days'])),
    CONSTRAINT sla_policies_pkey PRIMARY KEY (priority)
);
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
--@section tables

CREATE SEQUENCE support.sla_event_id_seq;

-- drawn only by the deadline triggers and the worker
REVOKE ALL ON SEQUENCE support.sla_event_id_seq FROM PUBLIC;

-- No foreign key to tickets: rows come only from the triggers below, and
-- ticket_events' key already keeps a ticket from being deleted; a per-row
-- check would double the cost of a bulk ticket insert.
CREATE TABLE support.sla_events (
    account_id bigint NOT NULL,
    sla_event_id bigint DEFAULT nextval('support.sla_event_id_seq') NOT NULL,
    ticket_id bigint NOT NULL,
    target support.sla_target NOT NULL,
    kind support.sla_event_kind NOT NULL,
    due timestamp with time zone,
    occurred_at timestamp with time zone NOT NULL,
    CONSTRAINT sla_events_pkey PRIMARY KEY (account_id, sla_event_id)
);

CREATE UNIQUE INDEX sla_events_one_breach_idx ON support.sla_events USING btree (account_id, ticket_id, target, due) WHERE (kind = 'breached'::support.sla_event_kind);

CREATE INDEX sla_events_ticket_idx ON support.sla_events USING btree (account_id, ticket_id, sla_event_id);
ALTER SEQUENCE support.sla_event_id_seq OWNED BY support.sla_events.sla_event_id;
ALTER TABLE support.sla_events ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.sla_events IS 'append-only trail of each ticket''s SLA targets: activated, paused, resumed, fulfilled and breached, with the deadline in force';
COMMENT ON COLUMN support.sla_events.due IS 'the deadline in force when the event happened';
COMMENT ON COLUMN support.sla_events.occurred_at IS 'when it happened; for a breach, the deadline that was missed';
GRANT SELECT ON TABLE support.sla_events TO support_client, support_agent, support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.sla_events', '');
SELECT pg_catalog.pg_extension_config_dump('support.sla_event_id_seq', '');
--@section functions

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

-- SLA: the deadlines every ticket carries (computed in C by
-- ticket_40_sla_deadlines) and their trail of events.
CREATE FUNCTION support.log_sla_activation() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF support.restoring() THEN
        RETURN NULL;            -- the dump brings its own trail
    END IF;
    INSERT INTO support.sla_events (account_id, ticket_id, target, kind, due, occurred_at)
    SELECT n.account_id, n.ticket_id, d.target, 'activated', d.due, n.created_at
      FROM new_tickets n
     CROSS JOIN LATERAL (VALUES ('first_response'::support.sla_target, n.first_response_due),
                                ('next_update', n.next_update_due),
                                ('resolution', n.resolution_due)) AS d(target, due)
     WHERE d.due IS NOT NULL;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.log_sla_activation() IS 'records the activation of every SLA target of new tickets';
REVOKE ALL ON FUNCTION support.log_sla_activation() FROM PUBLIC;

CREATE FUNCTION support.log_sla_changes() RETURNS trigger
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

CREATE FUNCTION support.record_breach(ticket support.tickets, target support.sla_target, due timestamp with time zone) RETURNS void
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

CREATE FUNCTION support.ticket_sla_trigger() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'ticket_sla_trigger';
COMMENT ON FUNCTION support.ticket_sla_trigger() IS 'computes first-response, next-update, resolution and escalation deadlines on business time; the only writer of those columns';
REVOKE ALL ON FUNCTION support.ticket_sla_trigger() FROM PUBLIC;

-- The one writer of the SLA trail's changes and breaches: the trigger's rows
-- in their order, and the worker's breach at a deadline. A breach is kept
-- once, whichever of the two sees it first (sla_events_one_breach_idx).
CREATE FUNCTION support.record_sla_events(events support.sla_events[]) RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO support.sla_events (account_id, ticket_id, target, kind, due, occurred_at)
    SELECT e.account_id, e.ticket_id, e.target, e.kind, e.due, e.occurred_at
      FROM unnest(events) WITH ORDINALITY AS e
     ORDER BY e.ordinality
        ON CONFLICT DO NOTHING
$$;
COMMENT ON FUNCTION support.record_sla_events(events support.sla_events[]) IS 'inserts SLA events in the order given, a breach once (the trail''s one writer of changes and breaches)';
REVOKE ALL ON FUNCTION support.record_sla_events(events support.sla_events[]) FROM PUBLIC;
-- Which clock each SLA target runs on is the deadline trigger's rule
-- (src/sla/sla_config.c); the status view asks it rather than saying it again.
CREATE FUNCTION support.sla_target_around_the_clock(target text, source text, priority support.priority, tier smallint) RETURNS boolean
    LANGUAGE c STABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'sla_target_around_the_clock';
COMMENT ON FUNCTION support.sla_target_around_the_clock(target text, source text, priority support.priority, tier smallint) IS 'whether a ticket''s SLA target (first_response, next_update or resolution, of the priority or the tier) runs around the clock rather than on the account''s business calendar, as the deadline trigger computes it';

--@section views

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
            CASE WHEN t.first_response_at IS NULL THEN t.first_response_due END),
        ('first_response', 'tier', t.tier_response_due),
        ('next_update', 'priority', t.next_update_due),
        ('resolution', 'priority', t.resolution_due),
        ('resolution', 'tier', t.tier_resolution_due)
        ) v(target, source, due)
     CROSS JOIN LATERAL (SELECT v.target, v.source, v.due,
            support.sla_target_around_the_clock(v.target::text, v.source, t.priority, t.tier)) d(target, source, due, around_the_clock)
  WHERE t.status <> ALL (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status])
    AND d.due IS NOT NULL;
COMMENT ON VIEW support.sla_status IS 'one row per running SLA target of each open ticket, the priority''s and the current tier''s (source): its deadline, the business time remaining (negative when overdue) and whether it is breached';
GRANT SELECT ON TABLE support.sla_status TO support_client, support_agent, support_manager;
--@section triggers

CREATE TRIGGER config_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON support.calendar FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER config_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON support.sla_policies FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER config_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON support.tiers FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.calendar FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('calendar_id');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.sla_policies FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('priority');

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.tiers FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('tier');

CREATE TRIGGER sla_events_append_only BEFORE DELETE OR UPDATE ON support.sla_events FOR EACH ROW EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER sla_events_no_truncate BEFORE TRUNCATE ON support.sla_events FOR EACH STATEMENT EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER ticket_70_sla_activated AFTER INSERT ON support.tickets REFERENCING NEW TABLE AS new_tickets FOR EACH STATEMENT EXECUTE FUNCTION support.log_sla_activation();

CREATE TRIGGER ticket_70_sla_changed AFTER UPDATE ON support.tickets REFERENCING OLD TABLE AS old_tickets NEW TABLE AS new_tickets FOR EACH STATEMENT EXECUTE FUNCTION support.log_sla_changes();

CREATE TRIGGER ticket_40_sla_deadlines BEFORE INSERT OR UPDATE ON support.tickets FOR EACH ROW EXECUTE FUNCTION support.ticket_sla_trigger();
--@section policies

CREATE POLICY agent_sla_history ON support.sla_events
    FOR SELECT TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND (EXISTS ( SELECT 1
   FROM support.tickets t
  WHERE ((t.account_id = sla_events.account_id) AND (t.ticket_id = sla_events.ticket_id)))));

CREATE POLICY client_sla_history ON support.sla_events
    FOR SELECT TO support_client
    USING (((SELECT support.current_key_kind()) = 'client') AND (account_id = (SELECT support.current_account_id())));

CREATE POLICY manager_sla_history ON support.sla_events
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));
--@section seeds

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

INSERT INTO support.sla_policies (priority, name, criteria, response_target, resolution_target, update_cadence, update_cadence_unit, clock, escalation_ratio, follow_up_after, auto_close_after, escalation_call_within, escalated_update_cadence, executive_update_cadence) VALUES
	('P1', 'Critical', '{"Complete service outage affecting revenue","Security breaches or data integrity issues","Campaign delivery failures during peak periods","API failures preventing critical operations"}', '00:15:00', '02:00:00', '00:30:00', 'elapsed', '24x7', 0.800, '24:00:00', '72:00:00', '02:00:00', '02:00:00', '01:00:00'),
	('P2', 'High', '{"Partial service degradation affecting performance","Campaign optimization issues impacting spend","Reporting discrepancies affecting decision-making","Integration failures with workarounds available"}', '01:00:00', '04:00:00', '02:00:00', 'business_hours', 'business', 0.800, '24:00:00', '72:00:00', '02:00:00', '02:00:00', '01:00:00'),
	('P3', 'Medium', '{"Feature requests and enhancement suggestions","Non-critical UI issues or cosmetic problems","Training requests and best practice guidance","Documentation updates and clarifications"}', '04:00:00', '24:00:00', '1 day', 'business_days', 'business', 0.800, '24:00:00', '72:00:00', '02:00:00', '02:00:00', '01:00:00'),
	('P4', 'Low', '{"General inquiries and information requests","Scheduled maintenance notifications","Account administration tasks","Historical data requests and analysis"}', '08:00:00', '72:00:00', '2 days', 'business_days', 'business', 0.800, '24:00:00', '72:00:00', '02:00:00', '02:00:00', '01:00:00');
