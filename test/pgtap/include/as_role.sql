-- Acting as an application's login role with a key, for the pgTAP suites
-- (included with \ir; each runs in the suite's own transaction).

-- The error a statement raises as who with key (SQLSTATE: message), or 'ok';
-- always undone. with_detail adds what else the error tells its reader
-- (detail, hint).
CREATE FUNCTION pg_temp.error_of(who text, auth_key text, statement text, with_detail boolean DEFAULT false)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
    detail text;
    hint text;
BEGIN
    BEGIN
        PERFORM set_config('role', who, true);
        PERFORM set_config('support.auth_key', COALESCE(auth_key, ''), true);
        EXECUTE statement;
        RAISE EXCEPTION 'undo' USING ERRCODE = 'BRK01';
    EXCEPTION
        WHEN SQLSTATE 'BRK01' THEN RETURN 'ok';
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                                    detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
            RETURN state || ': ' || message
                   || CASE WHEN with_detail THEN ' | ' || concat_ws(' | ', detail, hint) ELSE '' END;
    END;
END $$;

-- A query's first value as who with key, always undone ('ERROR: ...' for an error).
CREATE FUNCTION pg_temp.value_as(who text, auth_key text, query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    BEGIN
        PERFORM set_config('role', who, true);
        PERFORM set_config('support.auth_key', COALESCE(auth_key, ''), true);
        EXECUTE query INTO result;
        RAISE EXCEPTION 'undo' USING ERRCODE = 'BRK01', DETAIL = COALESCE(result, '<NULL>');
    EXCEPTION
        WHEN SQLSTATE 'BRK01' THEN
            GET STACKED DIAGNOSTICS result = PG_EXCEPTION_DETAIL;
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS result = MESSAGE_TEXT;
            result := 'ERROR: ' || result;
    END;
    RETURN result;
END $$;

-- The same, kept: the suite's transaction decides (NULL stays NULL).
CREATE FUNCTION pg_temp.kept_value(who text, auth_key text, query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    PERFORM set_config('role', who, true);
    PERFORM set_config('support.auth_key', COALESCE(auth_key, ''), true);
    BEGIN
        EXECUTE query INTO result;
    EXCEPTION WHEN OTHERS THEN
        result := 'ERROR: ' || SQLERRM;
    END;
    PERFORM set_config('support.auth_key', '', true);
    RESET ROLE;
    RETURN result;
END $$;
