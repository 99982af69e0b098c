-- What several concerns use: the checks on text every table applies (a
-- name, one line, bounded size), the comparison operators of every enum,
-- the trigger functions that keep a trail append-only, invalidate the
-- configuration caches and let a restore write configuration rows.
-- (C: src/shared/.)

--@section operators

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
--@section checks

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

CREATE FUNCTION support.is_one_line(value text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'is_one_line';
COMMENT ON FUNCTION support.is_one_line(value text) IS 'whether value has no CR or LF (text never holds NUL)';

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
--@section functions

CREATE FUNCTION support.config_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'config_changed';
COMMENT ON FUNCTION support.config_changed() IS 'drops every backend''s cached copy of the configuration table it fires on, once the change commits';
REVOKE ALL ON FUNCTION support.config_changed() FROM PUBLIC;

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

CREATE FUNCTION support.refuse_history_change_trigger() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'refuse_history_change_trigger';
COMMENT ON FUNCTION support.refuse_history_change_trigger() IS 'keeps a history table append-only: updates, deletes and truncation raise 42501';
REVOKE ALL ON FUNCTION support.refuse_history_change_trigger() FROM PUBLIC;
