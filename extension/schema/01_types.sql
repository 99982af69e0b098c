CREATE TYPE support.account_role AS ENUM (
    'admin',
    'campaign_manager',
    'reporting_manager'
);

CREATE TYPE support.actor_kind AS ENUM (
    'agent',
    'client',
    'system'
);

-- Category S: an untyped literal in business_add(t, a, '...') resolves to
-- the schedule overload rather than the calendar-id one. Plain storage:
-- values are small and read in place, never copied to unpack a short header.
CREATE TYPE support.business_hours;

CREATE FUNCTION support.business_hours_in(cstring) RETURNS support.business_hours
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'business_hours_in';
COMMENT ON FUNCTION support.business_hours_in(cstring) IS 'parses business hours (22P02 for bad syntax, 22023 for a bad value)';

CREATE FUNCTION support.business_hours_out(support.business_hours) RETURNS cstring
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'business_hours_out';
COMMENT ON FUNCTION support.business_hours_out(support.business_hours) IS 'canonical text of business hours, which reads back to an equal value';

CREATE FUNCTION support.business_hours_recv(internal) RETURNS support.business_hours
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'business_hours_recv';
COMMENT ON FUNCTION support.business_hours_recv(internal) IS 'binary input of business hours (the canonical text)';

CREATE FUNCTION support.business_hours_send(support.business_hours) RETURNS bytea
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'business_hours_send';
COMMENT ON FUNCTION support.business_hours_send(support.business_hours) IS 'binary output of business hours (the canonical text)';

CREATE TYPE support.business_hours (
    INTERNALLENGTH = variable,
    INPUT = support.business_hours_in,
    OUTPUT = support.business_hours_out,
    RECEIVE = support.business_hours_recv,
    SEND = support.business_hours_send,
    CATEGORY = 'S',
    ALIGNMENT = int4,
    STORAGE = plain
);

CREATE TYPE support.event_kind AS ENUM (
    'created',
    'public_reply',
    'internal_note',
    'client_message',
    'status_change',
    'priority_change',
    'tier_change',
    'assignee_change',
    'resolution',
    'rating',
    'escalation',
    'notification',
    'sla_breach',
    'reminder',
    'follow_up',
    'review_task'
);

CREATE TYPE support.priority;

CREATE FUNCTION support.priority_in(cstring) RETURNS support.priority
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_in';
COMMENT ON FUNCTION support.priority_in(cstring) IS 'text input of support.priority';

CREATE FUNCTION support.priority_out(support.priority) RETURNS cstring
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_out';
COMMENT ON FUNCTION support.priority_out(support.priority) IS 'text output of support.priority: P1..P4';

CREATE FUNCTION support.priority_recv(internal) RETURNS support.priority
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_recv';
COMMENT ON FUNCTION support.priority_recv(internal) IS 'binary input of support.priority';

CREATE FUNCTION support.priority_send(support.priority) RETURNS bytea
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_send';
COMMENT ON FUNCTION support.priority_send(support.priority) IS 'binary output of support.priority';

CREATE TYPE support.priority (
    INTERNALLENGTH = 2,
    INPUT = support.priority_in,
    OUTPUT = support.priority_out,
    RECEIVE = support.priority_recv,
    SEND = support.priority_send,
    ALIGNMENT = int2,
    STORAGE = plain,
    PASSEDBYVALUE
);

CREATE TYPE support.sla_event_kind AS ENUM (
    'activated',
    'paused',
    'resumed',
    'fulfilled',
    'breached'
);

CREATE TYPE support.sla_target AS ENUM (
    'first_response',
    'next_update',
    'resolution'
);

CREATE TYPE support.ticket_status AS ENUM (
    'new',
    'triaged',
    'in_progress',
    'pending_client',
    'resolved',
    'closed'
);

CREATE TYPE support.visibility AS ENUM (
    'public',
    'internal'
);

CREATE FUNCTION support.int4_to_priority(integer) RETURNS support.priority
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'int4_to_priority';
COMMENT ON FUNCTION support.int4_to_priority(integer) IS 'the priority for a level 1..4; other numbers are out of range (22003)';

CREATE CAST (integer AS support.priority) WITH FUNCTION support.int4_to_priority(integer);

CREATE FUNCTION support.priority_to_int4(support.priority) RETURNS integer
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_to_int4';
COMMENT ON FUNCTION support.priority_to_int4(support.priority) IS 'the priority level as a number, 1 (P1) to 4 (P4)';

CREATE CAST (support.priority AS integer) WITH FUNCTION support.priority_to_int4(support.priority);

CREATE FUNCTION support.actor_kind_of(actor_id bigint) RETURNS support.actor_kind
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT CASE
        WHEN actor_id IS NULL THEN 'system'::support.actor_kind
        WHEN EXISTS (SELECT 1 FROM support.agents a WHERE a.agent_id OPERATOR(pg_catalog.=) actor_id)
            THEN 'agent'::support.actor_kind
        ELSE 'client'::support.actor_kind
    END
$$;
COMMENT ON FUNCTION support.actor_kind_of(actor_id bigint) IS 'agent, client or system for a user id (NULL: system)';
REVOKE ALL ON FUNCTION support.actor_kind_of(actor_id bigint) FROM PUBLIC;

-- one line: a header value or an envelope field never holds a line break
CREATE FUNCTION support.is_one_line(value text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'is_one_line';
COMMENT ON FUNCTION support.is_one_line(value text) IS 'whether value has no CR or LF (text never holds NUL)';

SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE FUNCTION support.business_hours_cmp(support.business_hours, support.business_hours) RETURNS integer
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'business_hours_cmp';
COMMENT ON FUNCTION support.business_hours_cmp(support.business_hours, support.business_hours) IS 'a stable total order of schedules (by stored form), for sorting and grouping';

CREATE FUNCTION support.business_hours_eq(support.business_hours, support.business_hours) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'business_hours_eq';
COMMENT ON FUNCTION support.business_hours_eq(support.business_hours, support.business_hours) IS 'true when two schedules have the same hours and zone';

CREATE FUNCTION support.business_hours_ge(support.business_hours, support.business_hours) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'business_hours_ge';
COMMENT ON FUNCTION support.business_hours_ge(support.business_hours, support.business_hours) IS 'sorts after or equal (stable order for grouping)';

CREATE FUNCTION support.business_hours_gt(support.business_hours, support.business_hours) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'business_hours_gt';
COMMENT ON FUNCTION support.business_hours_gt(support.business_hours, support.business_hours) IS 'sorts after (stable order for grouping)';

-- GROUP BY, DISTINCT, UNION and joins on schedules need hashing or an
-- order. Schedules have no natural order: the btree class sorts by the
-- stored form, which is arbitrary but stable and agrees with equality.
CREATE FUNCTION support.business_hours_hash(support.business_hours) RETURNS integer
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'business_hours_hash';
COMMENT ON FUNCTION support.business_hours_hash(support.business_hours) IS 'hash of business hours, for hash aggregation and joins';

CREATE FUNCTION support.business_hours_le(support.business_hours, support.business_hours) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'business_hours_le';
COMMENT ON FUNCTION support.business_hours_le(support.business_hours, support.business_hours) IS 'sorts before or equal (stable order for grouping)';

CREATE FUNCTION support.business_hours_lt(support.business_hours, support.business_hours) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'business_hours_lt';
COMMENT ON FUNCTION support.business_hours_lt(support.business_hours, support.business_hours) IS 'sorts before (stable order for grouping)';

CREATE FUNCTION support.business_hours_ne(support.business_hours, support.business_hours) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'business_hours_ne';
COMMENT ON FUNCTION support.business_hours_ne(support.business_hours, support.business_hours) IS 'true when two schedules differ';

CREATE FUNCTION support.check_time_zone(text) RETURNS boolean
    LANGUAGE c STABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'check_time_zone';
COMMENT ON FUNCTION support.check_time_zone(text) IS 'true for a time zone name PostgreSQL knows (an IANA name); raises 22023 for anything else';

-- An address as RFC 5321 writes one (a dot-atom local part, a domain of
-- labels), at most 254 characters: no CR, LF, NUL, spaces or angle
-- brackets can reach the RCPT TO line or a header. In C (src/address_checks.c):
-- the outbox's constraints check every message a ticket queues.
CREATE FUNCTION support.is_email_address(address text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'is_email_address';
COMMENT ON FUNCTION support.is_email_address(address text) IS 'whether address is an RFC 5321 mailbox (dot-atom local part, domain of labels, at most 254 characters)';

CREATE FUNCTION support.priority_cmp(support.priority, support.priority) RETURNS integer
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_cmp';
COMMENT ON FUNCTION support.priority_cmp(support.priority, support.priority) IS 'btree comparison: -1 when the left priority is more urgent';

CREATE FUNCTION support.priority_eq(support.priority, support.priority) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_eq';
COMMENT ON FUNCTION support.priority_eq(support.priority, support.priority) IS 'true when both priorities are the same level';

CREATE FUNCTION support.priority_ge(support.priority, support.priority) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_ge';
COMMENT ON FUNCTION support.priority_ge(support.priority, support.priority) IS 'true when the left priority is at most as urgent';

CREATE FUNCTION support.priority_gt(support.priority, support.priority) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_gt';
COMMENT ON FUNCTION support.priority_gt(support.priority, support.priority) IS 'true when the left priority is less urgent';

CREATE FUNCTION support.priority_hash(support.priority) RETURNS integer
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_hash';
COMMENT ON FUNCTION support.priority_hash(support.priority) IS 'hash support for hash joins and hash indexes';

CREATE FUNCTION support.priority_hash_extended(support.priority, bigint) RETURNS bigint
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_hash_extended';
COMMENT ON FUNCTION support.priority_hash_extended(support.priority, bigint) IS 'seeded hash support for hash partitioning';

CREATE FUNCTION support.priority_label(support.priority) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_label';
COMMENT ON FUNCTION support.priority_label(support.priority) IS 'the handbook''s name of the level: Critical, High, Medium or Low';

CREATE FUNCTION support.priority_le(support.priority, support.priority) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_le';
COMMENT ON FUNCTION support.priority_le(support.priority, support.priority) IS 'true when the left priority is at least as urgent';

CREATE FUNCTION support.priority_less_urgent(support.priority, support.priority) RETURNS support.priority
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_less_urgent';
COMMENT ON FUNCTION support.priority_less_urgent(support.priority, support.priority) IS 'the less urgent of two priorities';

CREATE FUNCTION support.priority_lt(support.priority, support.priority) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_lt';
COMMENT ON FUNCTION support.priority_lt(support.priority, support.priority) IS 'true when the left priority is more urgent';

CREATE FUNCTION support.priority_more_urgent(support.priority, support.priority) RETURNS support.priority
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_more_urgent';
COMMENT ON FUNCTION support.priority_more_urgent(support.priority, support.priority) IS 'the more urgent of two priorities';

CREATE FUNCTION support.priority_ne(support.priority, support.priority) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'priority_ne';
COMMENT ON FUNCTION support.priority_ne(support.priority, support.priority) IS 'true when the priorities differ';

CREATE FUNCTION support.require_text(value text, what text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF schema_name OPERATOR(pg_catalog.<>) 'support' OR table_name OPERATOR(pg_catalog.<>) expected THEN
        RAISE EXCEPTION 'support.%() fires only on support.%, not on %.%', function_name, expected, schema_name, table_name
              USING ERRCODE = 'trigger_protocol_violated',
                    HINT = 'The extension''s trigger functions are not for other tables.';
    END IF;
END $$;
COMMENT ON FUNCTION support.require_trigger_table(schema_name name, table_name name, expected name, function_name text) IS 'refuses a PL/pgSQL trigger function fired on any table but its own (39P01)';
REVOKE ALL ON FUNCTION support.require_trigger_table(schema_name name, table_name name, expected name, function_name text) FROM PUBLIC;

CREATE FUNCTION support.weekly_hours(hours support.business_hours) RETURNS interval
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'weekly_hours';
COMMENT ON FUNCTION support.weekly_hours(hours support.business_hours) IS 'business time in a week without holidays (wall-clock length; 168:00:00 for 24x7)';

CREATE OPERATOR support.> (
    FUNCTION = support.priority_gt,
    LEFTARG = support.priority,
    RIGHTARG = support.priority,
    COMMUTATOR = OPERATOR(support.<),
    NEGATOR = OPERATOR(support.<=),
    RESTRICT = scalargtsel,
    JOIN = scalargtjoinsel
);

CREATE AGGREGATE support.max(support.priority) (
    SFUNC = support.priority_less_urgent,
    STYPE = support.priority,
    COMBINEFUNC = support.priority_less_urgent,
    SORTOP = OPERATOR(support.>),
    PARALLEL = safe
);

CREATE OPERATOR support.< (
    FUNCTION = support.priority_lt,
    LEFTARG = support.priority,
    RIGHTARG = support.priority,
    COMMUTATOR = OPERATOR(support.>),
    NEGATOR = OPERATOR(support.>=),
    RESTRICT = scalarltsel,
    JOIN = scalarltjoinsel
);

CREATE AGGREGATE support.min(support.priority) (
    SFUNC = support.priority_more_urgent,
    STYPE = support.priority,
    COMBINEFUNC = support.priority_more_urgent,
    SORTOP = OPERATOR(support.<),
    PARALLEL = safe
);

CREATE OPERATOR support.< (
    FUNCTION = support.business_hours_lt,
    LEFTARG = support.business_hours,
    RIGHTARG = support.business_hours,
    COMMUTATOR = OPERATOR(support.>),
    NEGATOR = OPERATOR(support.>=),
    RESTRICT = scalarltsel,
    JOIN = scalarltjoinsel
);

CREATE OPERATOR support.<= (
    FUNCTION = support.business_hours_le,
    LEFTARG = support.business_hours,
    RIGHTARG = support.business_hours,
    COMMUTATOR = OPERATOR(support.>=),
    NEGATOR = OPERATOR(support.>),
    RESTRICT = scalarlesel,
    JOIN = scalarlejoinsel
);

CREATE OPERATOR support.<= (
    FUNCTION = support.priority_le,
    LEFTARG = support.priority,
    RIGHTARG = support.priority,
    COMMUTATOR = OPERATOR(support.>=),
    NEGATOR = OPERATOR(support.>),
    RESTRICT = scalarlesel,
    JOIN = scalarlejoinsel
);

CREATE OPERATOR support.<> (
    FUNCTION = support.business_hours_ne,
    LEFTARG = support.business_hours,
    RIGHTARG = support.business_hours,
    COMMUTATOR = OPERATOR(support.<>),
    NEGATOR = OPERATOR(support.=),
    RESTRICT = neqsel,
    JOIN = neqjoinsel
);

CREATE OPERATOR support.<> (
    FUNCTION = support.priority_ne,
    LEFTARG = support.priority,
    RIGHTARG = support.priority,
    COMMUTATOR = OPERATOR(support.<>),
    NEGATOR = OPERATOR(support.=),
    RESTRICT = neqsel,
    JOIN = neqjoinsel
);

CREATE OPERATOR support.= (
    FUNCTION = support.business_hours_eq,
    LEFTARG = support.business_hours,
    RIGHTARG = support.business_hours,
    COMMUTATOR = OPERATOR(support.=),
    NEGATOR = OPERATOR(support.<>),
    MERGES,
    HASHES,
    RESTRICT = eqsel,
    JOIN = eqjoinsel
);

CREATE OPERATOR support.= (
    FUNCTION = support.priority_eq,
    LEFTARG = support.priority,
    RIGHTARG = support.priority,
    COMMUTATOR = OPERATOR(support.=),
    NEGATOR = OPERATOR(support.<>),
    MERGES,
    HASHES,
    RESTRICT = eqsel,
    JOIN = eqjoinsel
);

CREATE OPERATOR support.> (
    FUNCTION = support.business_hours_gt,
    LEFTARG = support.business_hours,
    RIGHTARG = support.business_hours,
    COMMUTATOR = OPERATOR(support.<),
    NEGATOR = OPERATOR(support.<=),
    RESTRICT = scalargtsel,
    JOIN = scalargtjoinsel
);

CREATE OPERATOR support.>= (
    FUNCTION = support.business_hours_ge,
    LEFTARG = support.business_hours,
    RIGHTARG = support.business_hours,
    COMMUTATOR = OPERATOR(support.<=),
    NEGATOR = OPERATOR(support.<),
    RESTRICT = scalargesel,
    JOIN = scalargejoinsel
);

CREATE OPERATOR support.>= (
    FUNCTION = support.priority_ge,
    LEFTARG = support.priority,
    RIGHTARG = support.priority,
    COMMUTATOR = OPERATOR(support.<=),
    NEGATOR = OPERATOR(support.<),
    RESTRICT = scalargesel,
    JOIN = scalargejoinsel
);

CREATE OPERATOR FAMILY support.business_hours_hash_ops USING hash;

CREATE OPERATOR CLASS support.business_hours_hash_ops
    DEFAULT FOR TYPE support.business_hours USING hash FAMILY support.business_hours_hash_ops AS
    OPERATOR 1 support.=(support.business_hours,support.business_hours) ,
    FUNCTION 1 (support.business_hours, support.business_hours) support.business_hours_hash(support.business_hours);

CREATE OPERATOR FAMILY support.business_hours_ops USING btree;

CREATE OPERATOR CLASS support.business_hours_ops
    DEFAULT FOR TYPE support.business_hours USING btree FAMILY support.business_hours_ops AS
    OPERATOR 1 support.<(support.business_hours,support.business_hours) ,
    OPERATOR 2 support.<=(support.business_hours,support.business_hours) ,
    OPERATOR 3 support.=(support.business_hours,support.business_hours) ,
    OPERATOR 4 support.>=(support.business_hours,support.business_hours) ,
    OPERATOR 5 support.>(support.business_hours,support.business_hours) ,
    FUNCTION 1 (support.business_hours, support.business_hours) support.business_hours_cmp(support.business_hours,support.business_hours);

CREATE OPERATOR FAMILY support.priority_hash_ops USING hash;
ALTER OPERATOR FAMILY support.priority_hash_ops USING hash ADD
    FUNCTION 2 (support.priority, support.priority) support.priority_hash_extended(support.priority,bigint);

CREATE OPERATOR CLASS support.priority_hash_ops
    DEFAULT FOR TYPE support.priority USING hash FAMILY support.priority_hash_ops AS
    OPERATOR 1 support.=(support.priority,support.priority) ,
    FUNCTION 1 (support.priority, support.priority) support.priority_hash(support.priority);

CREATE OPERATOR FAMILY support.priority_ops USING btree;

CREATE OPERATOR CLASS support.priority_ops
    DEFAULT FOR TYPE support.priority USING btree FAMILY support.priority_ops AS
    OPERATOR 1 support.<(support.priority,support.priority) ,
    OPERATOR 2 support.<=(support.priority,support.priority) ,
    OPERATOR 3 support.=(support.priority,support.priority) ,
    OPERATOR 4 support.>=(support.priority,support.priority) ,
    OPERATOR 5 support.>(support.priority,support.priority) ,
    FUNCTION 1 (support.priority, support.priority) support.priority_cmp(support.priority,support.priority);

COMMENT ON TYPE support.account_role IS 'the handbook''s client user roles: Admin, Campaign Manager, Reporting Manager';

COMMENT ON TYPE support.actor_kind IS 'who caused an event: a support agent, a client user, or the system';

COMMENT ON TYPE support.business_hours IS 'a weekly schedule of local wall-clock hours in an IANA time zone, such as ''mon-fri 09:00-17:00 @ America/New_York'', or ''24x7''';

COMMENT ON TYPE support.event_kind IS 'what a ticket event records';

COMMENT ON TYPE support.priority IS 'Ticket priority P1 (critical) to P4 (low); accepts P1..P4, 1..4, critical/high/medium/low in any case; sorts most urgent first';

COMMENT ON TYPE support.sla_event_kind IS 'what happened to an SLA target';

COMMENT ON TYPE support.sla_target IS 'the three SLA targets a ticket carries';

COMMENT ON TYPE support.ticket_status IS 'ticket lifecycle: new -> triaged -> in_progress <-> pending_client; in_progress -> resolved -> closed; resolved -> in_progress (reopen)';

COMMENT ON TYPE support.visibility IS 'public events are part of the conversation with the client; internal ones are for support staff only';

COMMENT ON AGGREGATE support.max(support.priority) IS 'the least urgent priority of a set';

COMMENT ON AGGREGATE support.min(support.priority) IS 'the most urgent priority of a set';

COMMENT ON OPERATOR support.< (support.business_hours, support.business_hours) IS 'sorts before (stable order for grouping)';

COMMENT ON OPERATOR support.<= (support.business_hours, support.business_hours) IS 'sorts before or equal (stable order for grouping)';

COMMENT ON OPERATOR support.<> (support.business_hours, support.business_hours) IS 'different hours or zone';

COMMENT ON OPERATOR support.= (support.business_hours, support.business_hours) IS 'same hours and zone';

COMMENT ON OPERATOR support.> (support.business_hours, support.business_hours) IS 'sorts after (stable order for grouping)';

COMMENT ON OPERATOR support.>= (support.business_hours, support.business_hours) IS 'sorts after or equal (stable order for grouping)';

COMMENT ON OPERATOR CLASS support.business_hours_hash_ops USING hash IS 'equality of business hours by hashing';

COMMENT ON OPERATOR CLASS support.business_hours_ops USING btree IS 'stable order of business hours, for sorting and grouping';
