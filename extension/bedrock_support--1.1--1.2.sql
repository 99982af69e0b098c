-- bedrock_support 1.1 -> 1.2: the SLA engine. Business hours as a type,
-- business-time arithmetic, calendars of that type, and the deadlines every
-- ticket carries, with an event trail per SLA target.
\echo Use "ALTER EXTENSION bedrock_support UPDATE TO '1.2'" to load this file. \quit

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

CREATE FUNCTION support.business_hours_eq(support.business_hours, support.business_hours) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION support.business_hours_ne(support.business_hours, support.business_hours) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION support.business_hours_eq(support.business_hours, support.business_hours) IS 'true when two schedules have the same hours and zone';
COMMENT ON FUNCTION support.business_hours_ne(support.business_hours, support.business_hours) IS 'true when two schedules differ';
CREATE OPERATOR support.= (
    LEFTARG = support.business_hours, RIGHTARG = support.business_hours,
    FUNCTION = support.business_hours_eq, COMMUTATOR = OPERATOR(support.=),
    NEGATOR = OPERATOR(support.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR support.<> (
    LEFTARG = support.business_hours, RIGHTARG = support.business_hours,
    FUNCTION = support.business_hours_ne, COMMUTATOR = OPERATOR(support.<>),
    NEGATOR = OPERATOR(support.=), RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR support.= (support.business_hours, support.business_hours) IS 'same hours and zone';
COMMENT ON OPERATOR support.<> (support.business_hours, support.business_hours) IS 'different hours or zone';

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
CREATE OPERATOR support.< (LEFTARG = support.business_hours, RIGHTARG = support.business_hours,
    FUNCTION = support.business_hours_lt, COMMUTATOR = OPERATOR(support.>), NEGATOR = OPERATOR(support.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR support.<= (LEFTARG = support.business_hours, RIGHTARG = support.business_hours,
    FUNCTION = support.business_hours_le, COMMUTATOR = OPERATOR(support.>=), NEGATOR = OPERATOR(support.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR support.> (LEFTARG = support.business_hours, RIGHTARG = support.business_hours,
    FUNCTION = support.business_hours_gt, COMMUTATOR = OPERATOR(support.<), NEGATOR = OPERATOR(support.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR support.>= (LEFTARG = support.business_hours, RIGHTARG = support.business_hours,
    FUNCTION = support.business_hours_ge, COMMUTATOR = OPERATOR(support.<=), NEGATOR = OPERATOR(support.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel);
COMMENT ON OPERATOR support.< (support.business_hours, support.business_hours) IS 'sorts before (stable order for grouping)';
COMMENT ON OPERATOR support.<= (support.business_hours, support.business_hours) IS 'sorts before or equal (stable order for grouping)';
COMMENT ON OPERATOR support.> (support.business_hours, support.business_hours) IS 'sorts after (stable order for grouping)';
COMMENT ON OPERATOR support.>= (support.business_hours, support.business_hours) IS 'sorts after or equal (stable order for grouping)';
CREATE OPERATOR CLASS support.business_hours_ops DEFAULT FOR TYPE support.business_hours USING btree AS
    OPERATOR 1 support.< , OPERATOR 2 support.<= , OPERATOR 3 support.= ,
    OPERATOR 4 support.>= , OPERATOR 5 support.> ,
    FUNCTION 1 support.business_hours_cmp(support.business_hours, support.business_hours);
COMMENT ON OPERATOR CLASS support.business_hours_ops USING btree IS 'stable order of business hours, for sorting and grouping';
CREATE OPERATOR CLASS support.business_hours_hash_ops DEFAULT FOR TYPE support.business_hours USING hash AS
    OPERATOR 1 support.= ,
    FUNCTION 1 support.business_hours_hash(support.business_hours);
COMMENT ON OPERATOR CLASS support.business_hours_hash_ops USING hash IS 'equality of business hours by hashing';

CREATE FUNCTION support.weekly_hours(hours support.business_hours) RETURNS interval
    AS 'MODULE_PATHNAME', 'business_hours_weekly' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.weekly_hours(support.business_hours) IS
    'business time in a week without holidays (wall-clock length; 168:00:00 for 24x7)';

------------------------------------------------------------------------------
-- Business-time arithmetic
------------------------------------------------------------------------------

CREATE FUNCTION support.business_add(start timestamptz, amount interval,
                                     hours support.business_hours, holidays date[] DEFAULT '{}')
    RETURNS timestamptz
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.business_add(timestamptz, interval, support.business_hours, date[]) IS
    'the earliest instant x >= start such that the business time in [start, x) equals amount (22023 for a negative amount)';

CREATE FUNCTION support.business_diff("from" timestamptz, "to" timestamptz,
                                      hours support.business_hours, holidays date[] DEFAULT '{}')
    RETURNS interval
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.business_diff(timestamptz, timestamptz, support.business_hours, date[]) IS
    'business time in [from, to), negative when to is before from';

CREATE FUNCTION support.business_days_add(start timestamptz, days integer,
                                          hours support.business_hours, holidays date[] DEFAULT '{}')
    RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'business_days_add_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.business_days_add(timestamptz, integer, support.business_hours, date[]) IS
    'the same local time days business days later (from the next opening if start is outside hours; the next opening if that time is not in hours)';

------------------------------------------------------------------------------
-- Calendars hold business hours; overloads take a calendar id
------------------------------------------------------------------------------

ALTER TABLE support.calendar DROP CONSTRAINT calendar_hours_check;
ALTER TABLE support.calendar
    ALTER COLUMN hours TYPE support.business_hours USING hours::text::support.business_hours;
COMMENT ON COLUMN support.calendar.hours IS 'weekly business hours and their time zone';
COMMENT ON COLUMN support.calendar.holidays IS 'local dates without business hours';

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
COMMENT ON FUNCTION support.calendar_row(bigint) IS 'the calendar with this id; P0002 when there is none';

CREATE FUNCTION support.business_add(start timestamptz, amount interval, calendar_id bigint)
    RETURNS timestamptz
LANGUAGE sql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT support.business_add(start, amount, c.hours, c.holidays) FROM support.calendar_row(calendar_id) c
$$;
COMMENT ON FUNCTION support.business_add(timestamptz, interval, bigint) IS
    'business_add on a calendar''s hours and holidays';

CREATE FUNCTION support.business_diff("from" timestamptz, "to" timestamptz, calendar_id bigint)
    RETURNS interval
LANGUAGE sql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT support.business_diff("from", "to", c.hours, c.holidays) FROM support.calendar_row(calendar_id) c
$$;
COMMENT ON FUNCTION support.business_diff(timestamptz, timestamptz, bigint) IS
    'business_diff on a calendar''s hours and holidays';

CREATE FUNCTION support.business_days_add(start timestamptz, days integer, calendar_id bigint)
    RETURNS timestamptz
LANGUAGE sql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT support.business_days_add(start, days, c.hours, c.holidays) FROM support.calendar_row(calendar_id) c
$$;
COMMENT ON FUNCTION support.business_days_add(timestamptz, integer, bigint) IS
    'business_days_add on a calendar''s hours and holidays';

ALTER TABLE support.sla_policies ADD CONSTRAINT business_day_cadence_in_whole_days
    CHECK (update_cadence_unit <> 'business_days' OR extract(epoch FROM update_cadence) % 86400 = 0);

------------------------------------------------------------------------------
-- The configuration cache of the deadline trigger
------------------------------------------------------------------------------

CREATE FUNCTION support.config_changed() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION support.config_changed() IS
    'drops every backend''s cached copy of the configuration table it fires on, once the change commits';
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON support.sla_policies
    FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON support.calendar
    FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();
CREATE TRIGGER config_changed AFTER UPDATE OR DELETE OR TRUNCATE ON support.accounts
    FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

------------------------------------------------------------------------------
-- Deadlines on tickets
------------------------------------------------------------------------------

ALTER TABLE support.tickets
    ADD COLUMN first_response_due timestamptz,
    ADD COLUMN next_update_due    timestamptz,
    ADD COLUMN resolution_due     timestamptz,
    ADD COLUMN escalation_due     timestamptz,
    ADD COLUMN sla_paused         tstzmultirange NOT NULL DEFAULT '{}';
COMMENT ON COLUMN support.tickets.first_response_due IS 'when the first agent reply is due (kept after it is given, for compliance)';
COMMENT ON COLUMN support.tickets.next_update_due IS 'when the next agent update is due; NULL while the ticket waits on the client or is resolved';
COMMENT ON COLUMN support.tickets.resolution_due IS 'when resolution is due, paused time excluded; NULL while paused unless already breached';
COMMENT ON COLUMN support.tickets.escalation_due IS 'the "SLA breach imminent" mark: the policy''s escalation_ratio of the target now running';
COMMENT ON COLUMN support.tickets.sla_paused IS 'periods in which the resolution clock stood still (pending on the client, or resolved until reopened)';

CREATE FUNCTION support.ticket_sla_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION support.ticket_sla_trigger() IS
    'computes first-response, next-update, resolution and escalation deadlines on business time; the only writer of those columns';
-- Named to fire after ticket_lifecycle, whose milestones it reads.
CREATE TRIGGER ticket_sla_deadlines BEFORE INSERT OR UPDATE ON support.tickets
    FOR EACH ROW EXECUTE FUNCTION support.ticket_sla_trigger();
CREATE INDEX tickets_escalation_due_idx ON support.tickets (escalation_due)
    WHERE escalation_due IS NOT NULL AND status NOT IN ('resolved', 'closed');

------------------------------------------------------------------------------
-- The event trail of every SLA target
------------------------------------------------------------------------------

CREATE TYPE support.sla_target AS ENUM ('first_response', 'next_update', 'resolution');
COMMENT ON TYPE support.sla_target IS 'the three SLA targets a ticket carries';
CREATE TYPE support.sla_event_kind AS ENUM ('activated', 'paused', 'resumed', 'fulfilled', 'breached');
COMMENT ON TYPE support.sla_event_kind IS 'what happened to an SLA target';

CREATE SEQUENCE support.sla_event_id_seq;
-- No foreign key to tickets: rows come only from the triggers below, and
-- ticket_events' key already keeps a ticket from being deleted; a per-row
-- check would double the cost of a bulk ticket insert.
CREATE TABLE support.sla_events (
    account_id        bigint NOT NULL,
    sla_event_id      bigint NOT NULL DEFAULT nextval('support.sla_event_id_seq'),
    ticket_id         bigint NOT NULL,
    target            support.sla_target NOT NULL,
    kind              support.sla_event_kind NOT NULL,
    due               timestamptz,
    occurred_at       timestamptz NOT NULL,
    PRIMARY KEY (account_id, sla_event_id)
);
ALTER SEQUENCE support.sla_event_id_seq OWNED BY support.sla_events.sla_event_id;
COMMENT ON TABLE support.sla_events IS
    'append-only trail of each ticket''s SLA targets: activated, paused, resumed, fulfilled and breached, with the deadline in force';
COMMENT ON COLUMN support.sla_events.due IS 'the deadline in force when the event happened';
COMMENT ON COLUMN support.sla_events.occurred_at IS 'when it happened; for a breach, the deadline that was missed';
CREATE INDEX sla_events_ticket_idx ON support.sla_events (account_id, ticket_id, sla_event_id);
-- A missed deadline is one breach, whoever notices it first.
CREATE UNIQUE INDEX sla_events_one_breach_idx ON support.sla_events (account_id, ticket_id, target, due)
    WHERE kind = 'breached';
CREATE TRIGGER sla_events_append_only BEFORE UPDATE OR DELETE ON support.sla_events
    FOR EACH ROW EXECUTE FUNCTION support.refuse_history_change_trigger();
CREATE TRIGGER sla_events_no_truncate BEFORE TRUNCATE ON support.sla_events
    FOR EACH STATEMENT EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE FUNCTION support.log_sla_activation() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF current_setting('row_security') = 'off' THEN
        RETURN NULL;            -- a restore brings its own trail
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
CREATE TRIGGER ticket_sla_activated AFTER INSERT ON support.tickets
    REFERENCING NEW TABLE AS new_tickets
    FOR EACH STATEMENT EXECUTE FUNCTION support.log_sla_activation();

CREATE FUNCTION support.log_sla_changes() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    changed_at timestamptz := now();
BEGIN
    INSERT INTO support.sla_events (account_id, ticket_id, target, kind, due, occurred_at)
    SELECT n.account_id, n.ticket_id, e.target, e.kind, e.due, e.occurred_at
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
            AND o.resolution_due IS DISTINCT FROM n.resolution_due)
        ) AS e(target, kind, due, occurred_at, happened)
     WHERE e.happened
     ORDER BY n.account_id, n.ticket_id, e.target, e.occurred_at
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.log_sla_changes() IS
    'records SLA targets fulfilled, paused, resumed and re-armed by ticket changes, and the breach of any deadline that passed while its target ran';
CREATE TRIGGER ticket_sla_changed AFTER UPDATE ON support.tickets
    REFERENCING OLD TABLE AS old_tickets NEW TABLE AS new_tickets
    FOR EACH STATEMENT EXECUTE FUNCTION support.log_sla_changes();

------------------------------------------------------------------------------
-- Breach state, in business time
------------------------------------------------------------------------------

CREATE VIEW support.sla_status WITH (security_invoker = true) AS
SELECT t.account_id, t.ticket_id, t.priority, t.status, t.tier, t.assignee_id,
       d.target, d.due,
       support.business_diff(now(), d.due,
                             CASE WHEN d.around_the_clock THEN '24x7'::support.business_hours ELSE c.hours END,
                             CASE WHEN d.around_the_clock THEN '{}'::date[] ELSE c.holidays END) AS remaining,
       d.due <= now() AS breached
  FROM support.tickets t
  JOIN support.accounts a ON a.account_id = t.account_id
  JOIN support.calendar c ON c.calendar_id = a.calendar_id
  JOIN support.sla_policies p ON p.priority = t.priority
 CROSS JOIN LATERAL (VALUES
        ('first_response'::support.sla_target,
         CASE WHEN t.first_response_at IS NULL THEN t.first_response_due END, p.clock = '24x7'),
        ('next_update', t.next_update_due, p.update_cadence_unit = 'elapsed'),
        ('resolution', t.resolution_due, p.clock = '24x7')) AS d(target, due, around_the_clock)
 WHERE t.status NOT IN ('resolved', 'closed')
   AND d.due IS NOT NULL;
COMMENT ON VIEW support.sla_status IS
    'one row per running SLA target of each open ticket: its deadline, the business time remaining (negative when overdue) and whether it is breached';

------------------------------------------------------------------------------
-- Dump registration, row-level security, and deadlines for existing tickets
------------------------------------------------------------------------------

SELECT pg_catalog.pg_extension_config_dump('support.sla_events', '');
SELECT pg_catalog.pg_extension_config_dump('support.sla_event_id_seq', '');
ALTER TABLE support.sla_events ENABLE ROW LEVEL SECURITY;

-- Tickets from before this version get their deadlines (and activation
-- events) now: the trigger computes them for rows that have none. The
-- lifecycle trigger stays out of it, so updated_at keeps its meaning.
ALTER TABLE support.tickets DISABLE TRIGGER ticket_lifecycle;
UPDATE support.tickets SET sla_paused = sla_paused;
ALTER TABLE support.tickets ENABLE TRIGGER ticket_lifecycle;
