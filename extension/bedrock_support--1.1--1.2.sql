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
    NEGATOR = OPERATOR(support.<>), RESTRICT = eqsel, JOIN = eqjoinsel
);
CREATE OPERATOR support.<> (
    LEFTARG = support.business_hours, RIGHTARG = support.business_hours,
    FUNCTION = support.business_hours_ne, COMMUTATOR = OPERATOR(support.<>),
    NEGATOR = OPERATOR(support.=), RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR support.= (support.business_hours, support.business_hours) IS 'same hours and zone';
COMMENT ON OPERATOR support.<> (support.business_hours, support.business_hours) IS 'different hours or zone';

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
