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
    'escalation', 'notification', 'sla_breach', 'reminder', 'follow_up', 'review_task',
    'revenue_at_risk'
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
                       ' OPERATOR 4 pg_catalog.>=, OPERATOR 5 pg_catalog.>, FUNCTION 1 support.%I(support.%I, support.%I),'
                       -- equal values are equal images: indexes deduplicate
                       ' FUNCTION 4 pg_catalog.btequalimage(oid)',
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
    FUNCTION 1 support.priority_cmp(support.priority, support.priority),
    FUNCTION 4 pg_catalog.btequalimage(oid);       -- one representation per priority: indexes deduplicate
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
    FUNCTION 1 support.business_hours_cmp(support.business_hours, support.business_hours),
    FUNCTION 4 pg_catalog.btequalimage(oid);       -- the canonical form is the stored one: indexes deduplicate
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
-- The bounds of text, in one place (src/text_bounds.c): a name is one short
-- line, and a text the desk composes is cut to fit, never refused.
CREATE FUNCTION support.is_name(value text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'is_name';
COMMENT ON FUNCTION support.is_name(value text) IS 'whether value is a name someone is called by: one line of at most 200 characters, no control character, no markup (< >) or web address (://), not blank';

CREATE FUNCTION support.fit_text(value text, max_bytes integer DEFAULT 262144) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'fit_text';
COMMENT ON FUNCTION support.fit_text(value text, max_bytes integer) IS 'value, or when it is longer than max_bytes its first whole characters and " [... cut: too long]", max_bytes in all: how every text the desk composes is bounded';
REVOKE ALL ON FUNCTION support.fit_text(value text, max_bytes integer) FROM PUBLIC;

CREATE FUNCTION support.message_size(body text, subject text, target text, template text, payload jsonb) RETURNS bigint
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'message_size';
COMMENT ON FUNCTION support.message_size(body text, subject text, target text, template text, payload jsonb) IS 'the bytes of an outbound message as the delivery worker renders it (body, subject, target and template as stored, the payload as its JSON text; NULL counts 0; past 16 MB, at least): what messages_are_at_most_1_mb bounds';

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
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
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
    LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
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
