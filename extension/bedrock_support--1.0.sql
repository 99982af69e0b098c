-- bedrock_support 1.0, assembled by make from extension/schema/*.sql:
-- edit those files, never this one (README, "Releases").
\echo Use "CREATE EXTENSION bedrock_support" to load this file. \quit

-- The sources follow concerns, not the order in which one function's body
-- reads another file's tables; bodies are checked by the tests instead.
SET LOCAL check_function_bodies = off;

-- 00_roles.sql

-- Roles: the NOLOGIN groups an application's login role is granted.
--
-- Roles belong to the cluster, not the database: a second database with
-- the extension finds them made, and DROP EXTENSION leaves them.
DO $$
DECLARE
    group_role text;
BEGIN
    FOREACH group_role IN ARRAY ARRAY['support_client', 'support_agent', 'support_manager',
                                      'support_super_user', 'support_login'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) group_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', group_role);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;           -- another database's CREATE EXTENSION made it meanwhile
            END;
        END IF;
    END LOOP;
END $$;

-- 01_types.sql

-- Types: the desk's enums, support.priority and support.business_hours, and
-- the comparisons that make them usable from any client.
--
-- Where the operators live: a client that does not put schema support on
-- its search_path (psql, a BI tool over JDBC, psycopg2) must still be able
-- to write priority = 'P1', status IN (...), min(priority) or a join on
-- priority, and to bind 'P1' as text or varchar. Operators are looked up
-- through the search_path, and pg_catalog is searched even when not listed
-- (first, then), so the extension's comparison operators are created in
-- pg_catalog, beside those of the core's types: they cannot clash with a
-- core operator (their operands are the extension's types) and no
-- temporary object can shadow them. Their functions stay in support.
-- A text or varchar value reaches them through an implicit cast of the
-- value (I/O conversion), so an index on the column is still used.

------------------------------------------------------------------------------
-- Enums
------------------------------------------------------------------------------

CREATE TYPE support.account_role AS ENUM ('admin', 'campaign_manager', 'reporting_manager');
COMMENT ON TYPE support.account_role IS 'the handbook''s client user roles: Admin, Campaign Manager, Reporting Manager';

CREATE TYPE support.actor_kind AS ENUM ('agent', 'client', 'system');
COMMENT ON TYPE support.actor_kind IS 'who caused an event: a support agent, a client user, or the system';

CREATE TYPE support.event_kind AS ENUM (
    'created', 'public_reply', 'internal_note', 'client_message', 'status_change',
    'priority_change', 'tier_change', 'assignee_change', 'resolution', 'rating',
    'escalation', 'notification', 'sla_breach', 'reminder', 'follow_up', 'review_task'
);
COMMENT ON TYPE support.event_kind IS 'what a ticket event records';

CREATE TYPE support.sla_event_kind AS ENUM ('activated', 'paused', 'resumed', 'fulfilled', 'breached');
COMMENT ON TYPE support.sla_event_kind IS 'what happened to an SLA target';

CREATE TYPE support.sla_target AS ENUM ('first_response', 'next_update', 'resolution');
COMMENT ON TYPE support.sla_target IS 'the three SLA targets a ticket carries';

CREATE TYPE support.ticket_status AS ENUM ('new', 'triaged', 'in_progress', 'pending_client', 'resolved', 'closed');
COMMENT ON TYPE support.ticket_status IS 'ticket lifecycle: new -> triaged -> in_progress <-> pending_client; in_progress -> resolved -> closed; resolved -> in_progress (reopen)';

CREATE TYPE support.visibility AS ENUM ('public', 'internal');
COMMENT ON TYPE support.visibility IS 'public events are part of the conversation with the client; internal ones are for support staff only';

-- The escalation worker's actions, in the order of SlaAction in src/sla.h:
-- the C schedule names its actions by these labels, and SQL
-- (support.worker_actions, take_action) by the same, so a name is written once.
CREATE TYPE support.worker_action AS ENUM (
    'escalation_mark', 'first_response_breach', 'update_overdue', 'update_twice_overdue',
    'resolution_breach', 'no_progress', 'escalation_call_overdue', 'post_incident_review',
    'follow_up', 'auto_close'
);
COMMENT ON TYPE support.worker_action IS 'what the escalation worker does at a ticket''s deadlines (support.ticket_actions lists a ticket''s, support.worker_actions how each is recorded)';

-- The core compares enums with polymorphic operators that take two values
-- of one enum type, so a parameter bound as varchar finds no operator.
-- Each enum gets its own: comparison operators over the core's enum
-- functions (called from src/enum_compare.c, one C function per kind of
-- comparison for every enum), default btree and hash classes, and implicit
-- casts from text and varchar. Not LEAKPROOF, as the core's are not.
DO $$
DECLARE
    enum_type text;
    comparison record;
BEGIN
    FOREACH enum_type IN ARRAY ARRAY['account_role', 'actor_kind', 'event_kind', 'sla_event_kind',
                                     'sla_target', 'ticket_status', 'visibility', 'worker_action'] LOOP
        FOR comparison IN
            SELECT * FROM (VALUES
                ('eq', '=',  '=',  '<>', 'eqsel',       'eqjoinsel',       ', HASHES, MERGES'),
                ('ne', '<>', '<>', '=',  'neqsel',      'neqjoinsel',      ''),
                ('lt', '<',  '>',  '>=', 'scalarltsel', 'scalarltjoinsel', ''),
                ('le', '<=', '>=', '>',  'scalarlesel', 'scalarlejoinsel', ''),
                ('gt', '>',  '<',  '<=', 'scalargtsel', 'scalargtjoinsel', ''),
                ('ge', '>=', '<=', '<',  'scalargesel', 'scalargejoinsel', '')
            ) AS c(name, operator, commutator, negator, restrict_estimator, join_estimator, options)
        LOOP
            EXECUTE format('CREATE FUNCTION support.%I(support.%I, support.%I) RETURNS boolean'
                           ' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS ''MODULE_PATHNAME'', %L',
                           enum_type || '_' || comparison.name, enum_type, enum_type,
                           'enum_compare_' || comparison.name);
            EXECUTE format('CREATE OPERATOR pg_catalog.%s (LEFTARG = support.%I, RIGHTARG = support.%I,'
                           ' FUNCTION = support.%I, COMMUTATOR = OPERATOR(pg_catalog.%s),'
                           ' NEGATOR = OPERATOR(pg_catalog.%s), RESTRICT = %s, JOIN = %s%s)',
                           comparison.operator, enum_type, enum_type, enum_type || '_' || comparison.name,
                           comparison.commutator, comparison.negator, comparison.restrict_estimator,
                           comparison.join_estimator, comparison.options);
            EXECUTE format('COMMENT ON FUNCTION support.%I(support.%I, support.%I) IS %L',
                           enum_type || '_' || comparison.name, enum_type, enum_type,
                           format('the %s operator of support.%s (the core''s enum_%s)',
                                  comparison.operator, enum_type, comparison.name));
        END LOOP;
        EXECUTE format('CREATE FUNCTION support.%I(support.%I, support.%I) RETURNS integer'
                       ' LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS ''MODULE_PATHNAME'', ''enum_compare_cmp''',
                       enum_type || '_cmp', enum_type, enum_type);
        EXECUTE format('COMMENT ON FUNCTION support.%I(support.%I, support.%I) IS %L',
                       enum_type || '_cmp', enum_type, enum_type,
                       format('btree comparison of support.%s (the core''s enum_cmp)', enum_type));
        EXECUTE format('CREATE OPERATOR CLASS support.%I DEFAULT FOR TYPE support.%I USING btree AS'
                       ' OPERATOR 1 pg_catalog.<, OPERATOR 2 pg_catalog.<=, OPERATOR 3 pg_catalog.=,'
                       ' OPERATOR 4 pg_catalog.>=, OPERATOR 5 pg_catalog.>, FUNCTION 1 support.%I(support.%I, support.%I)',
                       enum_type || '_ops', enum_type, enum_type || '_cmp', enum_type, enum_type);
        EXECUTE format('CREATE OPERATOR CLASS support.%I DEFAULT FOR TYPE support.%I USING hash AS'
                       ' OPERATOR 1 pg_catalog.=, FUNCTION 1 (support.%I) pg_catalog.hashenum(anyenum),'
                       ' FUNCTION 2 (support.%I) pg_catalog.hashenumextended(anyenum, bigint)',
                       enum_type || '_hash_ops', enum_type, enum_type, enum_type);
        EXECUTE format('CREATE CAST (text AS support.%I) WITH INOUT AS IMPLICIT', enum_type);
        EXECUTE format('CREATE CAST (character varying AS support.%I) WITH INOUT AS IMPLICIT', enum_type);
    END LOOP;
END $$;

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
    FUNCTION 1 support.priority_cmp(support.priority, support.priority);
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

CREATE FUNCTION support.priority_label(support.priority) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.priority_label(support.priority) IS 'the handbook''s name of the level: Critical, High, Medium or Low';

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
    FUNCTION 1 support.business_hours_cmp(support.business_hours, support.business_hours);
COMMENT ON OPERATOR CLASS support.business_hours_ops USING btree IS 'stable order of business hours, for sorting and grouping';
CREATE OPERATOR CLASS support.business_hours_hash_ops DEFAULT FOR TYPE support.business_hours USING hash AS
    OPERATOR 1 pg_catalog.=,
    FUNCTION 1 support.business_hours_hash(support.business_hours);
COMMENT ON OPERATOR CLASS support.business_hours_hash_ops USING hash IS 'equality of business hours by hashing';

CREATE FUNCTION support.weekly_hours(hours support.business_hours) RETURNS interval
    AS 'MODULE_PATHNAME', 'weekly_hours' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION support.weekly_hours(support.business_hours) IS
    'business time in a week without holidays (wall-clock length; 168:00:00 for 24x7)';

------------------------------------------------------------------------------
-- Checks of values, shared by the tables' constraints and the workflow
------------------------------------------------------------------------------

-- one line: a header value or an envelope field never holds a line break
CREATE FUNCTION support.is_one_line(value text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'is_one_line';
COMMENT ON FUNCTION support.is_one_line(value text) IS 'whether value has no CR or LF (text never holds NUL)';

CREATE FUNCTION support.check_time_zone(text) RETURNS boolean
    LANGUAGE c STABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'check_time_zone';
COMMENT ON FUNCTION support.check_time_zone(text) IS 'true for a time zone name PostgreSQL knows (an IANA name); raises 22023 for anything else';

-- An address as RFC 5321 writes one (a dot-atom local part, a domain of
-- labels), at most 254 characters: no CR, LF, NUL, spaces or angle
-- brackets can reach the RCPT TO line or a header. In C (src/address_checks.c):
-- the outbox's constraints check every message a ticket queues.
CREATE FUNCTION support.is_email_address(address text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'is_email_address';
COMMENT ON FUNCTION support.is_email_address(address text) IS 'whether address is an RFC 5321 mailbox (dot-atom local part, domain of labels, at most 254 characters)';

CREATE FUNCTION support.require_text(value text, what text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF value IS NULL OR btrim(value) = '' THEN
        RAISE EXCEPTION '% must not be empty', what
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN value;
END $$;
COMMENT ON FUNCTION support.require_text(value text, what text) IS 'the text itself; 22023 naming it when it is NULL or blank';
REVOKE ALL ON FUNCTION support.require_text(value text, what text) FROM PUBLIC;

-- The PL/pgSQL trigger functions' relation check (the C ones have
-- src/trigger_guard.c): EXECUTE is the owner's alone, this is for a DBA's slip.
CREATE FUNCTION support.require_trigger_table(schema_name name, table_name name, expected name, function_name text) RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF schema_name OPERATOR(pg_catalog.<>) 'support' OR table_name OPERATOR(pg_catalog.<>) expected THEN
        RAISE EXCEPTION 'support.%() fires only on support.%, not on %.%', function_name, expected, schema_name, table_name
              USING ERRCODE = 'trigger_protocol_violated',
                    HINT = 'The extension''s trigger functions are not for other tables.';
    END IF;
END $$;
COMMENT ON FUNCTION support.require_trigger_table(schema_name name, table_name name, expected name, function_name text) IS 'refuses a PL/pgSQL trigger function fired on any table but its own (39P01)';
REVOKE ALL ON FUNCTION support.require_trigger_table(schema_name name, table_name name, expected name, function_name text) FROM PUBLIC;

-- The one test of whether this session restores a dump, in C beside the
-- triggers' relation check (src/trigger_guard.c), for the PL/pgSQL triggers.
CREATE FUNCTION support.restoring() RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION support.restoring() IS 'whether this session restores a dump (row_security = off): triggers then keep rows as given and write nothing of their own';
REVOKE ALL ON FUNCTION support.restoring() FROM PUBLIC;
-- managers' inserts of configuration fire restore_config_row, which asks it
GRANT EXECUTE ON FUNCTION support.restoring() TO support_manager;

-- 02_keys.sql

-- Keys: who a transaction acts for. A login presents a key with SET LOCAL
-- support.auth_key; the C code in src/auth.c checks it once per
-- transaction, and the current_* functions read what it names. Every
-- policy in the files that follow asks them.

-- An application holding a key need not repeat the user the key already
-- names: each workflow function has a form without its actor argument that
-- acts as the key's user (with the actor, it must still be the key's).
CREATE FUNCTION support.key_user_id() RETURNS bigint
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    user_id bigint := support.current_user_id();
BEGIN
    IF user_id IS NULL THEN
        RAISE EXCEPTION 'support.auth_key is not set'
              USING ERRCODE = 'invalid_authorization_specification',
                    HINT = 'This form acts as the key''s user: set support.auth_key, or name the actor.';
    END IF;
    RETURN user_id;
END $$;
COMMENT ON FUNCTION support.key_user_id() IS 'the key''s user; 28000 without a key (the actor of the workflow''s key-only forms)';

CREATE SEQUENCE support.auth_key_id_seq;
GRANT USAGE ON SEQUENCE support.auth_key_id_seq TO support_manager;
CREATE TABLE support.auth_keys (
    key_id bigint NOT NULL,
    key_hash bytea NOT NULL,
    user_id bigint NOT NULL,
    account_id bigint,  -- the client user's account; NULL for staff
    issued_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    second_factor_at timestamp with time zone,  -- issued with a verified TOTP code
    -- an assumed user's key
    assumed_by bigint,
    parent_key_id bigint,
    justification text,
    approval_id bigint,
    idle_timeout interval,
    last_used_at timestamp with time zone DEFAULT now() NOT NULL,
    session_slot integer,
    session_nonce bigint,
    revoked_at timestamp with time zone,
    revoke_reason text,
    CONSTRAINT assumptions_are_complete CHECK (((assumed_by IS NULL) OR ((parent_key_id IS NOT NULL) AND (idle_timeout IS NOT NULL) AND (session_slot IS NOT NULL) AND (session_nonce IS NOT NULL) AND (account_id IS NOT NULL)))),
    CONSTRAINT auth_keys_key_hash_check CHECK ((length(key_hash) = 32))
);
ALTER TABLE ONLY support.auth_keys ALTER COLUMN key_id SET DEFAULT nextval('support.auth_key_id_seq'::regclass);
ALTER TABLE ONLY support.auth_keys
    ADD CONSTRAINT auth_keys_key_hash_key UNIQUE (key_hash);
ALTER TABLE ONLY support.auth_keys
    ADD CONSTRAINT auth_keys_pkey PRIMARY KEY (key_id);
CREATE INDEX auth_keys_active_assumptions_idx ON support.auth_keys USING btree (parent_key_id) WHERE ((assumed_by IS NOT NULL) AND (revoked_at IS NULL));
CREATE INDEX auth_keys_expires_idx ON support.auth_keys USING btree (expires_at);
ALTER SEQUENCE support.auth_key_id_seq OWNED BY support.auth_keys.key_id;
ALTER TABLE support.auth_keys ENABLE ROW LEVEL SECURITY;
-- No group reads keys, not even their hashes: only the owner's functions do.
REVOKE ALL ON TABLE support.auth_keys FROM PUBLIC;
COMMENT ON TABLE support.auth_keys IS 'issued keys, as SHA-256 hashes: whose, until when, and for an assumed user who assumed it, why, its idle limit and the session it dies with';
SELECT pg_catalog.pg_extension_config_dump('support.auth_key_id_seq', '');

CREATE FUNCTION support.auth_key_hash(auth_key text) RETURNS bytea
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'auth_key_hash';
COMMENT ON FUNCTION support.auth_key_hash(auth_key text) IS 'SHA-256 of a key, the form support.auth_keys stores';

CREATE FUNCTION support.auth_key_lookups() RETURNS bigint
    LANGUAGE c PARALLEL SAFE AS 'MODULE_PATHNAME', 'auth_key_lookups';
COMMENT ON FUNCTION support.auth_key_lookups() IS 'how many times this backend has looked a key up: once per transaction and key, however many rows the policies check';

CREATE FUNCTION support.auth_keys_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'auth_keys_changed';
COMMENT ON FUNCTION support.auth_keys_changed() IS 'a key released in this transaction stops working in it at once (drops the cached identity)';
REVOKE ALL ON FUNCTION support.auth_keys_changed() FROM PUBLIC;

-- The role that called: SET ROLE's, else the login's; a SECURITY DEFINER
-- function changes neither (current_user would be the owner there).
CREATE FUNCTION support.calling_role() RETURNS name
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN current_setting('role') OPERATOR(pg_catalog.=) 'none' THEN session_user
                ELSE current_setting('role')::name END
$$;
COMMENT ON FUNCTION support.calling_role() IS 'the role that called: SET ROLE''s, else the session''s login (what a SECURITY DEFINER function''s caller is)';
REVOKE ALL ON FUNCTION support.calling_role() FROM PUBLIC;

CREATE FUNCTION support.current_account_id() RETURNS bigint
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_account_id';
COMMENT ON FUNCTION support.current_account_id() IS 'the account of the key''s client user (NULL for staff or no key)';

-- The actor of history is the key's user; support.actor_id only where no
-- key is set (the worker, a DBA's script).
CREATE FUNCTION support.current_actor_id() RETURNS bigint
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_actor_id';
COMMENT ON FUNCTION support.current_actor_id() IS 'the acting user: the key''s user, else the support.actor_id setting, else NULL';

CREATE FUNCTION support.current_agent_tier() RETURNS smallint
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_agent_tier';
COMMENT ON FUNCTION support.current_agent_tier() IS 'the tier of the key''s support agent (NULL for clients)';

CREATE FUNCTION support.current_assumed_by() RETURNS bigint
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_assumed_by';
COMMENT ON FUNCTION support.current_assumed_by() IS 'the super user who assumed the key''s user (NULL: not an assumption)';

CREATE FUNCTION support.current_has_second_factor() RETURNS boolean
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_has_second_factor';
COMMENT ON FUNCTION support.current_has_second_factor() IS 'whether the key was issued with a verified TOTP code';

CREATE FUNCTION support.current_is_manager() RETURNS boolean
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_is_manager';
COMMENT ON FUNCTION support.current_is_manager() IS 'whether the key is a support manager''s';

CREATE FUNCTION support.current_is_super_user() RETURNS boolean
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_is_super_user';
COMMENT ON FUNCTION support.current_is_super_user() IS 'whether the key is a super user''s own (not an assumed user''s)';

CREATE FUNCTION support.current_key_id() RETURNS bigint
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_key_id';
COMMENT ON FUNCTION support.current_key_id() IS 'the id of the key in support.auth_key';

CREATE FUNCTION support.current_key_kind() RETURNS text
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_key_kind';
COMMENT ON FUNCTION support.current_key_kind() IS 'client, agent, manager or super_user: the kind of the key in support.auth_key, which alone decides whose policies apply (NULL: no key)';

CREATE FUNCTION support.current_user_id() RETURNS bigint
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_user_id';
COMMENT ON FUNCTION support.current_user_id() IS 'the user whose key is in support.auth_key (NULL: no key; an error for a forged, expired or released key)';

CREATE FUNCTION support.current_user_role() RETURNS text
    LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'current_user_role';
COMMENT ON FUNCTION support.current_user_role() IS 'admin, campaign_manager or reporting_manager for a client user; agent, support_manager or super_user for staff';

CREATE FUNCTION support.issue_key(user_id bigint, valid_for interval DEFAULT '08:00:00'::interval, totp_code text DEFAULT NULL::text) RETURNS text
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
        step := support.totp_matching_step(enrolled.secret, totp_code, now());
        IF step IS NULL OR step OPERATOR(pg_catalog.<=) enrolled.last_step THEN
            RAISE EXCEPTION 'the one-time code is not valid'
                  USING ERRCODE = 'invalid_password',
                        HINT = 'Use the current code from the authenticator; each code works once.';
        END IF;
        UPDATE support.staff_totp t SET last_step = step WHERE t.agent_id OPERATOR(pg_catalog.=) issue_key.user_id;
    END IF;
    INSERT INTO support.auth_keys (key_hash, user_id, account_id, expires_at, second_factor_at)
    VALUES (support.auth_key_hash(new_key), issue_key.user_id, client.account_id, now() + valid_for,
            CASE WHEN totp_code IS NOT NULL THEN now() END);
    RETURN new_key;
END $$;
COMMENT ON FUNCTION support.issue_key(user_id bigint, valid_for interval, totp_code text) IS 'the login service''s call: a new key for an active user, valid for valid_for; staff may prove a second factor with totp_code. Shown once, stored as a hash';
REVOKE ALL ON FUNCTION support.issue_key(user_id bigint, valid_for interval, totp_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION support.issue_key(user_id bigint, valid_for interval, totp_code text) TO support_login;

CREATE FUNCTION support.new_auth_key() RETURNS text
    LANGUAGE c STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'new_auth_key';
COMMENT ON FUNCTION support.new_auth_key() IS 'a new key: "bsk_" and 256 bits from pg_strong_random in hex; only its hash is ever stored';
REVOKE ALL ON FUNCTION support.new_auth_key() FROM PUBLIC;

CREATE FUNCTION support.revoke_key(auth_key text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    revoked support.auth_keys;
    ended support.auth_keys;
BEGIN
    UPDATE support.auth_keys k SET revoked_at = now(), revoke_reason = 'logout'
     WHERE k.key_hash OPERATOR(pg_catalog.=) support.auth_key_hash(auth_key) AND k.revoked_at IS NULL
    RETURNING k.* INTO revoked;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'support.auth_key is not a valid key'
              USING ERRCODE = 'invalid_authorization_specification',
                    HINT = 'It was never issued, or was already revoked.';
    END IF;
    IF revoked.assumed_by IS NOT NULL THEN
        PERFORM support.audit_release(revoked, 'released', 'logout');
    END IF;
    -- logging out ends the assumptions made with the key
    FOR ended IN UPDATE support.auth_keys k SET revoked_at = now(), revoke_reason = 'logout'
                  WHERE k.parent_key_id OPERATOR(pg_catalog.=) revoked.key_id AND k.revoked_at IS NULL
                 RETURNING k.* LOOP
        PERFORM support.audit_release(ended, 'released', 'logout');
    END LOOP;
END $$;
COMMENT ON FUNCTION support.revoke_key(auth_key text) IS 'logout: the key stops working, and so do the users assumed with it (audited as released)';

CREATE FUNCTION support.session_alive(slot integer, nonce bigint) RETURNS boolean
    LANGUAGE c STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'session_alive';
COMMENT ON FUNCTION support.session_alive(slot integer, nonce bigint) IS 'whether the backend that had this slot and nonce still runs';
REVOKE ALL ON FUNCTION support.session_alive(slot integer, nonce bigint) FROM PUBLIC;

CREATE FUNCTION support.session_token(OUT slot integer, OUT nonce bigint) RETURNS record
    LANGUAGE c AS 'MODULE_PATHNAME', 'session_token';
COMMENT ON FUNCTION support.session_token() IS 'this backend''s slot and random nonce, which die with it';
REVOKE ALL ON FUNCTION support.session_token() FROM PUBLIC;

CREATE TRIGGER auth_keys_changed AFTER DELETE OR UPDATE ON support.auth_keys FOR EACH STATEMENT EXECUTE FUNCTION support.auth_keys_changed();

-- 03_configuration.sql

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
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
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
    CONSTRAINT tiers_escalation_threshold_check CHECK ((escalation_threshold > '00:00:00'::interval)),
    CONSTRAINT tiers_initial_response_check CHECK ((initial_response > '00:00:00'::interval)),
    CONSTRAINT tiers_resolution_target_check CHECK ((resolution_target > '00:00:00'::interval)),
    CONSTRAINT tiers_tier_check CHECK (((tier >= 1) AND (tier <= 3)))
);
ALTER TABLE ONLY support.tiers
    ADD CONSTRAINT tiers_pkey PRIMARY KEY (tier);
ALTER TABLE support.tiers ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.tiers IS 'support tiers 1-3 with the handbook''s response, resolution and escalation targets (NULL resolution target: variable with complexity)';
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
    CONSTRAINT business_day_cadence_in_whole_days CHECK (((update_cadence_unit <> 'business_days'::text) OR ((EXTRACT(epoch FROM update_cadence) % (86400)::numeric) = (0)::numeric))),
    CONSTRAINT sla_policies_auto_close_after_check CHECK ((auto_close_after > '00:00:00'::interval)),
    CONSTRAINT sla_policies_clock_check CHECK ((clock = ANY (ARRAY['24x7'::text, 'business'::text]))),
    CONSTRAINT sla_policies_escalated_update_cadence_check CHECK ((escalated_update_cadence > '00:00:00'::interval)),
    CONSTRAINT sla_policies_escalation_call_within_check CHECK ((escalation_call_within > '00:00:00'::interval)),
    CONSTRAINT sla_policies_escalation_ratio_check CHECK (((escalation_ratio > (0)::numeric) AND (escalation_ratio <= (1)::numeric))),
    CONSTRAINT sla_policies_executive_update_cadence_check CHECK ((executive_update_cadence > '00:00:00'::interval)),
    CONSTRAINT sla_policies_follow_up_after_check CHECK ((follow_up_after > '00:00:00'::interval)),
    CONSTRAINT sla_policies_resolution_target_check CHECK ((resolution_target > '00:00:00'::interval)),
    CONSTRAINT sla_policies_response_target_check CHECK ((response_target > '00:00:00'::interval)),
    CONSTRAINT sla_policies_update_cadence_check CHECK ((update_cadence > '00:00:00'::interval)),
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
GRANT SELECT ON TABLE support.sla_policies TO support_client, support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.sla_policies TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.sla_policies', '');

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
    CONSTRAINT templates_template_check CHECK ((template ~ '^[a-z][a-z0-9_]*$'::text))
);
ALTER TABLE ONLY support.templates
    ADD CONSTRAINT templates_pkey PRIMARY KEY (template);
ALTER TABLE support.templates ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.templates IS 'client communication templates with the handbook''s [placeholders]';
GRANT SELECT ON TABLE support.templates TO support_agent;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.templates TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.templates', '');

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
                                        'troubleshooting_steps'] LOOP
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

INSERT INTO support.calendar (calendar_id, name, hours, holidays) VALUES
	(1, 'Around the clock (on-call coverage)', '24x7', '{}'),
	(2, 'Business hours, UTC', 'mon-fri 09:00-17:00 @ UTC', '{}');

SELECT pg_catalog.setval('support.calendar_id_seq', 2, true);

INSERT INTO support.tiers (tier, name, responsibilities, skills_required, initial_response, resolution_target, escalation_threshold, escalation_condition, business_hours_only) VALUES
	(1, 'First-Line Support', '{"Initial client contact and issue triage","Basic troubleshooting and FAQ resolution","Account access and login assistance","Campaign setup guidance and best practices","Standard reporting and dashboard support","Documentation of issues and client interactions"}', '{"Platform UI navigation and basic functionality","Campaign management fundamentals","Reporting and analytics interpretation","Basic troubleshooting methodology","Excellent communication and documentation skills"}', '02:00:00', '04:00:00', '02:00:00', 'no progress', true),
	(2, 'Technical Support', '{"Advanced technical troubleshooting","Campaign optimization and performance analysis","API integration support and debugging","Data discrepancy investigation and resolution","Platform configuration and customization","Complex reporting and analytics support"}', '{"Deep platform technical knowledge","API and integration expertise","Database query and analysis capabilities","Performance optimization techniques","Advanced troubleshooting and root cause analysis"}', '01:00:00', '08:00:00', '04:00:00', 'specialized expertise needed', true),
	(3, 'Engineering Support', '{"Platform bugs and system issues","Infrastructure and performance problems","Feature requests and enhancement evaluation","Critical system outages and emergency response","Code-level debugging and fixes","Architecture and design consultation"}', '{"Full platform architecture knowledge","Software development and debugging","Infrastructure and DevOps expertise","Database administration and optimization","System design and scalability planning"}', '00:30:00', NULL, NULL, 'executive and product team involvement', false);

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

-- 04_identity.sql

-- Identity: client accounts and their users, support agents and their
-- second factors, and the checks the workflow makes of an actor.

CREATE FUNCTION support.enroll_totp(agent_id bigint) RETURNS bytea
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    secret bytea := decode(substr(support.new_auth_key(), 5, 40), 'hex');   -- 160 random bits
BEGIN
    IF NOT EXISTS (SELECT 1 FROM support.agents g
                    WHERE g.agent_id OPERATOR(pg_catalog.=) enroll_totp.agent_id AND g.active) THEN
        RAISE EXCEPTION 'user % is not an active member of support staff', agent_id
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Second factors are enrolled for support.agents.';
    END IF;
    INSERT INTO support.staff_totp AS t (agent_id, secret) VALUES (enroll_totp.agent_id, secret)
    ON CONFLICT ON CONSTRAINT staff_totp_pkey
    DO UPDATE SET secret = EXCLUDED.secret, last_step = 0, enrolled_at = now();
    RETURN secret;
END $$;
COMMENT ON FUNCTION support.enroll_totp(agent_id bigint) IS 'the login service''s call: a new 160-bit TOTP secret for a member of staff, returned once (for the authenticator''s QR code)';
REVOKE ALL ON FUNCTION support.enroll_totp(agent_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION support.enroll_totp(agent_id bigint) TO support_login;

CREATE FUNCTION support.list_accounts_and_users() RETURNS TABLE(account_id bigint, account_name text, sensitive boolean, approved_until timestamp with time zone, user_id bigint, email text, full_name text, role support.account_role)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me bigint := support.require_super_user();
BEGIN
    RETURN QUERY
    SELECT a.account_id, a.name, a.sensitive,
           (SELECT max(p.valid_until) FROM support.assumption_approvals p
             WHERE p.account_id OPERATOR(pg_catalog.=) a.account_id
               AND p.super_user_id OPERATOR(pg_catalog.=) me
               AND p.valid_until OPERATOR(pg_catalog.>) now()),
           u.user_id, u.email, u.full_name, u.role
      FROM support.accounts a
      JOIN support.account_users u ON u.account_id OPERATOR(pg_catalog.=) a.account_id
     WHERE u.active
     ORDER BY a.name, a.account_id, u.role, u.full_name;
END $$;
COMMENT ON FUNCTION support.list_accounts_and_users() IS 'step 1 of the handbook''s assumption: the accounts and their active users a super user may assume, with sensitive accounts'' approval';
REVOKE ALL ON FUNCTION support.list_accounts_and_users() FROM PUBLIC;
GRANT ALL ON FUNCTION support.list_accounts_and_users() TO support_super_user;

-- No caller may pass an actor other than its key's user. Without a key,
-- only a session that bypasses row-level security anyway (a superuser, a
-- DBA's script, the worker) may name one.
CREATE FUNCTION support.require_acting_user(user_id bigint) RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    key_user bigint := support.current_user_id();
BEGIN
    IF key_user IS NULL THEN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                        WHERE r.rolname OPERATOR(pg_catalog.=) session_user
                          AND (r.rolsuper OR r.rolbypassrls)) THEN
            RAISE EXCEPTION 'support.auth_key is not set'
                  USING ERRCODE = 'invalid_authorization_specification',
                        HINT = 'Set it in each transaction to a key from support.issue_key().';
        END IF;
    ELSIF key_user OPERATOR(pg_catalog.<>) user_id THEN
        RAISE EXCEPTION 'the key in support.auth_key belongs to user %, who cannot act as user %', key_user, user_id
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Each user acts only as themselves: pass the key''s own user id.';
    END IF;
END $$;
COMMENT ON FUNCTION support.require_acting_user(user_id bigint) IS 'refuses a workflow call whose acting user is not the key''s user (or, with no key, from a session subject to row-level security)';

-- Account users and support staff share one id space, so an event's actor
-- or a key's user is one number whichever table it lives in.
CREATE SEQUENCE support.user_id_seq;
GRANT USAGE ON SEQUENCE support.user_id_seq TO support_client, support_agent, support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.user_id_seq', '');

CREATE TABLE support.agents (
    agent_id bigint DEFAULT nextval('support.user_id_seq'::regclass) NOT NULL,
    email text NOT NULL,
    full_name text NOT NULL,
    tier smallint NOT NULL,
    skills text[] DEFAULT '{}'::text[] NOT NULL,
    is_super_user boolean DEFAULT false NOT NULL,
    is_support_manager boolean DEFAULT false NOT NULL,
    on_shift boolean DEFAULT false NOT NULL,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    open_tickets integer DEFAULT 0 NOT NULL,
    last_assigned_at timestamp with time zone,
    CONSTRAINT agents_email_check CHECK ((email ~ '^[^@\s]+@[^@\s]+$'::text)),
    CONSTRAINT agents_full_name_check CHECK ((btrim(full_name) <> ''::text)),
    CONSTRAINT agents_open_tickets_check CHECK ((open_tickets >= 0)),
    CONSTRAINT emails_are_addresses CHECK (support.is_email_address(email))
);
ALTER TABLE ONLY support.agents
    ADD CONSTRAINT agents_email_key UNIQUE (email);
ALTER TABLE ONLY support.agents
    ADD CONSTRAINT agents_pkey PRIMARY KEY (agent_id);
ALTER TABLE ONLY support.agents
    ADD CONSTRAINT agents_tier_fkey FOREIGN KEY (tier) REFERENCES support.tiers(tier);
CREATE INDEX agents_routing_idx ON support.agents USING btree (tier) WHERE (active AND on_shift);
ALTER TABLE support.agents ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.agents IS 'support staff: tier, skills, super-user and support-manager flags, whether on shift';
COMMENT ON COLUMN support.agents.open_tickets IS 'open tickets assigned to this agent, kept by the triggers on tickets: the load routing balances';
COMMENT ON COLUMN support.agents.last_assigned_at IS 'when this agent last got a new ticket: among equally loaded agents the one waiting longest goes first';
GRANT SELECT,DELETE ON TABLE support.agents TO support_manager;
GRANT SELECT ON TABLE support.agents TO support_agent;
GRANT INSERT(email),UPDATE(email) ON TABLE support.agents TO support_manager;
GRANT INSERT(full_name),UPDATE(full_name) ON TABLE support.agents TO support_manager;
GRANT INSERT(tier),UPDATE(tier) ON TABLE support.agents TO support_manager;
GRANT INSERT(skills),UPDATE(skills) ON TABLE support.agents TO support_manager;
GRANT INSERT(is_super_user),UPDATE(is_super_user) ON TABLE support.agents TO support_manager;
GRANT INSERT(is_support_manager),UPDATE(is_support_manager) ON TABLE support.agents TO support_manager;
GRANT INSERT(on_shift),UPDATE(on_shift) ON TABLE support.agents TO support_manager;
GRANT INSERT(active),UPDATE(active) ON TABLE support.agents TO support_manager;
GRANT INSERT(created_at),UPDATE(created_at) ON TABLE support.agents TO support_manager;
GRANT INSERT(open_tickets),UPDATE(open_tickets) ON TABLE support.agents TO support_manager;
GRANT INSERT(last_assigned_at),UPDATE(last_assigned_at) ON TABLE support.agents TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.agents', '');

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
COMMENT ON FUNCTION support.require_agent(agent_id bigint) IS 'the active agent with this id; 42501 otherwise';
REVOKE ALL ON FUNCTION support.require_agent(agent_id bigint) FROM PUBLIC;

CREATE SEQUENCE support.account_id_seq;
GRANT USAGE ON SEQUENCE support.account_id_seq TO support_manager;
CREATE TABLE support.accounts (
    account_id bigint NOT NULL,
    name text NOT NULL,
    time_zone text NOT NULL,
    calendar_id bigint NOT NULL,
    enterprise boolean DEFAULT false NOT NULL,
    slack_channel text,
    sensitive boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT accounts_name_check CHECK ((btrim(name) <> ''::text)),
    CONSTRAINT accounts_slack_channel_check CHECK ((slack_channel ~ '^#[a-z0-9_-]+$'::text)),
    CONSTRAINT accounts_time_zone_check CHECK (support.check_time_zone(time_zone)),
    CONSTRAINT enterprise_accounts_have_slack_channel CHECK (((NOT enterprise) OR (slack_channel IS NOT NULL)))
);
ALTER TABLE ONLY support.accounts ALTER COLUMN account_id SET DEFAULT nextval('support.account_id_seq'::regclass);
ALTER TABLE ONLY support.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (account_id);
ALTER TABLE ONLY support.accounts
    ADD CONSTRAINT accounts_calendar_id_fkey FOREIGN KEY (calendar_id) REFERENCES support.calendar(calendar_id);
ALTER SEQUENCE support.account_id_seq OWNED BY support.accounts.account_id;
ALTER TABLE support.accounts ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.accounts IS 'client companies: time zone, support calendar, enterprise (dedicated Slack channel) and sensitive (assuming their users needs a manager''s approval)';
GRANT SELECT,DELETE ON TABLE support.accounts TO support_manager;
GRANT SELECT ON TABLE support.accounts TO support_client, support_agent;
GRANT INSERT(name),UPDATE(name) ON TABLE support.accounts TO support_manager;
GRANT INSERT(time_zone),UPDATE(time_zone) ON TABLE support.accounts TO support_manager;
GRANT INSERT(calendar_id),UPDATE(calendar_id) ON TABLE support.accounts TO support_manager;
GRANT INSERT(enterprise),UPDATE(enterprise) ON TABLE support.accounts TO support_manager;
GRANT INSERT(slack_channel),UPDATE(slack_channel) ON TABLE support.accounts TO support_manager;
GRANT INSERT(sensitive),UPDATE(sensitive) ON TABLE support.accounts TO support_manager;
GRANT INSERT(created_at),UPDATE(created_at) ON TABLE support.accounts TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.accounts', '');
SELECT pg_catalog.pg_extension_config_dump('support.account_id_seq', '');

CREATE TABLE support.account_users (
    account_id bigint NOT NULL,
    user_id bigint DEFAULT nextval('support.user_id_seq'::regclass) NOT NULL,
    email text NOT NULL,
    full_name text NOT NULL,
    role support.account_role NOT NULL,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT account_users_email_check CHECK ((email ~ '^[^@\s]+@[^@\s]+$'::text)),
    CONSTRAINT account_users_full_name_check CHECK ((btrim(full_name) <> ''::text)),
    CONSTRAINT emails_are_addresses CHECK (support.is_email_address(email))
);
ALTER TABLE ONLY support.account_users
    ADD CONSTRAINT account_users_account_id_email_key UNIQUE (account_id, email);
ALTER TABLE ONLY support.account_users
    ADD CONSTRAINT account_users_pkey PRIMARY KEY (account_id, user_id);
ALTER TABLE ONLY support.account_users
    ADD CONSTRAINT account_users_account_id_fkey FOREIGN KEY (account_id) REFERENCES support.accounts(account_id);
ALTER TABLE support.account_users ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.account_users IS 'client users, each with exactly one of the handbook''s roles';
GRANT SELECT,DELETE ON TABLE support.account_users TO support_manager, support_client;
GRANT SELECT ON TABLE support.account_users TO support_agent;
GRANT INSERT(account_id) ON TABLE support.account_users TO support_client, support_manager;
GRANT INSERT(email),UPDATE(email) ON TABLE support.account_users TO support_client, support_manager;
GRANT INSERT(full_name),UPDATE(full_name) ON TABLE support.account_users TO support_client, support_manager;
GRANT INSERT(role),UPDATE(role) ON TABLE support.account_users TO support_client, support_manager;
GRANT INSERT(active),UPDATE(active) ON TABLE support.account_users TO support_client, support_manager;
GRANT INSERT(created_at),UPDATE(created_at) ON TABLE support.account_users TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.account_users', '');

-- A client's Reporting Manager reads; the workflow's client writes refuse it.
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
    IF support.current_user_id() OPERATOR(pg_catalog.=) user_id
       AND client_user.role OPERATOR(pg_catalog.=) 'reporting_manager' THEN
        RAISE EXCEPTION 'a Reporting Manager has read-only access to tickets'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'An Admin or Campaign Manager of the account can do this.';
    END IF;
    RETURN client_user;
END $$;
COMMENT ON FUNCTION support.require_client(account_id bigint, user_id bigint) IS 'the active user of that account; 42501 otherwise';
REVOKE ALL ON FUNCTION support.require_client(account_id bigint, user_id bigint) FROM PUBLIC;

-- Only a super user's own key, issued with a verified second factor.
CREATE FUNCTION support.require_super_user() RETURNS bigint
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF support.current_user_id() IS NULL THEN
        RAISE EXCEPTION 'support.auth_key is not set'
              USING ERRCODE = 'invalid_authorization_specification',
                    HINT = 'Set it to the super user''s own key from support.issue_key().';
    END IF;
    IF support.current_assumed_by() IS NOT NULL THEN
        RAISE EXCEPTION 'an assumed user''s key cannot assume or list users'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Set support.auth_key back to the super user''s own key first.';
    END IF;
    IF NOT support.current_is_super_user() THEN
        RAISE EXCEPTION 'only super users may assume a user''s role'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Super users are support.agents with is_super_user.';
    END IF;
    IF NOT support.current_has_second_factor() THEN
        RAISE EXCEPTION 'the super user''s key was issued without a verified second factor'
              USING ERRCODE = 'invalid_authorization_specification',
                    HINT = 'Log in again with the authenticator''s code: support.issue_key(user_id, valid_for, totp_code).';
    END IF;
    RETURN support.current_user_id();
END $$;
COMMENT ON FUNCTION support.require_super_user() IS 'the calling super user''s id, or an error unless the key is a super user''s own with a verified second factor';
REVOKE ALL ON FUNCTION support.require_super_user() FROM PUBLIC;

-- Runs one change on behalf of an actor, with an optional reason, and puts
-- the previous settings back so later statements are not misattributed.
CREATE FUNCTION support.set_actor(actor_id bigint, reason text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF actor_id IS NOT NULL THEN
        PERFORM support.require_acting_user(actor_id);
    END IF;
    PERFORM set_config('support.actor_id', COALESCE(actor_id, 0)::text, true),
            set_config('support.change_reason', COALESCE(reason, ''), true);
END $$;
COMMENT ON FUNCTION support.set_actor(actor_id bigint, reason text) IS 'sets the acting user and change reason for the rest of the transaction, once the acting user is shown to be the key''s';

CREATE FUNCTION support.totp(secret bytea, at timestamp with time zone DEFAULT now(), digits integer DEFAULT 6, algorithm text DEFAULT 'sha1'::text, step_seconds integer DEFAULT 30) RETURNS text
    LANGUAGE c STABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'totp';
COMMENT ON FUNCTION support.totp(secret bytea, at timestamp with time zone, digits integer, algorithm text, step_seconds integer) IS 'the RFC 6238 code an authenticator shows for secret at a time (sha1, sha256 or sha512; 6 to 9 digits)';

CREATE FUNCTION support.totp_matching_step(secret bytea, code text, at timestamp with time zone) RETURNS bigint
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'totp_matching_step';
COMMENT ON FUNCTION support.totp_matching_step(secret bytea, code text, at timestamp with time zone) IS 'the 30-second step whose code is code, near at (NULL: none); lets the issuer refuse a code used before';

CREATE FUNCTION support.verify_totp(secret bytea, code text) RETURNS boolean
    LANGUAGE c STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'verify_totp';
COMMENT ON FUNCTION support.verify_totp(secret bytea, code text) IS 'whether code (6 or 8 digits, SHA-1, 30 s steps) is secret''s code now, one step either side allowed for clock drift';

CREATE TABLE support.staff_totp (
    agent_id bigint NOT NULL,
    secret bytea NOT NULL,
    last_step bigint DEFAULT 0 NOT NULL,
    enrolled_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT staff_totp_secret_check CHECK ((length(secret) >= 10))
);
ALTER TABLE ONLY support.staff_totp
    ADD CONSTRAINT staff_totp_pkey PRIMARY KEY (agent_id);
ALTER TABLE ONLY support.staff_totp
    ADD CONSTRAINT staff_totp_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES support.agents(agent_id);
ALTER TABLE support.staff_totp ENABLE ROW LEVEL SECURITY;
-- No group reads second-factor secrets: only the owner's functions do.
REVOKE ALL ON TABLE support.staff_totp FROM PUBLIC;
COMMENT ON TABLE support.staff_totp IS 'support staff''s TOTP secrets (RFC 6238) and the last time step used, so a code works once';
SELECT pg_catalog.pg_extension_config_dump('support.staff_totp', '');

GRANT USAGE ON SCHEMA support TO support_client, support_agent, support_manager, support_super_user, support_login;

CREATE TRIGGER config_changed AFTER DELETE OR UPDATE OR TRUNCATE ON support.accounts FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE POLICY agent_read ON support.account_users
    FOR SELECT TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND ((SELECT support.current_agent_tier()) IS NOT NULL));
CREATE POLICY agent_read ON support.accounts
    FOR SELECT TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND ((SELECT support.current_agent_tier()) IS NOT NULL));
CREATE POLICY agent_read ON support.agents
    FOR SELECT TO support_agent
    USING (((SELECT support.current_key_kind()) = 'agent') AND ((SELECT support.current_agent_tier()) IS NOT NULL));
CREATE POLICY client_admin_adds_users ON support.account_users
    FOR INSERT TO support_client
    WITH CHECK (((SELECT support.current_key_kind()) = 'client') AND ((account_id = (SELECT support.current_account_id())) AND ((SELECT support.current_user_role()) = 'admin')));
CREATE POLICY client_admin_edits_users ON support.account_users
    FOR UPDATE TO support_client
    USING (((SELECT support.current_key_kind()) = 'client') AND ((account_id = (SELECT support.current_account_id())) AND ((SELECT support.current_user_role()) = 'admin')))
    WITH CHECK (((SELECT support.current_key_kind()) = 'client') AND (account_id = (SELECT support.current_account_id())));
CREATE POLICY client_admin_removes_users ON support.account_users
    FOR DELETE TO support_client
    USING (((SELECT support.current_key_kind()) = 'client') AND ((account_id = (SELECT support.current_account_id())) AND ((SELECT support.current_user_role()) = 'admin') AND (user_id <> (SELECT support.current_user_id()))));
CREATE POLICY client_own_account ON support.accounts
    FOR SELECT TO support_client
    USING (((SELECT support.current_key_kind()) = 'client') AND (account_id = (SELECT support.current_account_id())));
CREATE POLICY client_own_users ON support.account_users
    FOR SELECT TO support_client
    USING (((SELECT support.current_key_kind()) = 'client') AND (account_id = (SELECT support.current_account_id())));
CREATE POLICY manager_all ON support.account_users
    TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));
CREATE POLICY manager_all ON support.accounts
    TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));
CREATE POLICY manager_all ON support.agents
    TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

CREATE FUNCTION support.actor_kind_of(actor_id bigint) RETURNS support.actor_kind
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE
        WHEN actor_id IS NULL THEN 'system'::support.actor_kind
        WHEN EXISTS (SELECT 1 FROM support.agents a WHERE a.agent_id OPERATOR(pg_catalog.=) actor_id)
            THEN 'agent'::support.actor_kind
        ELSE 'client'::support.actor_kind
    END
$$;
COMMENT ON FUNCTION support.actor_kind_of(actor_id bigint) IS 'agent, client or system for a user id (NULL: system)';
REVOKE ALL ON FUNCTION support.actor_kind_of(actor_id bigint) FROM PUBLIC;

-- 05_tickets.sql

-- Tickets: the table, its history (ticket_events), the workflow functions
-- that change them, their grants and policies.
--
-- Triggers on support.tickets fire in this order (PostgreSQL fires the
-- triggers of one timing in name order, so the names carry the order):
--   BEFORE UPDATE   ticket_10_column_guard   refuses direct writes of owned columns (here)
--   BEFORE INSERT   ticket_20_classify       priority, tier, assignee (07_triage.sql)
--   BEFORE both     ticket_30_lifecycle      status rules and milestone times (here)
--   BEFORE both     ticket_40_sla_deadlines  deadlines from priority and times (06_sla.sql)
--   AFTER, row      audit_assumed_write      an assumed user's writes (10_role_assumption.sql)
--   AFTER UPDATE,   ticket_50_agent_load     agents.open_tickets (here)
--     row
--   AFTER UPDATE    ticket_60_changed_events the history of the change (here)
--   AFTER INSERT    ticket_70_sla_activated  / AFTER UPDATE ticket_70_sla_changed:
--                                            the SLA trail (06_sla.sql)
--   AFTER INSERT    ticket_80_triaged        created events, acknowledgment, alerts (07_triage.sql)
-- The AFTER triggers from ticket_60 on are statement triggers, which run
-- after every row trigger of their statement whatever the names.

CREATE SEQUENCE support.ticket_id_seq
    START WITH 10001;
GRANT USAGE ON SEQUENCE support.ticket_id_seq TO support_client, support_agent, support_manager;
CREATE TABLE support.tickets (
    account_id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    requester_id bigint NOT NULL,
    subject text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
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
    paused_total interval DEFAULT '00:00:00'::interval NOT NULL,
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
    CONSTRAINT subjects_are_one_line CHECK (support.is_one_line(subject)),
    CONSTRAINT tickets_priority_source_check CHECK ((priority_source = ANY (ARRAY['given'::text, 'rule'::text, 'category'::text]))),
    CONSTRAINT tickets_satisfaction_rating_check CHECK (((satisfaction_rating >= 1) AND (satisfaction_rating <= 5))),
    CONSTRAINT tickets_subject_check CHECK (((btrim(subject) <> ''::text) AND (length(subject) <= 200)))
);
ALTER TABLE ONLY support.tickets ALTER COLUMN ticket_id SET DEFAULT nextval('support.ticket_id_seq'::regclass);
ALTER TABLE ONLY support.tickets
    ADD CONSTRAINT tickets_pkey PRIMARY KEY (account_id, ticket_id);
ALTER TABLE ONLY support.tickets
    ADD CONSTRAINT tickets_account_id_fkey FOREIGN KEY (account_id) REFERENCES support.accounts(account_id);
ALTER TABLE ONLY support.tickets
    ADD CONSTRAINT tickets_account_id_requester_id_fkey FOREIGN KEY (account_id, requester_id) REFERENCES support.account_users(account_id, user_id);
ALTER TABLE ONLY support.tickets
    ADD CONSTRAINT tickets_assignee_id_fkey FOREIGN KEY (assignee_id) REFERENCES support.agents(agent_id);
ALTER TABLE ONLY support.tickets
    ADD CONSTRAINT tickets_category_fkey FOREIGN KEY (category) REFERENCES support.categories(category);
ALTER TABLE ONLY support.tickets
    ADD CONSTRAINT tickets_channel_fkey FOREIGN KEY (channel) REFERENCES support.channels(channel);
ALTER TABLE ONLY support.tickets
    ADD CONSTRAINT tickets_tier_fkey FOREIGN KEY (tier) REFERENCES support.tiers(tier);
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
COMMENT ON COLUMN support.tickets.escalation_due IS 'the "SLA breach imminent" mark: the policy''s escalation_ratio of the target now running';
COMMENT ON COLUMN support.tickets.sla_paused IS 'periods in which the resolution clock stood still (pending on the client, or resolved until reopened)';
COMMENT ON COLUMN support.tickets.triage_rule_id IS 'the triage rule the ticket matched on creation (NULL: none, the category decided)';
COMMENT ON COLUMN support.tickets.priority_source IS 'where the priority at creation came from: given by the creator, a triage rule, or the category default';
COMMENT ON COLUMN support.tickets.escalated_at IS 'last escalation to a higher tier (or to executives from tier 3); the new tier''s targets run from here';
COMMENT ON COLUMN support.tickets.escalation_requested_at IS 'when the client asked for an escalation (support.request_escalation)';
COMMENT ON COLUMN support.tickets.escalation_call_due IS 'the escalation call the client''s request scheduled is due by then';
COMMENT ON COLUMN support.tickets.escalation_call_held_at IS 'when that call took place (support.record_escalation_call)';
COMMENT ON COLUMN support.tickets.executive_escalated_at IS 'executive escalation: hourly updates, and a post-incident review once resolved';
COMMENT ON COLUMN support.tickets.last_activity_at IS 'the last public reply or internal note by an agent: progress, for the no-progress escalation';
COMMENT ON COLUMN support.tickets.actions_checked_at IS 'the escalation worker has acted on everything due up to this time';
COMMENT ON COLUMN support.tickets.next_action_at IS 'the earliest action of the escalation worker still to come (support.ticket_actions), kept by the deadline trigger';
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

CREATE FUNCTION support.log_ticket_changes() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.log_ticket_changes() IS 'records status, priority, tier and assignee changes as events, with the actor (support.actor_id) and reason (support.change_reason)';
REVOKE ALL ON FUNCTION support.log_ticket_changes() FROM PUBLIC;

CREATE FUNCTION support.open_ticket(account_id bigint, requester_id bigint, subject text, description text DEFAULT ''::text, channel text DEFAULT 'portal'::text, category text DEFAULT 'general_inquiry'::text, priority support.priority DEFAULT NULL::support.priority, created_by bigint DEFAULT NULL::bigint, service_outage boolean DEFAULT false, revenue_impact boolean DEFAULT false, security_or_data_integrity boolean DEFAULT false, campaign_delivery_failure boolean DEFAULT false, peak_period boolean DEFAULT false, api_failure boolean DEFAULT false, workaround_available boolean DEFAULT false, multi_client_impact boolean DEFAULT false) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    created support.tickets;
BEGIN
    -- as the owner, no insert policy applies: a super user's own key opens
    -- nothing (its group has no ticket policy); the rest is the rules below,
    -- which are stricter than the policies (one opens only as oneself)
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
COMMENT ON FUNCTION support.open_ticket(account_id bigint, requester_id bigint, subject text, description text, channel text, category text, priority support.priority, created_by bigint, service_outage boolean, revenue_impact boolean, security_or_data_integrity boolean, campaign_delivery_failure boolean, peak_period boolean, api_failure boolean, workaround_available boolean, multi_client_impact boolean) IS 'opens a ticket for a client user (created_by: the agent who took a phone or Slack request); triage decides priority (unless given), tier and assignee';

CREATE FUNCTION support.post_client_message(ticket_id bigint, user_id bigint, body text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(post_client_message.ticket_id);
BEGIN
    PERFORM support.require_client(ticket.account_id, user_id);
    PERFORM support.require_text(body, 'message body');
    PERFORM support.require_not_closed(ticket);
    RETURN support.add_event(ticket, 'client_message', user_id, 'public', body);
END $$;
COMMENT ON FUNCTION support.post_client_message(ticket_id bigint, user_id bigint, body text) IS 'a message from a user of the ticket''s account; resumes a ticket pending on the client';

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
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.rate_ticket(ticket_id bigint, user_id bigint, rating integer, comment text) IS 'the client''s satisfaction rating (1-5) of a resolved or closed ticket';

CREATE FUNCTION support.rate_ticket(ticket_id bigint, rating integer, comment text DEFAULT NULL::text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.rate_ticket(ticket_id, support.key_user_id(), rating, comment);
COMMENT ON FUNCTION support.rate_ticket(ticket_id bigint, rating integer, comment text) IS 'rate_ticket as the key''s user';

CREATE FUNCTION support.refuse_history_change_trigger() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'refuse_history_change_trigger';
COMMENT ON FUNCTION support.refuse_history_change_trigger() IS 'keeps a history table append-only: updates, deletes and truncation raise 42501';
REVOKE ALL ON FUNCTION support.refuse_history_change_trigger() FROM PUBLIC;

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
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
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
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
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
COMMENT ON FUNCTION support.track_agent_load() IS 'keeps agents.open_tickets when a ticket changes hands or opens or closes';
REVOKE ALL ON FUNCTION support.track_agent_load() FROM PUBLIC;

CREATE SEQUENCE support.event_id_seq;
GRANT USAGE ON SEQUENCE support.event_id_seq TO support_client, support_agent, support_manager;
CREATE TABLE support.ticket_events (
    account_id bigint NOT NULL,
    event_id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    kind support.event_kind NOT NULL,
    actor_id bigint,
    actor_kind support.actor_kind NOT NULL,
    visibility support.visibility NOT NULL,
    body text,
    old_value text,
    new_value text,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    action_key text,
    assumed_by bigint,
    CONSTRAINT messages_have_a_body CHECK (((kind <> ALL (ARRAY['public_reply'::support.event_kind, 'internal_note'::support.event_kind, 'client_message'::support.event_kind])) OR (btrim(body) <> ''::text)))
);
ALTER TABLE ONLY support.ticket_events ALTER COLUMN event_id SET DEFAULT nextval('support.event_id_seq'::regclass);
ALTER TABLE ONLY support.ticket_events
    ADD CONSTRAINT ticket_events_pkey PRIMARY KEY (account_id, event_id);
ALTER TABLE ONLY support.ticket_events
    ADD CONSTRAINT ticket_events_account_id_ticket_id_fkey FOREIGN KEY (account_id, ticket_id) REFERENCES support.tickets(account_id, ticket_id);
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

CREATE VIEW support.open_tickets_by_priority WITH (security_invoker='true') AS
 SELECT t.priority,
    count(*) AS open_tickets,
    count(*) FILTER (WHERE (t.assignee_id IS NULL)) AS unassigned,
    count(*) FILTER (WHERE (t.status = 'pending_client'::support.ticket_status)) AS pending_client,
    count(*) FILTER (WHERE ((now() - t.created_at) < '01:00:00'::interval)) AS younger_than_1h,
    count(*) FILTER (WHERE (((now() - t.created_at) >= '01:00:00'::interval) AND ((now() - t.created_at) < '1 day'::interval))) AS from_1h_to_1d,
    count(*) FILTER (WHERE (((now() - t.created_at) >= '1 day'::interval) AND ((now() - t.created_at) < '7 days'::interval))) AS from_1d_to_7d,
    count(*) FILTER (WHERE ((now() - t.created_at) >= '7 days'::interval)) AS older_than_7d,
    max((now() - t.created_at)) AS oldest_age
   FROM support.tickets t
  WHERE (t.status <> ALL (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status]))
  GROUP BY t.priority;
COMMENT ON VIEW support.open_tickets_by_priority IS 'real-time dashboard: open tickets by priority and age';
GRANT SELECT ON TABLE support.open_tickets_by_priority TO support_client, support_agent, support_manager;

CREATE TRIGGER ticket_50_agent_load AFTER UPDATE ON support.tickets FOR EACH ROW WHEN (((old.assignee_id IS DISTINCT FROM new.assignee_id) OR ((old.status = ANY (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status])) IS DISTINCT FROM (new.status = ANY (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status]))))) EXECUTE FUNCTION support.track_agent_load();

CREATE TRIGGER ticket_60_changed_events AFTER UPDATE ON support.tickets REFERENCING OLD TABLE AS old_tickets NEW TABLE AS new_tickets FOR EACH STATEMENT EXECUTE FUNCTION support.log_ticket_changes();

CREATE TRIGGER ticket_10_column_guard BEFORE UPDATE ON support.tickets FOR EACH ROW EXECUTE FUNCTION support.ticket_column_guard();

CREATE TRIGGER ticket_event_effects AFTER INSERT ON support.ticket_events FOR EACH ROW WHEN ((new.kind = ANY (ARRAY['public_reply'::support.event_kind, 'client_message'::support.event_kind, 'internal_note'::support.event_kind]))) EXECUTE FUNCTION support.ticket_event_effects_trigger();

CREATE TRIGGER ticket_event_stamp BEFORE INSERT ON support.ticket_events FOR EACH ROW EXECUTE FUNCTION support.ticket_event_stamp_trigger();

CREATE TRIGGER ticket_events_append_only BEFORE DELETE OR UPDATE ON support.ticket_events FOR EACH ROW EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON support.ticket_events FOR EACH STATEMENT EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER ticket_30_lifecycle BEFORE INSERT OR UPDATE ON support.tickets FOR EACH ROW EXECUTE FUNCTION support.ticket_lifecycle_trigger();

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
    WITH CHECK (((SELECT support.current_key_kind()) = 'agent') AND ((actor_id = (SELECT support.current_user_id())) AND (EXISTS ( SELECT 1
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
    USING (((SELECT support.current_key_kind()) = 'client') AND ((account_id = (SELECT support.current_account_id())) AND ((SELECT support.current_user_role()) = ANY (ARRAY['admin', 'campaign_manager']))))
    WITH CHECK (((SELECT support.current_key_kind()) = 'client') AND (account_id = (SELECT support.current_account_id())));
CREATE POLICY client_writes_messages ON support.ticket_events
    FOR INSERT TO support_client
    WITH CHECK (((SELECT support.current_key_kind()) = 'client') AND ((account_id = (SELECT support.current_account_id())) AND ((SELECT support.current_user_role()) = ANY (ARRAY['admin', 'campaign_manager'])) AND (kind = 'client_message'::support.event_kind) AND (visibility = 'public'::support.visibility) AND (actor_id = (SELECT support.current_user_id()))));
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
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND ((SELECT support.current_is_manager()) AND (actor_id = (SELECT support.current_user_id()))));

-- 06_sla.sql

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
            AND o.resolution_due IS DISTINCT FROM n.resolution_due)
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
               ticket.priority::text, ticket.tier, replace(target::text, '_', ' '), due, ticket.subject),
        jsonb_build_object('kind', 'sla_breach', 'target', target, 'due', due));
END $$;
COMMENT ON FUNCTION support.record_breach(ticket support.tickets, target support.sla_target, due timestamp with time zone) IS 'marks an SLA target breached at its deadline and alerts the escalation channel';
REVOKE ALL ON FUNCTION support.record_breach(ticket support.tickets, target support.sla_target, due timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION support.ticket_sla_trigger() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'ticket_sla_trigger';
COMMENT ON FUNCTION support.ticket_sla_trigger() IS 'computes first-response, next-update, resolution and escalation deadlines on business time; the only writer of those columns';
REVOKE ALL ON FUNCTION support.ticket_sla_trigger() FROM PUBLIC;

CREATE SEQUENCE support.sla_event_id_seq;
GRANT USAGE ON SEQUENCE support.sla_event_id_seq TO support_manager;
-- No foreign key to tickets: rows come only from the triggers below, and
-- ticket_events' key already keeps a ticket from being deleted; a per-row
-- check would double the cost of a bulk ticket insert.
CREATE TABLE support.sla_events (
    account_id bigint NOT NULL,
    sla_event_id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    target support.sla_target NOT NULL,
    kind support.sla_event_kind NOT NULL,
    due timestamp with time zone,
    occurred_at timestamp with time zone NOT NULL
);
ALTER TABLE ONLY support.sla_events ALTER COLUMN sla_event_id SET DEFAULT nextval('support.sla_event_id_seq'::regclass);
ALTER TABLE ONLY support.sla_events
    ADD CONSTRAINT sla_events_pkey PRIMARY KEY (account_id, sla_event_id);
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

CREATE VIEW support.sla_status WITH (security_invoker='true') AS
 SELECT t.account_id,
    t.ticket_id,
    t.priority,
    t.status,
    t.tier,
    t.assignee_id,
    d.target,
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
   FROM ((((support.tickets t
     JOIN support.accounts a ON ((a.account_id = t.account_id)))
     JOIN support.calendar c ON ((c.calendar_id = a.calendar_id)))
     JOIN support.sla_policies p ON ((p.priority = t.priority)))
     CROSS JOIN LATERAL ( VALUES ('first_response'::support.sla_target,
                CASE
                    WHEN (t.first_response_at IS NULL) THEN t.first_response_due
                    ELSE NULL::timestamp with time zone
                END,(p.clock = '24x7'::text)), ('next_update'::support.sla_target,t.next_update_due,(p.update_cadence_unit = 'elapsed'::text)), ('resolution'::support.sla_target,t.resolution_due,(p.clock = '24x7'::text))) d(target, due, around_the_clock))
  WHERE ((t.status <> ALL (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status])) AND (d.due IS NOT NULL));
COMMENT ON VIEW support.sla_status IS 'one row per running SLA target of each open ticket: its deadline, the business time remaining (negative when overdue) and whether it is breached';
GRANT SELECT ON TABLE support.sla_status TO support_client, support_agent, support_manager;

CREATE TRIGGER sla_events_append_only BEFORE DELETE OR UPDATE ON support.sla_events FOR EACH ROW EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER sla_events_no_truncate BEFORE TRUNCATE ON support.sla_events FOR EACH STATEMENT EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER ticket_70_sla_activated AFTER INSERT ON support.tickets REFERENCING NEW TABLE AS new_tickets FOR EACH STATEMENT EXECUTE FUNCTION support.log_sla_activation();

CREATE TRIGGER ticket_70_sla_changed AFTER UPDATE ON support.tickets REFERENCING OLD TABLE AS old_tickets NEW TABLE AS new_tickets FOR EACH STATEMENT EXECUTE FUNCTION support.log_sla_changes();

CREATE TRIGGER ticket_40_sla_deadlines BEFORE INSERT OR UPDATE ON support.tickets FOR EACH ROW EXECUTE FUNCTION support.ticket_sla_trigger();

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

-- 07_triage.sql

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
COMMENT ON FUNCTION support.pick_agent(tier smallint, skill text) IS 'the on-shift, active agent of the tier with the skill and the fewest open tickets (then assigned longest ago, then lowest id), locked until commit; waits for a locked one rather than pass over the only eligible agent; NULL when none is eligible';
REVOKE ALL ON FUNCTION support.pick_agent(tier smallint, skill text) FROM PUBLIC;

-- 08_escalation.sql

-- Escalation: the actions the escalation worker takes when a deadline
-- comes (src/escalation_worker.c calls run_due_actions), and the
-- escalations staff and clients ask for.

CREATE FUNCTION support.action_key(action text, due timestamp with time zone) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    -- microseconds since 1970: the same key whatever the session's time zone
    SELECT action || '@' || (extract(epoch FROM due) * 1000000)::bigint::text
$$;
COMMENT ON FUNCTION support.action_key(action text, due timestamp with time zone) IS 'the ledger key of an action at a deadline';
REVOKE ALL ON FUNCTION support.action_key(action text, due timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION support.close_after_verification(ticket support.tickets) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    closed integer;
BEGIN
    PERFORM set_config('support.actor_id', '0', true),
            set_config('support.change_reason',
                       'closed automatically: resolved and not reopened within the verification period', true);
    UPDATE support.tickets t SET status = 'closed'
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
       AND t.status OPERATOR(pg_catalog.=) 'resolved';
    GET DIAGNOSTICS closed = ROW_COUNT;
    PERFORM set_config('support.change_reason', '', true);
    RETURN closed > 0;
END $$;
COMMENT ON FUNCTION support.close_after_verification(ticket support.tickets) IS 'closes a resolved ticket whose verification period passed (its status change is the event)';
REVOKE ALL ON FUNCTION support.close_after_verification(ticket support.tickets) FROM PUBLIC;

-- An agent escalating by hand moves the ticket out of their own tier, and so
-- out of what row-level security lets them update; the move runs as the
-- owner once the agent is shown to hold the ticket.
CREATE FUNCTION support.escalate(ticket_id bigint, agent_id bigint, reason text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(escalate.ticket_id);
    agent support.agents := support.require_agent(agent_id);
BEGIN
    PERFORM support.require_acting_user(agent_id);
    IF support.current_user_id() IS NOT NULL AND NOT support.current_is_manager()
       AND ticket.tier OPERATOR(pg_catalog.<>) agent.tier
       AND ticket.assignee_id IS DISTINCT FROM agent.agent_id THEN
        RAISE EXCEPTION 'ticket % does not exist', ticket_id     -- as row-level security would say
              USING ERRCODE = 'no_data_found', HINT = 'Ticket numbers are shown as #N in every message.';
    END IF;
    PERFORM support.require_text(reason, 'reason for the escalation');
    PERFORM support.require_open(ticket);
    RETURN support.escalate_ticket(ticket, reason, now());
END $$;
COMMENT ON FUNCTION support.escalate(ticket_id bigint, agent_id bigint, reason text) IS 'an agent escalates a ticket of their tier (or assigned to them) one tier up, as the worker does at the mark: new owner, notices, alert; from tier 3, to the executives';

CREATE FUNCTION support.escalate(ticket_id bigint, reason text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.escalate(ticket_id, support.key_user_id(), reason);
COMMENT ON FUNCTION support.escalate(ticket_id bigint, reason text) IS 'escalate as the key''s agent';

-- Escalates one tier up with a fresh owner of that tier (as routing picks
-- one: on shift, with the category's skill, least loaded, waiting longest);
-- from tier 3 it brings in the executives. Ownership moves with the case
-- history, the deadlines move to the new tier's targets (the trigger), and
-- the new owner, the client and the escalation channel are told.
CREATE FUNCTION support.escalate_ticket(ticket support.tickets, reason text, as_of timestamp with time zone) RETURNS support.tickets
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    new_tier smallint := LEAST(ticket.tier + 1, 3);
    owner_id bigint;
    owner support.agents;
    history_count bigint;
BEGIN
    PERFORM set_config('support.actor_id', '0', true),
            set_config('support.change_reason', 'escalated: ' || reason, true);
    IF ticket.tier >= 3 THEN
        UPDATE support.tickets t
           SET executive_escalated_at = COALESCE(t.executive_escalated_at, as_of), escalated_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
        RETURNING t.* INTO ticket;
        PERFORM support.alert(ticket, support.slack_channel('critical'), NULL,
            format('[Ticket #%s] executive escalation', ticket.ticket_id),
            format('Executive escalation of #%s (%s, tier 3): %s. %s', ticket.ticket_id,
                   ticket.priority::text, reason, ticket.subject),
            jsonb_build_object('kind', 'executive_escalation'));
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

CREATE FUNCTION support.escalate_to_executive(ticket_id bigint, agent_id bigint, reason text) RETURNS support.tickets
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
    PERFORM support.alert(ticket, support.slack_channel('critical'), NULL,
        format('[Ticket #%s] executive escalation', ticket.ticket_id),
        format('Executive escalation of #%s (%s, tier %s): %s. Hourly updates until resolved; a post-incident review follows.',
               ticket.ticket_id, ticket.priority::text, ticket.tier, reason),
        jsonb_build_object('kind', 'executive_escalation'));
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.escalate_to_executive(ticket_id bigint, agent_id bigint, reason text) IS 'executive escalation for critical business impact: hourly updates, and a post-incident review task once resolved';

CREATE FUNCTION support.escalate_to_executive(ticket_id bigint, reason text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.escalate_to_executive(ticket_id, support.key_user_id(), reason);
COMMENT ON FUNCTION support.escalate_to_executive(ticket_id bigint, reason text) IS 'escalate_to_executive as the key''s agent';

CREATE FUNCTION support.record_escalation_call(ticket_id bigint, agent_id bigint, notes text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(record_escalation_call.ticket_id);
BEGIN
    PERFORM support.require_agent(agent_id);
    PERFORM support.require_text(notes, 'notes of the escalation call');
    IF ticket.escalation_call_due IS NULL OR ticket.escalation_call_held_at IS NOT NULL THEN
        RAISE EXCEPTION 'ticket % has no escalation call pending', ticket.ticket_id
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'A call is scheduled by the client''s support.request_escalation().';
    END IF;
    PERFORM support.set_actor(agent_id);
    UPDATE support.tickets t SET escalation_call_held_at = now()
     WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id
    RETURNING t.* INTO ticket;
    PERFORM support.add_event(ticket, 'escalation', agent_id, 'internal', notes,
        jsonb_build_object('escalation_call_held_at', ticket.escalation_call_held_at));
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.record_escalation_call(ticket_id bigint, agent_id bigint, notes text) IS 'records that the escalation call a client asked for took place';

CREATE FUNCTION support.record_escalation_call(ticket_id bigint, notes text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.record_escalation_call(ticket_id, support.key_user_id(), notes);
COMMENT ON FUNCTION support.record_escalation_call(ticket_id bigint, notes text) IS 'record_escalation_call as the key''s agent';

CREATE FUNCTION support.request_escalation(ticket_id bigint, user_id bigint, reason text) RETURNS support.tickets
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets := support.locked_ticket(request_escalation.ticket_id);
    policy support.sla_policies;
    call_pending boolean;
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
               ticket.ticket_id, ticket.escalation_call_due,
               LEAST(policy.escalated_update_cadence, policy.update_cadence)),
        jsonb_build_object('kind', 'escalation_acknowledgment'));
    PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
        format('[Ticket #%s] client escalation', ticket.ticket_id),
        format('The client escalated #%s (%s, tier %s): %s. Escalation call due by %s.',
               ticket.ticket_id, ticket.priority::text, ticket.tier, reason, ticket.escalation_call_due),
        jsonb_build_object('kind', 'client_escalation'));
    PERFORM support.set_actor(NULL);
    RETURN ticket;
END $$;
COMMENT ON FUNCTION support.request_escalation(ticket_id bigint, user_id bigint, reason text) IS 'a client''s escalation request: acknowledged at once, an escalation call due within the policy''s escalation_call_within, updates on the enhanced cadence';

CREATE FUNCTION support.request_escalation(ticket_id bigint, reason text) RETURNS support.tickets
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    RETURN support.request_escalation(ticket_id, support.key_user_id(), reason);
COMMENT ON FUNCTION support.request_escalation(ticket_id bigint, reason text) IS 'request_escalation as the key''s user';

CREATE FUNCTION support.run_due_actions(as_of timestamp with time zone DEFAULT now(), max_tickets integer DEFAULT 500, OUT tickets integer, OUT actions integer) RETURNS record
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ticket support.tickets;
    next record;
    done text[];
BEGIN
    IF as_of IS NULL OR max_tickets IS NULL OR max_tickets < 1 THEN
        RAISE EXCEPTION 'run_due_actions needs a time and a positive batch size'
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Call support.run_due_actions(now(), 500).';
    END IF;
    tickets := 0;
    actions := 0;
    -- tickets another session holds are left to the next pass
    FOR ticket IN
        SELECT * FROM support.tickets t
         WHERE t.next_action_at OPERATOR(pg_catalog.<=) as_of
         ORDER BY t.next_action_at
         LIMIT max_tickets
           FOR UPDATE SKIP LOCKED
    LOOP
        tickets := tickets + 1;
        done := '{}';
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
                actions := actions + 1;
            END IF;
            SELECT * INTO ticket FROM support.tickets t
             WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
               AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
        END LOOP;
        UPDATE support.tickets t SET actions_checked_at = as_of
         WHERE t.account_id OPERATOR(pg_catalog.=) ticket.account_id
           AND t.ticket_id OPERATOR(pg_catalog.=) ticket.ticket_id;
    END LOOP;
    PERFORM set_config('support.actor_id', '0', true);
END $$;
COMMENT ON FUNCTION support.run_due_actions(as_of timestamp with time zone, max_tickets integer) IS 'one batch of the escalation worker: takes every action due by as_of on up to max_tickets tickets (locked, SKIP LOCKED); safe to call by hand next to the worker';
REVOKE ALL ON FUNCTION support.run_due_actions(as_of timestamp with time zone, max_tickets integer) FROM PUBLIC;

-- How take_action records each of the worker's actions in the case history:
-- the event's kind, visibility and text. Adding an action is a label of
-- support.worker_action (and SlaAction), a row here, its deadline in
-- src/sla_actions.c and its effect in take_action.
CREATE TABLE support.worker_actions (
    action support.worker_action NOT NULL,
    event_kind support.event_kind,  -- NULL for auto_close: the lifecycle records the closing
    visibility support.visibility,
    summary text,
    CONSTRAINT worker_actions_pkey PRIMARY KEY (action),
    CONSTRAINT actions_record_whole_events CHECK
        ((event_kind IS NULL) = (visibility IS NULL) AND (event_kind IS NULL) = (summary IS NULL))
);
ALTER TABLE support.worker_actions ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.worker_actions IS 'how the escalation worker records each of its actions in the case history';
GRANT SELECT ON TABLE support.worker_actions TO support_manager;
CREATE POLICY manager_read ON support.worker_actions
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));
SELECT pg_catalog.pg_extension_config_dump('support.worker_actions', '');
CREATE TRIGGER restore_config_row BEFORE INSERT ON support.worker_actions FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('action');
INSERT INTO support.worker_actions (action, event_kind, visibility, summary) VALUES
    ('escalation_mark', 'escalation', 'internal', 'SLA breach imminent: escalated'),
    ('first_response_breach', 'sla_breach', 'internal', 'First response target breached'),
    ('update_overdue', 'reminder', 'internal', 'Update overdue: assignee reminded'),
    ('update_twice_overdue', 'escalation', 'internal', 'Update cadence missed twice: escalated'),
    ('resolution_breach', 'sla_breach', 'internal', 'Resolution target breached'),
    ('no_progress', 'escalation', 'internal', 'No progress within the tier''s escalation threshold: escalated'),
    ('escalation_call_overdue', 'sla_breach', 'internal', 'The escalation call the client asked for is overdue'),
    ('post_incident_review', 'review_task', 'internal', 'Post-incident review of the executive escalation is due'),
    ('follow_up', 'follow_up', 'public', 'Follow-up check-in after resolution'),
    ('auto_close', NULL, NULL, NULL);

CREATE FUNCTION support.take_action(ticket support.tickets, action text, due timestamp with time zone, as_of timestamp with time zone) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    recorded_as support.worker_actions;
    recorded bigint;
    assignee support.agents;
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
            NULL, 'system', recorded_as.visibility, recorded_as.summary,
            jsonb_build_object('action', action, 'due', due, 'acted_at', as_of,
                               'tier', ticket.tier, 'assignee_id', ticket.assignee_id),
            support.action_key(action, due))
    ON CONFLICT (account_id, ticket_id, action_key) WHERE action_key IS NOT NULL DO NOTHING
    RETURNING e.event_id INTO recorded;
    IF recorded IS NULL THEN
        RETURN false;           -- taken already, by this worker or another
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
                   ticket.ticket_id, ticket.priority::text, due),
            jsonb_build_object('kind', 'update_reminder'));
    WHEN 'escalation_call_overdue' THEN
        PERFORM support.alert(ticket, support.slack_channel('escalations'), NULL,
            format('[Ticket #%s] escalation call overdue', ticket.ticket_id),
            format('The client asked for an escalation of #%s at %s; the call was due by %s and has not been recorded.',
                   ticket.ticket_id, ticket.escalation_requested_at, due),
            jsonb_build_object('kind', 'escalation_call_overdue'));
    WHEN 'post_incident_review' THEN
        PERFORM support.alert(ticket, support.slack_channel('critical'), NULL,
            format('[Ticket #%s] post-incident review', ticket.ticket_id),
            format('#%s, escalated to executives, was resolved at %s: schedule its post-incident review. Root cause: %s',
                   ticket.ticket_id, ticket.resolved_at, COALESCE(ticket.root_cause, 'not recorded')),
            jsonb_build_object('kind', 'post_incident_review'));
    WHEN 'follow_up' THEN
        PERFORM support.client_message(ticket, 'follow_up');
    END CASE;
    RETURN true;
END $$;
COMMENT ON FUNCTION support.take_action(ticket support.tickets, action text, due timestamp with time zone, as_of timestamp with time zone) IS 'takes one scheduled action on a locked ticket, once: false when the ledger shows it taken';
REVOKE ALL ON FUNCTION support.take_action(ticket support.tickets, action text, due timestamp with time zone, as_of timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION support.ticket_actions(ticket support.tickets) RETURNS TABLE(action text, due timestamp with time zone)
    LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'ticket_actions';
COMMENT ON FUNCTION support.ticket_actions(ticket support.tickets) IS 'every action the escalation worker schedules for this ticket row, with its time, whether taken or not';
REVOKE ALL ON FUNCTION support.ticket_actions(ticket support.tickets) FROM PUBLIC;
GRANT ALL ON FUNCTION support.ticket_actions(ticket support.tickets) TO support_manager;

CREATE FUNCTION support.wake_worker() RETURNS void
    LANGUAGE c AS 'MODULE_PATHNAME', 'wake_worker';
COMMENT ON FUNCTION support.wake_worker() IS 'at commit, wakes this database''s escalation worker and has the launcher look for databases that gained the extension';
REVOKE ALL ON FUNCTION support.wake_worker() FROM PUBLIC;

CREATE FUNCTION support.worker_state(OUT preloaded boolean, OUT state text, OUT pid integer, OUT started_at timestamp with time zone, OUT last_pass_at timestamp with time zone, OUT last_pass_tickets bigint, OUT last_pass_actions bigint, OUT passes bigint, OUT actions_taken bigint, OUT next_wakeup timestamp with time zone, OUT errors bigint, OUT last_error_at timestamp with time zone, OUT last_error text) RETURNS SETOF record
    LANGUAGE c AS 'MODULE_PATHNAME', 'worker_state';
COMMENT ON FUNCTION support.worker_state() IS 'the escalation worker of this database, from shared memory';
REVOKE ALL ON FUNCTION support.worker_state() FROM PUBLIC;
GRANT ALL ON FUNCTION support.worker_state() TO support_manager;

CREATE VIEW support.worker_status WITH (security_invoker='true') AS
 SELECT w.preloaded,
    w.state,
    w.pid,
    w.started_at,
    w.last_pass_at,
    w.last_pass_tickets,
    w.last_pass_actions,
    w.passes,
    w.actions_taken,
    w.next_wakeup,
    w.errors,
    w.last_error_at,
    w.last_error,
    ( SELECT min(t.next_action_at) AS min
           FROM support.tickets t) AS next_deadline
   FROM support.worker_state() w(preloaded, state, pid, started_at, last_pass_at, last_pass_tickets, last_pass_actions, passes, actions_taken, next_wakeup, errors, last_error_at, last_error);
COMMENT ON VIEW support.worker_status IS 'the escalation worker of this database: running or not, last pass, actions taken, next wake-up, errors, and the earliest scheduled action';
GRANT SELECT ON TABLE support.worker_status TO support_manager;

-- 09_delivery.sql

-- Delivery: the outbox of emails, webhooks and Slack posts, the endpoints
-- it is delivered to, and what the delivery worker calls.

-- An alert goes to the team's channel and, for an enterprise client, to
-- the client's own channel too (the handbook's dedicated channels).
CREATE FUNCTION support.alert(ticket support.tickets, channel text, template text, subject text, body text, payload jsonb DEFAULT '{}'::jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    own_channel text;
    client_text text := support.client_safe_alert(ticket, payload OPERATOR(pg_catalog.->>) 'kind');
BEGIN
    PERFORM support.queue_message(ticket, 'slack', channel, template, subject, body, payload);
    SELECT a.slack_channel INTO own_channel FROM support.accounts a
     WHERE a.account_id OPERATOR(pg_catalog.=) ticket.account_id AND a.enterprise;
    IF own_channel IS NOT NULL AND own_channel OPERATOR(pg_catalog.<>) channel AND client_text IS NOT NULL THEN
        PERFORM support.queue_message(ticket, 'slack', own_channel, template,
                                      format('[Ticket #%s] %s', ticket.ticket_id, ticket.subject), client_text,
                                      jsonb_build_object('kind', payload OPERATOR(pg_catalog.->>) 'kind', 'client_safe', true));
    END IF;
END $$;
COMMENT ON FUNCTION support.alert(ticket support.tickets, channel text, template text, subject text, body text, payload jsonb) IS 'queues a Slack alert to a team channel, and a client-safe text of it (support.client_safe_alert) to an enterprise client''s own channel';
REVOKE ALL ON FUNCTION support.alert(ticket support.tickets, channel text, template text, subject text, body text, payload jsonb) FROM PUBLIC;

CREATE FUNCTION support.alert_channel(ticket support.tickets) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN ticket.priority::text = 'P1' OR ticket.executive_escalated_at IS NOT NULL
                THEN support.slack_channel('critical') ELSE support.slack_channel('escalations') END
$$;
COMMENT ON FUNCTION support.alert_channel(ticket support.tickets) IS 'the Slack channel of a ticket''s escalation alerts: the critical route (#critical-issues) for P1 and executive escalations, the escalations route (#support-escalations) otherwise';
REVOKE ALL ON FUNCTION support.alert_channel(ticket support.tickets) FROM PUBLIC;

CREATE FUNCTION support.claim_messages(max_messages integer, lease_ms bigint) RETURNS TABLE(account_id bigint, message_id bigint, attempts integer, destination text, target text, idempotency_key text, url text, secret text, username text, sender text, content text, require_tls boolean)
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    WITH due AS (
        SELECT m.account_id, m.message_id FROM support.outbound_messages m
         WHERE m.state = 'pending' AND m.next_attempt_at <= clock_timestamp()
           AND support.has_endpoint(m.destination, m.target)
         ORDER BY m.next_attempt_at
         LIMIT max_messages
           FOR UPDATE SKIP LOCKED),
    claimed AS (
        UPDATE support.outbound_messages m
           SET attempts = m.attempts + 1,
               next_attempt_at = clock_timestamp() + lease_ms * interval '1 millisecond'
          FROM due
         WHERE m.account_id = due.account_id AND m.message_id = due.message_id
        RETURNING m.account_id, m.message_id, m.attempts, m.destination, m.target, m.idempotency_key,
                  m.subject, m.body, m.payload, m.ticket_id, m.template, m.created_at)
    SELECT c.account_id, c.message_id, c.attempts, c.destination, c.target, c.idempotency_key,
           e.url, e.secret, e.username, e.sender,
           support.message_content(c.destination, c.target, c.subject, c.body, c.payload, c.idempotency_key,
                                   c.account_id, c.ticket_id, c.template, c.created_at, e.sender),
           NOT COALESCE(e.plain_text_on_loopback, false)
      FROM claimed c
      LEFT JOIN LATERAL (
            SELECT * FROM support.delivery_endpoints e
             WHERE e.active AND e.destination = c.destination
               AND (c.destination = 'email' OR e.endpoint = c.target
                    OR (c.destination = 'slack' AND e.endpoint = '*'))
             ORDER BY e.endpoint = c.target DESC, e.endpoint
             LIMIT 1) e ON true
$$;
COMMENT ON FUNCTION support.claim_messages(max_messages integer, lease_ms bigint) IS 'the delivery worker''s claim: due pending messages, locked (SKIP LOCKED), their attempt counted and leased, with their endpoint, content and whether SMTP must use TLS';
REVOKE ALL ON FUNCTION support.claim_messages(max_messages integer, lease_ms bigint) FROM PUBLIC;

CREATE FUNCTION support.client_message(ticket support.tickets, template_name text, extra jsonb DEFAULT '{}'::jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    client support.account_users;
    chosen support.templates;
    vars jsonb;
BEGIN
    SELECT * INTO client FROM support.account_users u
     WHERE u.account_id OPERATOR(pg_catalog.=) ticket.account_id
       AND u.user_id OPERATOR(pg_catalog.=) ticket.requester_id;
    SELECT * INTO chosen FROM support.templates t WHERE t.template OPERATOR(pg_catalog.=) template_name;
    IF client.user_id IS NULL OR chosen.template IS NULL THEN
        RETURN;
    END IF;
    -- the same variables and fallbacks as the acknowledgment (src/client_texts.c)
    vars := support.template_variables(ticket) || COALESCE(extra, '{}');
    PERFORM support.queue_message(ticket, 'email', client.email, chosen.template,
                                  support.render_template(chosen.subject, vars),
                                  support.render_template(chosen.body, vars));
END $$;
COMMENT ON FUNCTION support.client_message(ticket support.tickets, template_name text, extra jsonb) IS 'renders a template for the ticket''s requester and queues it as an email';
REVOKE ALL ON FUNCTION support.client_message(ticket support.tickets, template_name text, extra jsonb) FROM PUBLIC;

-- The team's alerts carry escalation reasons, root causes and breach
-- notices. An enterprise client's own channel gets, for the kinds a client
-- should hear of, a text written for the client, and nothing for the rest:
-- the texts, the variables of the client templates and their fallbacks are
-- src/client_texts.c's, which the triage outbox uses too.
CREATE FUNCTION support.client_safe_alert(ticket support.tickets, kind text) RETURNS text
    LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'client_safe_alert';
COMMENT ON FUNCTION support.client_safe_alert(ticket support.tickets, kind text) IS 'the text an enterprise client''s shared Slack channel gets for an alert of this kind (NULL: the client does not hear of it)';
REVOKE ALL ON FUNCTION support.client_safe_alert(ticket support.tickets, kind text) FROM PUBLIC;

CREATE FUNCTION support.template_variables(ticket support.tickets) RETURNS jsonb
    LANGUAGE c STABLE STRICT AS 'MODULE_PATHNAME', 'template_variables';
COMMENT ON FUNCTION support.template_variables(ticket support.tickets) IS 'the variables of a client template for the ticket, with the documented fallbacks (the acknowledgment''s own)';
REVOKE ALL ON FUNCTION support.template_variables(ticket support.tickets) FROM PUBLIC;

CREATE FUNCTION support.delivery_worker_state(OUT preloaded boolean, OUT state text, OUT pid integer, OUT started_at timestamp with time zone, OUT last_pass_at timestamp with time zone, OUT last_pass_messages bigint, OUT last_pass_delivered bigint, OUT passes bigint, OUT delivered bigint, OUT next_wakeup timestamp with time zone, OUT errors bigint, OUT last_error_at timestamp with time zone, OUT last_error text) RETURNS SETOF record
    LANGUAGE c AS 'MODULE_PATHNAME', 'delivery_worker_state';
COMMENT ON FUNCTION support.delivery_worker_state() IS 'the delivery worker of this database, from shared memory';
REVOKE ALL ON FUNCTION support.delivery_worker_state() FROM PUBLIC;
GRANT ALL ON FUNCTION support.delivery_worker_state() TO support_manager;

CREATE FUNCTION support.guard_endpoint_host() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    caller_is_superuser boolean := (SELECT r.rolsuper FROM pg_catalog.pg_roles r
                                     WHERE r.rolname OPERATOR(pg_catalog.=) support.calling_role());
    moved boolean;
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'delivery_endpoints', 'guard_endpoint_host');
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
    -- a rotation keeps the endpoint, its destination and its URL's origin
    -- (scheme, host and port): no downgrade to http, no other server
    moved := TG_OP OPERATOR(pg_catalog.=) 'INSERT'
             OR support.url_origin(NEW.url) IS DISTINCT FROM support.url_origin(OLD.url)
             OR NEW.endpoint IS DISTINCT FROM OLD.endpoint
             OR NEW.destination IS DISTINCT FROM OLD.destination
             OR NEW.plain_text_on_loopback IS DISTINCT FROM OLD.plain_text_on_loopback;
    IF moved AND NOT COALESCE(caller_is_superuser, false) THEN
        RAISE EXCEPTION 'only a superuser may set where endpoint "%" delivers (%) and whether it needs TLS',
                        NEW.endpoint, support.url_origin(NEW.url)
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'A support manager may change the path or token of an endpoint''s URL on the same scheme, host and port; a DBA adds, renames and moves endpoints.';
    END IF;
    INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
    VALUES ('endpoint', support.current_user_id(), NULL,
            jsonb_build_object('endpoint', NEW.endpoint, 'operation', pg_catalog.lower(TG_OP),
                               'host', jsonb_build_array(CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN support.url_host(OLD.url) END,
                                                         support.url_host(NEW.url)),
                               'credentials_changed', TG_OP OPERATOR(pg_catalog.=) 'UPDATE'
                                   AND (OLD.secret IS DISTINCT FROM NEW.secret OR OLD.username IS DISTINCT FROM NEW.username)));
    RETURN NEW;
END $$;
COMMENT ON FUNCTION support.guard_endpoint_host() IS 'BEFORE INSERT, UPDATE OR DELETE trigger on support.delivery_endpoints: only a superuser adds, removes, renames or moves an endpoint; every change is audited (without secrets)';
REVOKE ALL ON FUNCTION support.guard_endpoint_host() FROM PUBLIC;

-- A message for a destination without an endpoint waits, untouched, until
-- one is configured (adding an endpoint wakes the worker).
CREATE FUNCTION support.has_endpoint(destination text, target text) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM support.delivery_endpoints e
                    WHERE e.active AND e.destination = has_endpoint.destination
                      AND (has_endpoint.destination = 'email' OR e.endpoint = has_endpoint.target
                           OR (has_endpoint.destination = 'slack' AND e.endpoint = '*')))
$$;
COMMENT ON FUNCTION support.has_endpoint(destination text, target text) IS 'whether a destination and target have an active delivery endpoint';
REVOKE ALL ON FUNCTION support.has_endpoint(destination text, target text) FROM PUBLIC;

CREATE FUNCTION support.message_content(destination text, target text, subject text, body text, payload jsonb, idempotency_key text, account_id bigint, ticket_id bigint, template text, created_at timestamp with time zone, sender text) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE destination
    WHEN 'slack' THEN
        jsonb_build_object(
            'channel', target,
            'username', 'Bedrock Support',
            'text', concat_ws(E'\n', '*' || COALESCE(subject, 'Bedrock Support') || '*', body,
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

CREATE FUNCTION support.next_delivery() RETURNS timestamp with time zone
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT m.next_attempt_at FROM support.outbound_messages m
     WHERE m.state = 'pending' AND support.has_endpoint(m.destination, m.target)
     ORDER BY m.next_attempt_at LIMIT 1
$$;
COMMENT ON FUNCTION support.next_delivery() IS 'when the delivery worker has its next message to send (NULL: none)';
REVOKE ALL ON FUNCTION support.next_delivery() FROM PUBLIC;

CREATE FUNCTION support.outbox_changed() RETURNS trigger
    LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'outbox_changed';
COMMENT ON FUNCTION support.outbox_changed() IS 'wakes the delivery worker when the transaction that queued messages commits';
REVOKE ALL ON FUNCTION support.outbox_changed() FROM PUBLIC;

CREATE FUNCTION support.queue_message(ticket support.tickets, destination text, target text, template text, subject text, body text, payload jsonb DEFAULT '{}'::jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF target IS NULL THEN
        RETURN;                 -- nobody to tell (no assignee, no address)
    END IF;
    INSERT INTO support.outbound_messages
           (account_id, ticket_id, destination, target, template, subject, body, payload)
    VALUES (ticket.account_id, ticket.ticket_id, destination, target, template, subject, body,
            jsonb_build_object('ticket_id', ticket.ticket_id, 'priority', ticket.priority::text,
                               'tier', ticket.tier, 'status', ticket.status::text)
            || COALESCE(payload, '{}'));
END $$;
COMMENT ON FUNCTION support.queue_message(ticket support.tickets, destination text, target text, template text, subject text, body text, payload jsonb) IS 'puts one message about a ticket into the outbox (nothing when the target is unknown)';
REVOKE ALL ON FUNCTION support.queue_message(ticket support.tickets, destination text, target text, template text, subject text, body text, payload jsonb) FROM PUBLIC;

CREATE FUNCTION support.queue_webhooks() RETURNS trigger
    LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'queue_webhooks';
COMMENT ON FUNCTION support.queue_webhooks() IS 'queues every new ticket event for each active webhook endpoint that wants its kind (a cached flag test when there is none)';
REVOKE ALL ON FUNCTION support.queue_webhooks() FROM PUBLIC;

CREATE FUNCTION support.record_deliveries(account_ids bigint[], message_ids bigint[], states text[], errors text[], next_attempts timestamp with time zone[]) RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    UPDATE support.outbound_messages m
       SET state = r.state,
           delivered_at = CASE WHEN r.state = 'delivered' THEN clock_timestamp() END,
           last_error = r.error,
           next_attempt_at = r.next_attempt_at
      FROM unnest(account_ids, message_ids, states, errors, next_attempts)
           AS r(account_id, message_id, state, error, next_attempt_at)
     WHERE m.account_id = r.account_id AND m.message_id = r.message_id AND m.state = 'pending'
$$;
COMMENT ON FUNCTION support.record_deliveries(account_ids bigint[], message_ids bigint[], states text[], errors text[], next_attempts timestamp with time zone[]) IS 'the delivery worker''s outcomes: delivered, back to pending with the next attempt''s time, or dead, with the reason';
REVOKE ALL ON FUNCTION support.record_deliveries(account_ids bigint[], message_ids bigint[], states text[], errors text[], next_attempts timestamp with time zone[]) FROM PUBLIC;

CREATE SEQUENCE support.message_id_seq;
GRANT USAGE ON SEQUENCE support.message_id_seq TO support_manager, support_agent;
CREATE TABLE support.outbound_messages (
    account_id bigint NOT NULL,
    message_id bigint NOT NULL,
    ticket_id bigint,
    destination text NOT NULL,
    target text NOT NULL,
    template text,
    subject text,
    body text NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    -- stable across retries and unique with the key, so receivers can
    -- de-duplicate; derived, so it costs no random draw and no extra index
    idempotency_key text GENERATED ALWAYS AS (((('bedrock-'::text || (account_id)::text) || '-'::text) || (message_id)::text)) STORED NOT NULL,
    state text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    last_error text,
    delivered_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT email_targets_are_addresses CHECK (((destination <> 'email'::text) OR support.is_email_address(target))),
    CONSTRAINT outbound_messages_destination_check CHECK ((destination = ANY (ARRAY['email'::text, 'slack'::text, 'webhook'::text]))),
    CONSTRAINT outbound_messages_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'delivered'::text, 'dead'::text]))),
    CONSTRAINT outbound_messages_target_check CHECK ((btrim(target) <> ''::text)),
    CONSTRAINT subjects_are_one_line CHECK (support.is_one_line(subject)),
    CONSTRAINT targets_are_one_line CHECK (support.is_one_line(target))
);
ALTER TABLE ONLY support.outbound_messages ALTER COLUMN message_id SET DEFAULT nextval('support.message_id_seq'::regclass);
ALTER TABLE ONLY support.outbound_messages
    ADD CONSTRAINT outbound_messages_pkey PRIMARY KEY (account_id, message_id);
CREATE INDEX outbound_messages_due_idx ON support.outbound_messages USING btree (next_attempt_at) WHERE (state = 'pending'::text);
CREATE INDEX outbound_messages_ticket_idx ON support.outbound_messages USING btree (account_id, ticket_id);
ALTER SEQUENCE support.message_id_seq OWNED BY support.outbound_messages.message_id;
ALTER TABLE support.outbound_messages ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.outbound_messages IS 'the transactional outbox: client emails and Slack alerts decided by a committed transaction, waiting for delivery';
COMMENT ON COLUMN support.outbound_messages.ticket_id IS 'the ticket the message is about (no foreign key: only triggers and the worker write here, and tickets are never deleted)';
COMMENT ON COLUMN support.outbound_messages.attempts IS 'delivery attempts so far, counted when the delivery worker claims the message';
COMMENT ON COLUMN support.outbound_messages.next_attempt_at IS 'when the message is next tried: after a failure, the backoff; while being sent, the end of the claim''s lease';
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE support.outbound_messages TO support_manager;
GRANT INSERT(account_id) ON TABLE support.outbound_messages TO support_agent;
GRANT INSERT(ticket_id) ON TABLE support.outbound_messages TO support_agent;
GRANT INSERT(destination) ON TABLE support.outbound_messages TO support_agent;
GRANT INSERT(target) ON TABLE support.outbound_messages TO support_agent;
GRANT INSERT(template) ON TABLE support.outbound_messages TO support_agent;
GRANT INSERT(subject) ON TABLE support.outbound_messages TO support_agent;
GRANT INSERT(body) ON TABLE support.outbound_messages TO support_agent;
GRANT INSERT(payload) ON TABLE support.outbound_messages TO support_agent;
GRANT INSERT(idempotency_key) ON TABLE support.outbound_messages TO support_agent;
SELECT pg_catalog.pg_extension_config_dump('support.outbound_messages', '');
SELECT pg_catalog.pg_extension_config_dump('support.message_id_seq', '');

CREATE FUNCTION support.requeue_message(account_id bigint, message_id bigint) RETURNS support.outbound_messages
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    message support.outbound_messages;
BEGIN
    UPDATE support.outbound_messages m
       SET state = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL
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

CREATE FUNCTION support.url_host(url text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN lower("substring"(url, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?(\[[^]]*\]|[^/?#:]*)'::text));
COMMENT ON FUNCTION support.url_host(url text) IS 'the host of a URL, lower case (NULL: none)';

CREATE FUNCTION support.url_origin(url text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN (url ~ '^[A-Za-z][A-Za-z0-9+.-]*://'::text) THEN lower(regexp_replace(url, '^([A-Za-z][A-Za-z0-9+.-]*://)(?:[^/?#@]*@)?(\[[^]]*\]|[^/?#:]*)(:[0-9]*)?.*$'::text, '\1\2\3'::text)) ELSE NULL::text END;
COMMENT ON FUNCTION support.url_origin(url text) IS 'scheme, host and port of a URL, lower case (NULL: none)';
REVOKE ALL ON FUNCTION support.url_origin(url text) FROM PUBLIC;

CREATE FUNCTION support.webhook_signature(secret text, "timestamp" text, body text) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'webhook_signature';
COMMENT ON FUNCTION support.webhook_signature(secret text, "timestamp" text, body text) IS 'hex HMAC-SHA256 of "<timestamp>.<body>" with the secret: what a receiver compares with X-Bedrock-Signature (v1=...)';

CREATE TABLE support.delivery_endpoints (
    endpoint text NOT NULL,
    destination text NOT NULL,
    url text NOT NULL,
    secret text,
    username text,
    sender text,
    event_kinds text[],
    active boolean DEFAULT true NOT NULL,
    plain_text_on_loopback boolean DEFAULT false NOT NULL,
    CONSTRAINT credentials_are_one_line CHECK ((support.is_one_line(username) AND support.is_one_line(secret))),
    CONSTRAINT delivery_endpoints_destination_check CHECK ((destination = ANY (ARRAY['email'::text, 'slack'::text, 'webhook'::text]))),
    CONSTRAINT delivery_endpoints_endpoint_check CHECK ((btrim(endpoint) <> ''::text)),
    CONSTRAINT delivery_endpoints_sender_check CHECK ((sender ~ '^[^@\s<>]+@[^@\s<>]+$'::text)),
    CONSTRAINT email_endpoints_have_a_sender CHECK (((destination <> 'email'::text) OR (sender IS NOT NULL))),
    CONSTRAINT plain_text_only_on_loopback CHECK (((NOT plain_text_on_loopback) OR ((destination = 'email'::text) AND (support.url_host(url) = ANY (ARRAY['127.0.0.1'::text, 'localhost'::text, '[::1]'::text]))))),
    CONSTRAINT senders_are_addresses CHECK (support.is_email_address(sender)),
    CONSTRAINT the_url_fits_the_destination CHECK (
CASE destination
    WHEN 'email'::text THEN (url ~* '^smtps?://[^\s]+$'::text)
    ELSE (url ~* '^https?://[^\s]+$'::text)
END),
    CONSTRAINT webhooks_are_signed CHECK (((destination <> 'webhook'::text) OR (length(secret) >= 16)))
);
ALTER TABLE ONLY support.delivery_endpoints
    ADD CONSTRAINT delivery_endpoints_pkey PRIMARY KEY (endpoint);
ALTER TABLE support.delivery_endpoints ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.delivery_endpoints IS 'secrets: where the delivery worker sends each destination (a Slack channel''s incoming webhook, ''*'' for any channel; a webhook receiver and its signing secret; the SMTP server, its credentials and sender). No client or agent role may read it.';
COMMENT ON COLUMN support.delivery_endpoints.endpoint IS 'slack: the channel (''#critical-issues'') or ''*''; webhook: the name messages target; email: any name (the first active one is used)';
COMMENT ON COLUMN support.delivery_endpoints.secret IS 'webhook: the HMAC-SHA256 signing secret (16 characters or more); email: the SMTP password';
COMMENT ON COLUMN support.delivery_endpoints.event_kinds IS 'webhook: the ticket event kinds it receives (NULL: all of them)';
COMMENT ON COLUMN support.delivery_endpoints.plain_text_on_loopback IS 'an SMTP server on loopback (a local relay, a test sink) may be spoken to without TLS; every other SMTP endpoint requires it';
GRANT INSERT,DELETE,UPDATE ON TABLE support.delivery_endpoints TO support_manager;
GRANT SELECT(endpoint) ON TABLE support.delivery_endpoints TO support_manager;
GRANT SELECT(destination) ON TABLE support.delivery_endpoints TO support_manager;
GRANT SELECT(sender) ON TABLE support.delivery_endpoints TO support_manager;
GRANT SELECT(event_kinds) ON TABLE support.delivery_endpoints TO support_manager;
GRANT SELECT(active) ON TABLE support.delivery_endpoints TO support_manager;
GRANT SELECT(plain_text_on_loopback) ON TABLE support.delivery_endpoints TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.delivery_endpoints', '');

CREATE VIEW support.delivery_status WITH (security_invoker='true') AS
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
          WHERE ((m.state = 'pending'::text) AND (NOT support.has_endpoint(m.destination, m.target)))) AS waiting_for_an_endpoint,
    ( SELECT count(*) AS count
           FROM support.outbound_messages m
          WHERE (m.state = 'dead'::text)) AS dead_letters,
    support.next_delivery() AS next_attempt
   FROM support.delivery_worker_state() w(preloaded, state, pid, started_at, last_pass_at, last_pass_messages, last_pass_delivered, passes, delivered, next_wakeup, errors, last_error_at, last_error);
COMMENT ON VIEW support.delivery_status IS 'the delivery worker of this database (running or not, last pass, messages delivered, errors) and the outbox''s pending and dead messages';
GRANT SELECT ON TABLE support.delivery_status TO support_manager;

CREATE TRIGGER config_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON support.delivery_endpoints FOR EACH STATEMENT EXECUTE FUNCTION support.config_changed();

CREATE TRIGGER endpoint_host_guarded BEFORE INSERT OR DELETE OR UPDATE ON support.delivery_endpoints FOR EACH ROW EXECUTE FUNCTION support.guard_endpoint_host();

CREATE TRIGGER outbox_changed AFTER INSERT OR UPDATE ON support.delivery_endpoints FOR EACH STATEMENT EXECUTE FUNCTION support.outbox_changed();

CREATE TRIGGER outbox_changed AFTER INSERT OR UPDATE ON support.outbound_messages FOR EACH STATEMENT EXECUTE FUNCTION support.outbox_changed();

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.delivery_endpoints FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('endpoint');

CREATE TRIGGER ticket_event_webhooks AFTER INSERT ON support.ticket_events REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION support.queue_webhooks();

CREATE POLICY agent_queues_messages ON support.outbound_messages
    FOR INSERT TO support_agent
    WITH CHECK (((SELECT support.current_key_kind()) = 'agent') AND (EXISTS ( SELECT 1
   FROM support.tickets t
  WHERE ((t.account_id = outbound_messages.account_id) AND (t.ticket_id = outbound_messages.ticket_id)))));
CREATE POLICY manager_all ON support.delivery_endpoints
    TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));
CREATE POLICY manager_all ON support.outbound_messages
    TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

-- 10_role_assumption.sql

-- Role assumption: a super user acting as a client user, with a reason,
-- a second factor, an approval for sensitive accounts, an idle limit and
-- an audit trail.

CREATE FUNCTION support.active_assumptions() RETURNS TABLE(account_id bigint, assumed_user_id bigint, assumed_by bigint, assumed_at timestamp with time zone, last_used_at timestamp with time zone, idle_until timestamp with time zone, expires_at timestamp with time zone, justification text, approval_id bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT support.current_is_manager() THEN
        RAISE EXCEPTION 'only a support manager may list who is assuming whom'
              USING ERRCODE = 'insufficient_privilege', HINT = 'Set support.auth_key to a support manager''s key.';
    END IF;
    RETURN QUERY
    SELECT k.account_id, k.user_id, k.assumed_by, k.issued_at, k.last_used_at,
           k.last_used_at + k.idle_timeout, k.expires_at, k.justification, k.approval_id
      FROM support.auth_keys k
     WHERE k.assumed_by IS NOT NULL AND k.revoked_at IS NULL
       AND support.assumption_end_reason(k) IS NULL
     ORDER BY k.issued_at;
END $$;
COMMENT ON FUNCTION support.active_assumptions() IS 'for support managers: who is assuming whom right now, why, and until when (no key material)';
REVOKE ALL ON FUNCTION support.active_assumptions() FROM PUBLIC;
GRANT ALL ON FUNCTION support.active_assumptions() TO support_manager;

CREATE FUNCTION support.approve_assumption(account_id bigint, super_user_id bigint, reason text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    manager bigint := support.current_user_id();
    approval support.assumption_approvals;
BEGIN
    IF manager IS NULL OR NOT support.current_is_manager() OR support.current_assumed_by() IS NOT NULL THEN
        RAISE EXCEPTION 'only a support manager may approve assuming a sensitive account''s users'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Set support.auth_key to a support manager''s key.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM support.agents g
                    WHERE g.agent_id OPERATOR(pg_catalog.=) approve_assumption.super_user_id
                      AND g.is_super_user AND g.active) THEN
        RAISE EXCEPTION 'user % is not an active super user', super_user_id
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Approvals are for support.agents with is_super_user.';
    END IF;
    IF super_user_id OPERATOR(pg_catalog.=) manager THEN
        RAISE EXCEPTION 'a support manager cannot approve their own assumption'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Another support manager must approve it.';
    END IF;
    IF manager OPERATOR(pg_catalog.=) ANY (support.recent_power_changers(approve_assumption.account_id)) THEN
        RAISE EXCEPTION 'a support manager who changed super-user or manager rights, the assumption policy or account %''s sensitivity in the last 24 hours cannot approve an assumption', account_id
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Another support manager must approve it (support.security_audit shows who changed what).';
    END IF;
    IF reason IS NULL OR btrim(reason) OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'an approval needs a reason'
              USING ERRCODE = 'invalid_parameter_value', HINT = 'Say why the account may be accessed.';
    END IF;
    INSERT INTO support.assumption_approvals AS p (account_id, super_user_id, approved_by, reason, valid_until)
    VALUES (approve_assumption.account_id, approve_assumption.super_user_id, manager, btrim(reason),
            now() + (SELECT l.approval_valid_for FROM support.assumption_policy l))
    RETURNING p.* INTO approval;
    INSERT INTO support.assumption_audit (account_id, action, assumed_by, approval_id, details)
    VALUES (approval.account_id, 'approved', approval.super_user_id, approval.approval_id,
            jsonb_build_object('approved_by', manager, 'reason', approval.reason,
                               'valid_until', approval.valid_until));
    RETURN approval.approval_id;
EXCEPTION WHEN foreign_key_violation THEN
    RAISE EXCEPTION 'account % does not exist', account_id
          USING ERRCODE = 'invalid_parameter_value', HINT = 'Accounts are listed in support.accounts.';
END $$;
COMMENT ON FUNCTION support.approve_assumption(account_id bigint, super_user_id bigint, reason text) IS 'a support manager''s recorded approval for a super user to assume users of a sensitive account (valid for assumption_policy.approval_valid_for)';
REVOKE ALL ON FUNCTION support.approve_assumption(account_id bigint, super_user_id bigint, reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION support.approve_assumption(account_id bigint, super_user_id bigint, reason text) TO support_manager;

CREATE FUNCTION support.assume_user_role(user_id bigint, justification text) RETURNS TABLE(auth_key text, assumed_user_id bigint, account_id bigint, account_name text, full_name text, email text, role support.account_role, idle_timeout interval, expires_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me bigint := support.require_super_user();
    parent support.auth_keys;
    target support.account_users;
    account support.accounts;
    limits support.assumption_policy := (SELECT p FROM support.assumption_policy p);
    approval bigint;
    session record := support.session_token();
    ended support.auth_keys;
    new_key text := support.new_auth_key();
    created support.auth_keys;
BEGIN
    -- the super user's key row serialises its assumptions and its logout
    SELECT * INTO parent FROM support.auth_keys k WHERE k.key_id OPERATOR(pg_catalog.=) support.current_key_id()
       FOR UPDATE;
    IF parent.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION 'support.auth_key was released'
              USING ERRCODE = 'invalid_authorization_specification',
                    HINT = 'The super user logged out meanwhile; log in again.';
    END IF;
    IF user_id IS NULL THEN
        RAISE EXCEPTION 'assuming a user needs the user''s id'
              USING ERRCODE = 'null_value_not_allowed',
                    HINT = 'support.list_accounts_and_users() lists the users that can be assumed.';
    END IF;
    IF EXISTS (SELECT 1 FROM support.agents g WHERE g.agent_id OPERATOR(pg_catalog.=) assume_user_role.user_id) THEN
        RAISE EXCEPTION 'user % is support staff and cannot be assumed', user_id
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Only client users (support.account_users) can be assumed; super users never.';
    END IF;
    SELECT * INTO target FROM support.account_users u
     WHERE u.user_id OPERATOR(pg_catalog.=) assume_user_role.user_id AND u.active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % is not an active client user', user_id
              USING ERRCODE = 'no_data_found',
                    HINT = 'support.list_accounts_and_users() lists the users that can be assumed.';
    END IF;
    IF justification IS NULL OR length(btrim(justification)) < limits.justification_min_length THEN
        RAISE EXCEPTION 'assuming a user needs a business justification of at least % characters',
                        limits.justification_min_length
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Say what is being diagnosed, for the audit trail (a ticket number helps).';
    END IF;
    SELECT * INTO account FROM support.accounts a WHERE a.account_id OPERATOR(pg_catalog.=) target.account_id;
    -- an account made non-sensitive in the last 24 hours still needs an
    -- approval, from a manager who changed no staff power meanwhile
    IF account.sensitive OR EXISTS (
           SELECT 1 FROM support.security_audit s
            WHERE s.kind OPERATOR(pg_catalog.=) 'account_sensitivity'
              AND s.subject_id OPERATOR(pg_catalog.=) account.account_id
              AND s.occurred_at OPERATOR(pg_catalog.>) (now() OPERATOR(pg_catalog.-) interval '24 hours')) THEN
        SELECT p.approval_id INTO approval FROM support.assumption_approvals p
         WHERE p.account_id OPERATOR(pg_catalog.=) account.account_id
           AND p.super_user_id OPERATOR(pg_catalog.=) me
           AND p.valid_until OPERATOR(pg_catalog.>) now()
           AND NOT p.approved_by OPERATOR(pg_catalog.=) ANY (support.recent_power_changers(account.account_id))
         ORDER BY p.valid_until DESC LIMIT 1;
        IF approval IS NULL THEN
            RAISE EXCEPTION 'account % is sensitive: assuming its users needs a support manager''s approval',
                            account.account_id
                  USING ERRCODE = 'insufficient_privilege',
                        HINT = 'A support manager records it with support.approve_assumption(account_id, super_user_id, reason).';
        END IF;
    END IF;

    -- one assumed user at a time per key: switching releases the previous one
    FOR ended IN UPDATE support.auth_keys k SET revoked_at = now(), revoke_reason = 'switched'
                  WHERE k.parent_key_id OPERATOR(pg_catalog.=) parent.key_id
                    AND k.assumed_by IS NOT NULL AND k.revoked_at IS NULL
                 RETURNING k.* LOOP
        PERFORM support.audit_release(ended, 'released', 'switched');
    END LOOP;

    INSERT INTO support.auth_keys AS k
           (key_hash, user_id, account_id, expires_at, assumed_by, parent_key_id, justification,
            approval_id, idle_timeout, session_slot, session_nonce)
    VALUES (support.auth_key_hash(new_key), target.user_id, target.account_id, parent.expires_at, me,
            parent.key_id, btrim(justification), approval, limits.idle_timeout, session.slot, session.nonce)
    RETURNING k.* INTO created;
    INSERT INTO support.assumption_audit
           (account_id, action, assumed_by, assumed_user_id, key_id, justification, approval_id, details)
    VALUES (target.account_id, 'assumed', me, target.user_id, created.key_id, created.justification, approval,
            jsonb_build_object('role', target.role, 'idle_timeout', limits.idle_timeout,
                               'expires_at', created.expires_at));
    RETURN QUERY SELECT new_key, target.user_id, target.account_id, account.name, target.full_name,
                        target.email, target.role, limits.idle_timeout, created.expires_at;
END $$;
COMMENT ON FUNCTION support.assume_user_role(user_id bigint, justification text) IS 'the handbook''s AssumeUserRole: a temporary key for one client user, audited; ends after the idle timeout, with the super user''s key, or with this session';
REVOKE ALL ON FUNCTION support.assume_user_role(user_id bigint, justification text) FROM PUBLIC;
GRANT ALL ON FUNCTION support.assume_user_role(user_id bigint, justification text) TO support_super_user;

-- A connection pool closes idle server connections (node-postgres after
-- 10 s, pgbouncer's server_idle_timeout): an assumption tied to the backend
-- that made it ended long before the handbook's two idle hours. It now ends
-- on release, with the super user's own key (logout or expiry), after its
-- idle limit, and the moment its super user is deactivated or loses the
-- role. The backend that made it is still recorded (session_slot,
-- session_nonce), for the audit; the key lookup (src/auth.c) no longer
-- consults it.
CREATE FUNCTION support.assumption_end_reason(assumed support.auth_keys) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE
        WHEN parent.revoked_at IS NOT NULL THEN 'the super user''s key was revoked'
        WHEN parent.expires_at OPERATOR(pg_catalog.<=) now() THEN 'the super user''s key expired'
        WHEN NOT COALESCE(su.active AND su.is_super_user, false) THEN 'the super user is no longer an active super user'
        WHEN assumed.last_used_at OPERATOR(pg_catalog.+) assumed.idle_timeout OPERATOR(pg_catalog.<=) now() THEN 'idle'
        WHEN assumed.expires_at OPERATOR(pg_catalog.<=) now() THEN 'key expired'
    END
      FROM (SELECT 1) AS one
      LEFT JOIN support.auth_keys parent ON parent.key_id OPERATOR(pg_catalog.=) assumed.parent_key_id
      LEFT JOIN support.agents su ON su.agent_id OPERATOR(pg_catalog.=) assumed.assumed_by
$$;
COMMENT ON FUNCTION support.assumption_end_reason(assumed support.auth_keys) IS 'why an assumed key no longer works (NULL: it still does); the rule the key lookup in src/auth.c also applies';
REVOKE ALL ON FUNCTION support.assumption_end_reason(assumed support.auth_keys) FROM PUBLIC;

-- Every row written while assuming is audited with the real actor.
CREATE FUNCTION support.audit_assumed_write() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    written record := CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN OLD ELSE NEW END;
    row_key jsonb := jsonb_strip_nulls(jsonb_build_object(
        'account_id', to_jsonb(written) -> 'account_id', 'ticket_id', to_jsonb(written) -> 'ticket_id',
        'event_id', to_jsonb(written) -> 'event_id', 'user_id', to_jsonb(written) -> 'user_id',
        'agent_id', to_jsonb(written) -> 'agent_id', 'message_id', to_jsonb(written) -> 'message_id',
        'sla_event_id', to_jsonb(written) -> 'sla_event_id'));
BEGIN
    INSERT INTO support.assumption_audit (account_id, action, assumed_by, assumed_user_id, key_id, details)
    VALUES (support.current_account_id(), 'write', support.current_assumed_by(), support.current_user_id(),
            support.current_key_id(),
            jsonb_build_object('table', TG_TABLE_NAME, 'operation', lower(TG_OP), 'row', row_key));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.audit_assumed_write() IS 'AFTER row trigger, only while assuming: one audit row per row written, with the super user and the assumed user';
REVOKE ALL ON FUNCTION support.audit_assumed_write() FROM PUBLIC;

CREATE FUNCTION support.audit_release(ended support.auth_keys, action text, reason text) RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO support.assumption_audit
           (account_id, action, assumed_by, assumed_user_id, key_id, justification, approval_id, details)
    VALUES (ended.account_id, action, ended.assumed_by, ended.user_id, ended.key_id, ended.justification,
            ended.approval_id, jsonb_build_object('reason', reason, 'assumed_at', ended.issued_at));
$$;
COMMENT ON FUNCTION support.audit_release(ended support.auth_keys, action text, reason text) IS 'writes the audit row of an assumption that ended (released or expired) and why';
REVOKE ALL ON FUNCTION support.audit_release(ended support.auth_keys, action text, reason text) FROM PUBLIC;

-- Losing the role ends the super user's assumptions in the same transaction,
-- audited. Row-level, on those columns only: agents' loads change on every
-- ticket, and must not pay for it.
CREATE FUNCTION support.end_assumptions_of_former_super_users() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ended support.auth_keys;
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'agents', 'end_assumptions_of_former_super_users');
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

CREATE FUNCTION support.expire_assumptions() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ended support.auth_keys;
    count integer := 0;
BEGIN
    FOR ended IN
        UPDATE support.auth_keys k
           SET revoked_at = now(), revoke_reason = support.assumption_end_reason(k)
         WHERE k.assumed_by IS NOT NULL AND k.revoked_at IS NULL
           AND support.assumption_end_reason(k) IS NOT NULL
        RETURNING k.* LOOP
        PERFORM support.audit_release(ended, 'expired', ended.revoke_reason);
        count := count + 1;
    END LOOP;
    -- keys a week past their end (a revoked key's is at most a day later) are of no
    -- use to anyone; the audit keeps the story
    DELETE FROM support.auth_keys k WHERE k.expires_at < now() - interval '7 days';
    RETURN count;
END $$;
COMMENT ON FUNCTION support.expire_assumptions() IS 'the worker''s sweep: audits assumptions that went idle, outlived their super user''s key or rights, and forgets keys a week past their end';
REVOKE ALL ON FUNCTION support.expire_assumptions() FROM PUBLIC;

CREATE FUNCTION support.release_user_role() RETURNS TABLE(assumed_user_id bigint, account_id bigint, released_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    current_key bigint := support.current_key_id();
    ended support.auth_keys;
BEGIN
    IF current_key IS NULL THEN
        RAISE EXCEPTION 'support.auth_key is not set'
              USING ERRCODE = 'invalid_authorization_specification',
                    HINT = 'Set it to the assumed user''s key or the super user''s own.';
    END IF;
    IF support.current_assumed_by() IS NULL AND NOT support.current_is_super_user() THEN
        RAISE EXCEPTION 'only super users assume and release users'
              USING ERRCODE = 'insufficient_privilege', HINT = 'There is nothing to release.';
    END IF;
    FOR ended IN UPDATE support.auth_keys k SET revoked_at = now(), revoke_reason = 'released'
                  WHERE k.assumed_by IS NOT NULL AND k.revoked_at IS NULL
                    AND (k.key_id OPERATOR(pg_catalog.=) current_key
                         OR k.parent_key_id OPERATOR(pg_catalog.=) current_key)
                 RETURNING k.* LOOP
        PERFORM support.audit_release(ended, 'released', 'released');
        assumed_user_id := ended.user_id;
        account_id := ended.account_id;
        released_at := ended.revoked_at;
        RETURN NEXT;
    END LOOP;
    IF assumed_user_id IS NULL THEN
        RAISE EXCEPTION 'no assumed user to release'
              USING ERRCODE = 'no_data_found', HINT = 'The assumption was already released or has expired.';
    END IF;
END $$;
COMMENT ON FUNCTION support.release_user_role() IS 'the handbook''s ReleaseUserRole: ends the assumption (called with the assumed key or the super user''s own), audited';
REVOKE ALL ON FUNCTION support.release_user_role() FROM PUBLIC;
GRANT ALL ON FUNCTION support.release_user_role() TO support_super_user;

CREATE SEQUENCE support.approval_id_seq;
GRANT USAGE ON SEQUENCE support.approval_id_seq TO support_manager;
CREATE TABLE support.assumption_approvals (
    account_id bigint NOT NULL,
    approval_id bigint NOT NULL,
    super_user_id bigint NOT NULL,
    approved_by bigint NOT NULL,
    reason text NOT NULL,
    approved_at timestamp with time zone DEFAULT now() NOT NULL,
    valid_until timestamp with time zone NOT NULL,
    CONSTRAINT approver_is_not_the_super_user CHECK ((approved_by <> super_user_id)),
    CONSTRAINT assumption_approvals_reason_check CHECK ((btrim(reason) <> ''::text))
);
ALTER TABLE ONLY support.assumption_approvals ALTER COLUMN approval_id SET DEFAULT nextval('support.approval_id_seq'::regclass);
ALTER TABLE ONLY support.assumption_approvals
    ADD CONSTRAINT assumption_approvals_pkey PRIMARY KEY (account_id, approval_id);
ALTER TABLE ONLY support.assumption_approvals
    ADD CONSTRAINT assumption_approvals_account_id_fkey FOREIGN KEY (account_id) REFERENCES support.accounts(account_id);
ALTER TABLE ONLY support.assumption_approvals
    ADD CONSTRAINT assumption_approvals_approved_by_fkey FOREIGN KEY (approved_by) REFERENCES support.agents(agent_id);
ALTER TABLE ONLY support.assumption_approvals
    ADD CONSTRAINT assumption_approvals_super_user_id_fkey FOREIGN KEY (super_user_id) REFERENCES support.agents(agent_id);
ALTER SEQUENCE support.approval_id_seq OWNED BY support.assumption_approvals.approval_id;
ALTER TABLE support.assumption_approvals ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.assumption_approvals IS 'a support manager''s recorded approval for one super user to assume users of one sensitive account, until a time';
GRANT SELECT ON TABLE support.assumption_approvals TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.assumption_approvals', '');
SELECT pg_catalog.pg_extension_config_dump('support.approval_id_seq', '');

CREATE SEQUENCE support.audit_id_seq;
GRANT USAGE ON SEQUENCE support.audit_id_seq TO support_manager;
CREATE TABLE support.assumption_audit (
    account_id bigint NOT NULL,
    audit_id bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    action text NOT NULL,
    assumed_by bigint NOT NULL,  -- the real actor: the super user
    assumed_user_id bigint,  -- the user acted as
    key_id bigint,
    justification text,
    approval_id bigint,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT assumption_audit_action_check CHECK ((action = ANY (ARRAY['approved'::text, 'assumed'::text, 'released'::text, 'expired'::text, 'write'::text])))
);
ALTER TABLE ONLY support.assumption_audit ALTER COLUMN audit_id SET DEFAULT nextval('support.audit_id_seq'::regclass);
ALTER TABLE ONLY support.assumption_audit
    ADD CONSTRAINT assumption_audit_pkey PRIMARY KEY (account_id, audit_id);
CREATE INDEX assumption_audit_actor_idx ON support.assumption_audit USING btree (assumed_by, occurred_at);
ALTER SEQUENCE support.audit_id_seq OWNED BY support.assumption_audit.audit_id;
ALTER TABLE support.assumption_audit ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.assumption_audit IS 'append-only trail of role assumption: approvals, assumptions, releases, expiries and every row written while assuming, with the real actor';
GRANT SELECT ON TABLE support.assumption_audit TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.assumption_audit', '');
SELECT pg_catalog.pg_extension_config_dump('support.audit_id_seq', '');

CREATE TABLE support.assumption_policy (
    singleton boolean DEFAULT true NOT NULL,
    idle_timeout interval DEFAULT '02:00:00'::interval NOT NULL,
    justification_min_length integer DEFAULT 10 NOT NULL,
    approval_valid_for interval DEFAULT '08:00:00'::interval NOT NULL,
    max_key_lifetime interval DEFAULT '24:00:00'::interval NOT NULL,
    CONSTRAINT assumption_policy_approval_valid_for_check CHECK ((approval_valid_for > '00:00:00'::interval)),
    CONSTRAINT assumption_policy_idle_timeout_check CHECK ((idle_timeout > '00:00:00'::interval)),
    CONSTRAINT assumption_policy_justification_min_length_check CHECK ((justification_min_length >= 1)),
    CONSTRAINT assumption_policy_max_key_lifetime_check CHECK ((max_key_lifetime > '00:00:00'::interval)),
    CONSTRAINT assumption_policy_singleton_check CHECK (singleton)
);
ALTER TABLE ONLY support.assumption_policy
    ADD CONSTRAINT assumption_policy_pkey PRIMARY KEY (singleton);
ALTER TABLE support.assumption_policy ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.assumption_policy IS 'the handbook''s limits on keys and role assumption: idle timeout (2 hours), justification length, how long a manager''s approval lasts, longest key';
GRANT SELECT,UPDATE ON TABLE support.assumption_policy TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.assumption_policy', '');

CREATE TRIGGER assumption_audit_append_only BEFORE DELETE OR UPDATE ON support.assumption_audit FOR EACH ROW EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER assumption_audit_no_truncate BEFORE TRUNCATE ON support.assumption_audit FOR EACH STATEMENT EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER audit_assumed_write AFTER INSERT OR DELETE OR UPDATE ON support.account_users FOR EACH ROW WHEN ((support.current_assumed_by() IS NOT NULL)) EXECUTE FUNCTION support.audit_assumed_write();

CREATE TRIGGER audit_assumed_write AFTER INSERT OR DELETE OR UPDATE ON support.agents FOR EACH ROW WHEN ((support.current_assumed_by() IS NOT NULL)) EXECUTE FUNCTION support.audit_assumed_write();

CREATE TRIGGER audit_assumed_write AFTER INSERT OR DELETE OR UPDATE ON support.outbound_messages FOR EACH ROW WHEN ((support.current_assumed_by() IS NOT NULL)) EXECUTE FUNCTION support.audit_assumed_write();

CREATE TRIGGER audit_assumed_write AFTER INSERT OR DELETE OR UPDATE ON support.sla_events FOR EACH ROW WHEN ((support.current_assumed_by() IS NOT NULL)) EXECUTE FUNCTION support.audit_assumed_write();

CREATE TRIGGER audit_assumed_write AFTER INSERT OR DELETE OR UPDATE ON support.ticket_events FOR EACH ROW WHEN ((support.current_assumed_by() IS NOT NULL)) EXECUTE FUNCTION support.audit_assumed_write();

CREATE TRIGGER audit_assumed_write AFTER INSERT OR DELETE OR UPDATE ON support.tickets FOR EACH ROW WHEN ((support.current_assumed_by() IS NOT NULL)) EXECUTE FUNCTION support.audit_assumed_write();

CREATE TRIGGER restore_config_row BEFORE INSERT ON support.assumption_policy FOR EACH ROW EXECUTE FUNCTION support.restore_config_row('singleton');

CREATE TRIGGER super_user_rights_changed AFTER UPDATE OF is_super_user, active ON support.agents FOR EACH ROW WHEN ((old.is_super_user AND old.active AND (NOT (new.is_super_user AND new.active)))) EXECUTE FUNCTION support.end_assumptions_of_former_super_users();

CREATE POLICY manager_all ON support.assumption_policy
    TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()))
    WITH CHECK (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));
CREATE POLICY manager_reads_approvals ON support.assumption_approvals
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));
CREATE POLICY manager_reads_audit ON support.assumption_audit
    FOR SELECT TO support_manager
    USING (((SELECT support.current_key_kind()) = 'manager') AND (SELECT support.current_is_manager()));

INSERT INTO support.assumption_policy (singleton, idle_timeout, justification_min_length, approval_valid_for, max_key_lifetime) VALUES
	(true, '02:00:00', 10, '08:00:00', '24:00:00');

-- 11_security_audit.sql

-- The security audit: an append-only trail of changes to staff rights,
-- accounts' sensitivity, the assumption policy and delivery endpoints, and
-- of DDL on the trails themselves.

CREATE FUNCTION support.audit_account_sensitivity() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'accounts', 'audit_account_sensitivity');
    INSERT INTO support.security_audit (kind, changed_by, subject_id, details)
    VALUES ('account_sensitivity', support.current_user_id(), NEW.account_id,
            jsonb_build_object('sensitive', jsonb_build_array(OLD.sensitive, NEW.sensitive)));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.audit_account_sensitivity() IS 'AFTER UPDATE trigger on support.accounts: a change of an account''s sensitive flag goes to support.security_audit';
REVOKE ALL ON FUNCTION support.audit_account_sensitivity() FROM PUBLIC;

CREATE FUNCTION support.audit_assumption_policy() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'assumption_policy', 'audit_assumption_policy');
    INSERT INTO support.security_audit (kind, changed_by, details)
    VALUES ('assumption_policy', support.current_user_id(),
            jsonb_build_object('old', pg_catalog.to_jsonb(OLD), 'new', pg_catalog.to_jsonb(NEW)));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION support.audit_assumption_policy() IS 'AFTER INSERT, UPDATE OR DELETE trigger on support.assumption_policy: a change of the assumption limits goes to support.security_audit';
REVOKE ALL ON FUNCTION support.audit_assumption_policy() FROM PUBLIC;

CREATE FUNCTION support.audit_staff_rights() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM support.require_trigger_table(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'agents', 'audit_staff_rights');
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

-- The two-person rule of a sensitive account, kept when a manager changes
-- staff powers: the changes are audited (above), an account made
-- non-sensitive counts as sensitive for 24 hours, and no manager who changed
-- super-user or manager rights, or the account's sensitivity, in those 24
-- hours can approve an assumption.
CREATE FUNCTION support.recent_power_changers(account_id bigint) RETURNS bigint[]
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT COALESCE(pg_catalog.array_agg(DISTINCT s.changed_by), '{}')
      FROM support.security_audit s
     WHERE s.changed_by IS NOT NULL
       AND s.occurred_at OPERATOR(pg_catalog.>) (now() OPERATOR(pg_catalog.-) interval '24 hours')
       AND (s.kind OPERATOR(pg_catalog.=) ANY (ARRAY['staff_rights', 'assumption_policy'])
            OR (s.kind OPERATOR(pg_catalog.=) 'account_sensitivity'
                AND s.subject_id OPERATOR(pg_catalog.=) recent_power_changers.account_id))
$$;
COMMENT ON FUNCTION support.recent_power_changers(account_id bigint) IS 'the managers who, in the last 24 hours, changed anyone''s super-user or manager rights, the assumption policy or the account''s sensitivity: none of them may approve an assumption there';
REVOKE ALL ON FUNCTION support.recent_power_changers(account_id bigint) FROM PUBLIC;

-- A superuser can do anything, including turning the trails' guards off;
-- what DDL does to the trails is recorded (a superuser can still drop this
-- event trigger first, or use session_replication_role: the README says so).
CREATE FUNCTION support.record_trail_bypass() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    command record;
BEGIN
    FOR command IN
        SELECT c.command_tag, c.object_identity FROM pg_catalog.pg_event_trigger_ddl_commands() c
         WHERE c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
           AND c.objid OPERATOR(pg_catalog.=) ANY (ARRAY['support.assumption_audit'::regclass, 'support.security_audit'::regclass,
                                                         'support.ticket_events'::regclass, 'support.sla_events'::regclass]::oid[])
    LOOP
        INSERT INTO support.security_audit (kind, changed_by, details)
        VALUES ('bypass', support.current_user_id(),
                jsonb_build_object('command', command.command_tag, 'object', command.object_identity,
                                   'statement', pg_catalog.current_query()));
    END LOOP;
END $$;
COMMENT ON FUNCTION support.record_trail_bypass() IS 'event trigger: DDL on the trails (disabling their triggers or row-level security, say) is recorded in support.security_audit';
REVOKE ALL ON FUNCTION support.record_trail_bypass() FROM PUBLIC;

CREATE SEQUENCE support.security_audit_id_seq;
CREATE TABLE support.security_audit (
    audit_id bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    kind text NOT NULL,
    changed_by bigint,  -- the key's user; NULL for a DBA's or the worker's session
    changed_by_role name DEFAULT support.calling_role() NOT NULL,
    subject_id bigint,  -- the agent or account changed
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT security_audit_kind_check CHECK ((kind = ANY (ARRAY['staff_rights'::text, 'account_sensitivity'::text, 'assumption_policy'::text, 'endpoint'::text, 'bypass'::text])))
);
ALTER TABLE ONLY support.security_audit ALTER COLUMN audit_id SET DEFAULT nextval('support.security_audit_id_seq'::regclass);
ALTER TABLE ONLY support.security_audit
    ADD CONSTRAINT security_audit_pkey PRIMARY KEY (audit_id);
CREATE INDEX security_audit_changes_idx ON support.security_audit USING btree (changed_by, occurred_at);
ALTER SEQUENCE support.security_audit_id_seq OWNED BY support.security_audit.audit_id;
ALTER TABLE support.security_audit ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE support.security_audit IS 'append-only trail of changes to staff powers: super-user and manager rights, an account''s sensitive flag, the assumption policy, delivery endpoints, and a superuser''s changes to the trails themselves';
GRANT SELECT ON TABLE support.security_audit TO support_manager;
SELECT pg_catalog.pg_extension_config_dump('support.security_audit', '');
SELECT pg_catalog.pg_extension_config_dump('support.security_audit_id_seq', '');

CREATE EVENT TRIGGER bedrock_support_trail_changes ON ddl_command_end
         WHEN TAG IN ('ALTER TABLE', 'CREATE TRIGGER', 'ALTER TRIGGER', 'CREATE POLICY', 'ALTER POLICY', 'DROP POLICY')
   EXECUTE FUNCTION support.record_trail_bypass();

-- PostgreSQL database dump complete

CREATE TRIGGER account_sensitivity_audited AFTER UPDATE OF sensitive ON support.accounts FOR EACH ROW WHEN ((old.sensitive IS DISTINCT FROM new.sensitive)) EXECUTE FUNCTION support.audit_account_sensitivity();

CREATE TRIGGER assumption_policy_audited AFTER UPDATE ON support.assumption_policy FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION support.audit_assumption_policy();

CREATE TRIGGER assumption_policy_replacement_audited AFTER INSERT OR DELETE ON support.assumption_policy FOR EACH ROW EXECUTE FUNCTION support.audit_assumption_policy();

CREATE TRIGGER new_staff_rights_audited AFTER INSERT ON support.agents FOR EACH ROW WHEN ((new.is_super_user OR new.is_support_manager)) EXECUTE FUNCTION support.audit_staff_rights();

CREATE TRIGGER removed_staff_rights_audited AFTER DELETE ON support.agents FOR EACH ROW WHEN ((old.is_super_user OR old.is_support_manager)) EXECUTE FUNCTION support.audit_staff_rights();

CREATE TRIGGER security_audit_append_only BEFORE DELETE OR UPDATE ON support.security_audit FOR EACH ROW EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER security_audit_no_truncate BEFORE TRUNCATE ON support.security_audit FOR EACH STATEMENT EXECUTE FUNCTION support.refuse_history_change_trigger();

CREATE TRIGGER staff_rights_audited AFTER UPDATE OF is_super_user, is_support_manager, active ON support.agents FOR EACH ROW WHEN (((old.is_super_user IS DISTINCT FROM new.is_super_user) OR (old.is_support_manager IS DISTINCT FROM new.is_support_manager) OR ((old.active IS DISTINCT FROM new.active) AND (old.is_super_user OR old.is_support_manager OR new.is_super_user OR new.is_support_manager)))) EXECUTE FUNCTION support.audit_staff_rights();

CREATE POLICY manager_reads_security_audit ON support.security_audit
    FOR SELECT TO support_manager
    USING ((SELECT support.current_key_kind()) = 'manager');

-- 12_reporting.sql

-- Reporting: views for dashboards and BI tools; each runs with the
-- reader's rights (security_invoker), so row-level security applies.

CREATE VIEW support.agent_workload WITH (security_invoker='true') AS
 SELECT a.agent_id,
    a.full_name,
    a.tier,
    a.on_shift,
    count(t.ticket_id) AS open_tickets,
    count(t.ticket_id) FILTER (WHERE (t.priority = 'P1'::support.priority)) AS open_p1,
    count(t.ticket_id) FILTER (WHERE (t.priority = 'P2'::support.priority)) AS open_p2,
    min(t.created_at) AS oldest_open_since
   FROM (support.agents a
     LEFT JOIN support.tickets t ON (((t.assignee_id = a.agent_id) AND (t.status <> ALL (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status])))))
  WHERE a.active
  GROUP BY a.agent_id, a.full_name, a.tier, a.on_shift;
COMMENT ON VIEW support.agent_workload IS 'team availability and workload distribution: open tickets per active agent';
GRANT SELECT ON TABLE support.agent_workload TO support_agent, support_manager;

CREATE VIEW support.daily_summary WITH (security_invoker='true') AS
 SELECT (day.day)::date AS day,
    ( SELECT count(*) AS count
           FROM support.ticket_events e
          WHERE ((e.kind = 'created'::support.event_kind) AND (e.created_at >= day.day) AND (e.created_at < (day.day + '1 day'::interval)))) AS created,
    ( SELECT count(*) AS count
           FROM support.ticket_events e
          WHERE ((e.kind = 'status_change'::support.event_kind) AND (e.new_value = 'resolved'::text) AND (e.created_at >= day.day) AND (e.created_at < (day.day + '1 day'::interval)))) AS resolved,
    ( SELECT count(*) AS count
           FROM support.ticket_events e
          WHERE ((e.kind = 'status_change'::support.event_kind) AND (e.new_value = 'closed'::text) AND (e.created_at >= day.day) AND (e.created_at < (day.day + '1 day'::interval)))) AS closed,
    ( SELECT round(avg(((e.details ->> 'rating'::text))::numeric), 2) AS round
           FROM support.ticket_events e
          WHERE ((e.kind = 'rating'::support.event_kind) AND (e.created_at >= day.day) AND (e.created_at < (day.day + '1 day'::interval)))) AS average_satisfaction
   FROM generate_series((date_trunc('day'::text, now()) - '6 days'::interval), date_trunc('day'::text, now()), '1 day'::interval) day(day);
COMMENT ON VIEW support.daily_summary IS 'daily summary of the last seven days (server time zone): tickets created, resolved and closed, average satisfaction';
GRANT SELECT ON TABLE support.daily_summary TO support_client, support_agent, support_manager;

CREATE VIEW support.response_kpis WITH (security_invoker='true') AS
 SELECT t.priority,
    count(*) AS tickets,
    count(t.first_response_at) AS responded,
    avg((t.first_response_at - t.created_at)) AS average_first_response,
    (count(t.resolved_at) + count(t.closed_at) FILTER (WHERE (t.resolved_at IS NULL))) AS resolved,
    avg(((t.resolved_at - t.created_at) - t.paused_total)) AS average_resolution,
    round(((100.0 * (count(*) FILTER (WHERE (EXISTS ( SELECT 1
           FROM support.ticket_events e
          WHERE ((e.account_id = t.account_id) AND (e.ticket_id = t.ticket_id) AND ((e.kind = 'escalation'::support.event_kind) OR ((e.kind = 'tier_change'::support.event_kind) AND ((e.new_value)::smallint > (e.old_value)::smallint))))))))::numeric) / (count(*))::numeric), 1) AS escalated_percent,
    round(((100.0 * (count(*) FILTER (WHERE (t.reopen_count > 0)))::numeric) / (count(*))::numeric), 1) AS reopened_percent,
    round(avg(t.satisfaction_rating), 2) AS average_satisfaction,
    count(t.satisfaction_rating) AS ratings
   FROM support.tickets t
  GROUP BY t.priority;
COMMENT ON VIEW support.response_kpis IS 'operational KPIs by priority: first response and resolution times (pending-on-client time excluded), escalation and reopen rates, satisfaction';
GRANT SELECT ON TABLE support.response_kpis TO support_client, support_agent, support_manager;

CREATE VIEW support.ticket_queue WITH (security_invoker='true') AS
 SELECT t.tier,
    t.account_id,
    t.ticket_id,
    t.priority,
    t.status,
    t.category,
    c.required_skill,
    t.created_at,
    t.first_response_due,
    t.escalation_due,
    row_number() OVER (PARTITION BY t.tier ORDER BY t.priority, t.first_response_due, t.ticket_id) AS position_in_queue
   FROM (support.tickets t
     JOIN support.categories c ON ((c.category = t.category)))
  WHERE ((t.assignee_id IS NULL) AND (t.status <> ALL (ARRAY['resolved'::support.ticket_status, 'closed'::support.ticket_status])));
COMMENT ON VIEW support.ticket_queue IS 'open tickets no agent holds, per tier, most urgent first: what the next free agent of that tier should take';
GRANT SELECT ON TABLE support.ticket_queue TO support_agent, support_manager;

-- 99_start_workers.sql

-- At commit, the launcher looks for databases that gained the extension,
-- so this database's workers start now rather than at its next poll.
SELECT support.wake_worker();
